/**
 * What both commands of the `copass-emulator` bin (cli.ts: the API; mcp-cli.ts: the sample MCP
 * server) share about their arguments: the usage error, the integer flags, and how node:util
 * `parseArgs` refusals are worded.
 */

export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliUsageError";
  }
}

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

/** What a command resolves with: an exit code (help, bad arguments), or a running server to stop. */
export type CliOutcome = { exitCode: number } | { stop: () => Promise<void> };

export function integer(flag: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isInteger(n) || n < min || n > max) {
    throw new CliUsageError(
      `--${flag} must be an integer from ${min} to ${max}, e.g. --${flag} ${min === 0 ? 8080 : 5000}`,
    );
  }
  return n;
}

/**
 * Runs a strict node:util `parseArgs` (`parse`); its refusals become CliUsageErrors that name the
 * flag and end with `words.help` (the command's --help line). `words.positional` is the whole
 * message for a stray positional.
 */
export function parseFlags<T>(parse: () => T, words: { help: string; positional: string }): T {
  try {
    return parse();
  } catch (err) {
    // parseArgs messages name the flag ("Unknown option '--x'", "Option '--port <value>' argument missing"),
    // except for a stray positional, whose message quotes the value: often a key or a token given
    // without its flag (`--api-key k1 k2`), so it must not reach stderr.
    if ((err as { code?: unknown }).code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
      throw new CliUsageError(words.positional);
    }
    const message = err instanceof Error ? err.message : String(err);
    throw new CliUsageError(`${message}. ${words.help}`);
  }
}

/** `--host`: undefined when absent, refused when empty. */
export function hostFlag(raw: string | undefined): string | undefined {
  if (raw === "") throw new CliUsageError("--host must not be empty, e.g. --host 127.0.0.1");
  return raw;
}

/** One command of the bin: how it parses its argv and starts its server. */
export interface Command<O> {
  /** How its stderr lines start: `copass-emulator`, `copass-emulator mcp`. */
  name: string;
  usage: string;
  /** Throws CliUsageError naming the flag. */
  parse: () => O | "help";
  /** The server, and its one ready line for stdout (never a secret). */
  start: (options: O) => Promise<{ ready: string; stop: () => Promise<void> }>;
}

/**
 * Runs a command: exit 2 with one stderr line for bad arguments, 0 with the usage for --help, 1
 * when the server cannot start; else the ready line, and `stop` for the bin's signal handlers.
 */
export async function runCommand<O>(command: Command<O>, io: CliIo): Promise<CliOutcome> {
  let options;
  try {
    options = command.parse();
  } catch (err) {
    if (err instanceof CliUsageError) {
      io.stderr(`${command.name}: ${err.message}`);
      return { exitCode: 2 };
    }
    throw err;
  }
  if (options === "help") {
    io.stdout(command.usage.trimEnd());
    return { exitCode: 0 };
  }
  let started;
  try {
    started = await command.start(options);
  } catch (err) {
    io.stderr(`${command.name}: cannot start: ${startFailure(err)}`);
    return { exitCode: 1 };
  }
  io.stdout(started.ready);
  return { stop: started.stop };
}

/** Why a server did not start, for its one stderr line. */
function startFailure(err: unknown): string {
  if ((err as { code?: unknown }).code === "EADDRINUSE")
    return "the port is in use; pick another --port or 0";
  return err instanceof Error ? err.message : String(err);
}
