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

/** Why a server did not start, for its one stderr line. */
export function startFailure(err: unknown): string {
  if ((err as { code?: unknown }).code === "EADDRINUSE")
    return "the port is in use; pick another --port or 0";
  return err instanceof Error ? err.message : String(err);
}
