#!/usr/bin/env node
/**
 * `copass-emulator`: the local Copass-compatible API as a process, for users' CI and the demo.
 * Prints exactly one line on stdout once ready (`copass-emulator listening on http://…`), which
 * scripts and tests wait for; never prints a key or a token.
 */
import { parseArgs } from "node:util";
import type { EmulatorOptions } from "./api";
import { startEmulator } from "./server";

export const USAGE = `Usage: copass-emulator [options]

Runs a local Copass-compatible API (user_mcp sources) on http://HOST:PORT.

Options:
  --port <n>              Port to listen on; 0 picks a free one (default 0)
  --host <host>           Host to bind (default 127.0.0.1)
  --api-key <key>         An API key callers may use; repeat for several tenants.
                          Required unless COPASS_API_KEY is set.
  --admin-key <key>       Enables /_emulator/* (faults, request log) behind x-emulator-admin-key
  --data-file <path>      Persist to this JSON file (the vault goes to <path>.vault.json, mode 0600)
  --probe-timeout-ms <n>  Health-check timeout per probe in ms (default 5000)
  --help                  Show this help
`;

export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliUsageError";
  }
}

function integer(flag: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isInteger(n) || n < min || n > max) {
    throw new CliUsageError(
      `--${flag} must be an integer from ${min} to ${max}, e.g. --${flag} ${min === 0 ? 8080 : 5000}`,
    );
  }
  return n;
}

/** Parses argv (without node and script) and the environment; throws CliUsageError on bad input. */
export function parseCliArgs(argv: string[], env: NodeJS.ProcessEnv): EmulatorOptions | "help" {
  let values;
  try {
    ({ values } = parseArgs({
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
    }));
  } catch (err) {
    // parseArgs messages name the flag ("Unknown option '--x'", "Option '--port <value>' argument missing"),
    // except for a stray positional, whose message quotes the value: often a key given without
    // --api-key (`--api-key k1 k2`), so it must not reach stderr.
    if ((err as { code?: unknown }).code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
      throw new CliUsageError(
        "copass-emulator takes no positional arguments; give each API key with its own --api-key. Run copass-emulator --help for the options.",
      );
    }
    const message = err instanceof Error ? err.message : String(err);
    throw new CliUsageError(`${message}. Run copass-emulator --help for the options.`);
  }
  if (values.help) return "help";
  const keys = values["api-key"] ?? (env.COPASS_API_KEY ? [env.COPASS_API_KEY] : []);
  if (keys.length === 0 || keys.some((k) => k.trim() === "")) {
    throw new CliUsageError("--api-key is required: pass --api-key <key> (repeatable) or set COPASS_API_KEY");
  }
  const options: EmulatorOptions = { apiKeys: keys };
  const port = integer("port", values.port, 0, 65535);
  if (port !== undefined) options.port = port;
  if (values.host !== undefined) {
    if (values.host === "") throw new CliUsageError("--host must not be empty, e.g. --host 127.0.0.1");
    options.host = values.host;
  }
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

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

/**
 * Runs the CLI. Resolves with an exit code for --help and bad arguments; once the server is up it
 * resolves with a `stop` function instead (the process then lives until a signal).
 */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<{ exitCode: number } | { stop: () => Promise<void> }> {
  let options;
  try {
    options = parseCliArgs(argv, env);
  } catch (err) {
    if (err instanceof CliUsageError) {
      io.stderr(`copass-emulator: ${err.message}`);
      return { exitCode: 2 };
    }
    throw err;
  }
  if (options === "help") {
    io.stdout(USAGE.trimEnd());
    return { exitCode: 0 };
  }
  let emulator;
  try {
    emulator = await startEmulator(options);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why =
      code === "EADDRINUSE"
        ? "the port is in use; pick another --port or 0"
        : err instanceof Error
          ? err.message
          : String(err);
    io.stderr(`copass-emulator: cannot start: ${why}`);
    return { exitCode: 1 };
  }
  io.stdout(`copass-emulator listening on ${emulator.url}`);
  return { stop: () => emulator.close() };
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
