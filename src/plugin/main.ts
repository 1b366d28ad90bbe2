#!/usr/bin/env node
/**
 * `pulumi-resource-copass`: the `copass` resource-provider plugin, which Pulumi starts for a YAML,
 * Python, Go (or any) program that uses `copass:index:UserMcpSource`. The engine finds it on PATH
 * (README "Use it from Python, Go or YAML"), runs it with its own address as the argument, and
 * reads the port this process serves on from its first line of stdout.
 *
 * The handshake is all that happens at start: the core (and zod) load on the first call that needs
 * them (handlers.ts).
 */
import { serve } from "./grpc-server";

serve().then(
  ({ port }) => process.stdout.write(`${port}\n`),
  (error: unknown) => {
    process.stderr.write(`pulumi-resource-copass: cannot serve: ${String(error)}\n`);
    process.exit(1);
  },
);
