/**
 * The handshake both plugin entries share (main.ts from npm, executable.ts in a release): serve,
 * then print the port as the first line of stdout, which is what the engine reads.
 */
import { serve } from "./grpc-server";
import type { PluginInfo } from "./plugin-info";
import type { RpcModules } from "./rpc-modules";

export function start(modules: RpcModules, info: PluginInfo): void {
  serve(modules, info).then(
    ({ port }) => process.stdout.write(`${port}\n`),
    (error: unknown) => {
      process.stderr.write(`pulumi-resource-copass: cannot serve: ${String(error)}\n`);
      process.exit(1);
    },
  );
}
