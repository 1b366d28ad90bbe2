#!/usr/bin/env node
/**
 * `copass-emulator`: the local Copass-compatible API as a process, for users' CI and the demo.
 * Prints exactly one line on stdout once ready (`copass-emulator listening on http://…`), which
 * scripts and tests wait for; never prints a key or a token.
 */
import type { EmulatorOptions } from "./api";
import { parseArgs } from "node:util";
import {
  CliUsageError,
  hostFlag,
  integer,
  parseFlags,
  runCommand,
  type CliIo,
  type CliOutcome,
} from "./cli-args";
import { mainMcp } from "./mcp-cli";
import { startEmulator } from "./server";

export { CliUsageError, type CliIo } from "./cli-args";

export const USAGE = `Usage: copass-emulator [options]
       copass-emulator mcp [options]    (a sample MCP server; copass-emulator mcp --help)

Runs a local Copass-compatible API (user_mcp sources) on http://HOST:PORT.

Options:
  --port <n>              Port to listen on; 0 picks a free one (default 0)
  --host <host>           Host to bind (default 127.0.0.1)
  --api-key <key>         An API key callers may use; repeat for several tenants.
                          Required unless COPASS_API_KEY is set.
  --admin-key <key>       Enables /_emulator/* (faults, request log) behind x-emulator-admin-key
  --data-file <path>      Persist to this JSON file, and the MCP tokens in plaintext to
                          <path>.vault.json (both mode 0600; keep them out of git)
  --probe-timeout-ms <n>  Health-check timeout per probe in ms (default 5000)
  --help                  Show this help
`;

/** Parses argv (without node and script) and the environment; throws CliUsageError on bad input. */
export function parseCliArgs(argv: string[], env: NodeJS.ProcessEnv): EmulatorOptions | "help" {
  const values = parseFlags(
    () =>
      parseArgs({
        args: argv,
        strict: true,
        allowPositionals: false,
        options: {
          port: { type: "string" },
          host: { type: "string" },
          "api-key": { type: "string", multiple: true },
          "admin-key": { type: "string" },
          "data-file": { type: "string" },
          "probe-timeout-ms": { type: "string" },
          help: { type: "boolean" },
        },
      }).values,
    {
      help: "Run copass-emulator --help for the options.",
      positional:
        "copass-emulator takes no positional arguments; give each API key with its own --api-key. Run copass-emulator --help for the options.",
    },
  );
  if (values.help) return "help";
  const keys = values["api-key"] ?? (env.COPASS_API_KEY ? [env.COPASS_API_KEY] : []);
  if (keys.length === 0 || keys.some((k) => k.trim() === "")) {
    throw new CliUsageError("--api-key is required: pass --api-key <key> (repeatable) or set COPASS_API_KEY");
  }
  const options: EmulatorOptions = { apiKeys: keys };
  const port = integer("port", values.port, 0, 65535);
  if (port !== undefined) options.port = port;
  const host = hostFlag(values.host);
  if (host !== undefined) options.host = host;
  if (values["admin-key"] !== undefined) {
    if (values["admin-key"] === "")
      throw new CliUsageError("--admin-key must not be empty; omit it to disable admin");
    options.adminKey = values["admin-key"];
  }
  if (values["data-file"] !== undefined) {
    if (values["data-file"] === "")
      throw new CliUsageError("--data-file must be a file path, e.g. --data-file ./copass.json");
    options.dataFile = values["data-file"];
  }
  const timeout = integer("probe-timeout-ms", values["probe-timeout-ms"], 1, 600_000);
  if (timeout !== undefined) options.probeTimeoutMs = timeout;
  return options;
}

/**
 * Runs the CLI. Resolves with an exit code for --help and bad arguments; once the server is up it
 * resolves with a `stop` function instead (the process then lives until a signal). `mcp` as the
 * first word runs the sample MCP server instead (mcp-cli.ts).
 */
export function main(argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<CliOutcome> {
  if (argv[0] === "mcp") return mainMcp(argv.slice(1), io);
  return runCommand(
    {
      name: "copass-emulator",
      usage: USAGE,
      parse: () => parseCliArgs(argv, env),
      start: async (options) => {
        const emulator = await startEmulator(options);
        return { ready: `copass-emulator listening on ${emulator.url}`, stop: () => emulator.close() };
      },
    },
    io,
  );
}

if (require.main === module) {
  const io: CliIo = {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
  };
  main(process.argv.slice(2), process.env, io).then(
    (outcome) => {
      if ("exitCode" in outcome) {
        process.exitCode = outcome.exitCode;
        return;
      }
      const shutdown = () => {
        outcome.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once("SIGINT", shutdown);
      process.once("SIGTERM", shutdown);
    },
    (err: unknown) => {
      io.stderr(`copass-emulator: ${err instanceof Error ? err.name : "error"}`);
      process.exitCode = 1;
    },
  );
}
