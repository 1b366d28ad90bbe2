#!/usr/bin/env node
/**
 * The `pulumi-copass` bin: argv, the settings, one API call and the output files around the
 * pure import (import.ts); `drift` is handed to drift.ts with the rest of argv. Settings are read
 * as `pulumi up` reads them: inside a Pulumi project the stack's copass:* config first
 * (stack-config.ts), then the environment (COPASS_API_URL, COPASS_API_KEY, …). A key given as a
 * flag would stay in shell history and show in process lists, so there is no such flag, and one
 * that looks like it is refused by name.
 *
 * Every failure is one line on stderr, `pulumi-copass: …`, with no secret in it; exit code 2 for
 * bad usage and refusals (an `--out` file that exists, without `--force`), 1 for everything else
 * (drift has its own codes: drift.ts).
 */
import { existsSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { CopassClient, CopassConfigError, isCopassError } from "../client";
import {
  ProviderConfigError,
  resolveSettings,
  settingName,
  type ProviderSettings,
  type SettingSources,
} from "../provider/config";
import { settingsAdvice } from "../provider/errors";
import { FIELDS } from "../provider/schema";
import { EXIT_CODES } from "./drift-classify";
import { runDrift } from "./drift";
import { flagProblem } from "./flags";
import { PulumiStackError } from "./pulumi-stack";
import { readStackSettings, type StackSettings } from "./stack-config";
import {
  ImportError,
  planImport,
  renderJson,
  renderNotes,
  renderProgram,
  renderPulumiImport,
} from "./import";

export const USAGE = `Usage: pulumi-copass import --sandbox <id> [--stack <name>] [--out <file> [--force]] [--format typescript|json|pulumi-import]
       pulumi-copass drift [--stack <name>] [--cwd <dir>] [--format text|markdown|json] [--out <file>]
       (pulumi-copass drift --help for drift's options and exit codes)

Writes a Pulumi program (TypeScript) that adopts every user_mcp source of a Copass sandbox as it
is: one UserMcpSource per source with adoptExisting: true, each field exactly as Copass has it
(defaults left out), each token read from stack config. Revoked sources are skipped. The
\`pulumi config set --secret\` lines to run before \`pulumi up\` go to standard error.

Options:
  --sandbox <id>   The Copass sandbox to import (required)
  --stack <name>   Read the settings of this stack of the Pulumi project (default: the selected one)
  --out <file>     Write the program to this file instead of standard output; an existing
                   file is never replaced without --force
  --force          With --out: replace the file if it exists
  --format <f>     typescript (default): the program above
                   json: the sources as UserMcpSource args (no tokens) as JSON
                   pulumi-import: the file \`pulumi import --file\` takes, for a project in any
                   language using the copass provider plugin (docs/other-languages.md)
  --json           Same as --format json
  --help           Show this help

Settings, as pulumi up reads them: inside a Pulumi project (Pulumi.yaml here or above), the
stack's config first (copass:apiUrl, copass:apiKey, copass:encryptionToken,
copass:requestTimeoutSeconds; read through the pulumi CLI), then these variables:
  COPASS_API_URL           Copass API (default https://api.copass.id; http only for loopback hosts)
  COPASS_API_KEY           API key of the sandbox's tenant (required; never a flag)
  COPASS_ENCRYPTION_TOKEN  Sent as X-Encryption-Token when set
Outside a project, or with no stack selected and no --stack, the variables alone.
`;

export class CliUsageError extends Error {
  override name = "CliUsageError";
}

/** The output file could not be written; the message names the path and the system's error code. */
class OutputFileError extends Error {
  override name = "OutputFileError";
}

export interface ImportCommand {
  sandboxId: string;
  /** The stack whose config to read; the project's selected stack when absent. */
  stack?: string;
  out?: string;
  /** Replace `out` if it exists; without it an existing file is refused (a user's program, say). */
  force: boolean;
  format: ImportFormat;
}

export const IMPORT_FORMATS = ["typescript", "json", "pulumi-import"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

const FLAGS = {
  sandbox: { type: "string" },
  stack: { type: "string" },
  out: { type: "string" },
  json: { type: "boolean" },
  format: { type: "string" },
  force: { type: "boolean" },
  help: { type: "boolean" },
} as const;

/** Flags people reach for to pass a credential: refused with the reason, never echoed. */
const CREDENTIAL_FLAG = /^--?(api[-_]?key|key|token|encryption[-_]?token)$/i;

/** Refuses a flag that looks like a credential, for every command; throws CliUsageError. */
function refuseCredentialFlags(argv: readonly string[]): void {
  for (const arg of argv) {
    if (arg === "--") break;
    const flag = arg.split("=")[0]!;
    if (CREDENTIAL_FLAG.test(flag)) {
      throw new CliUsageError(
        `${flag} is not accepted: credentials are read from the environment only (COPASS_API_KEY, ` +
          "COPASS_ENCRYPTION_TOKEN) or the stack's config (copass:apiKey, copass:encryptionToken), " +
          "never from flags, since flags stay in shell history and show in process lists",
      );
    }
  }
}

/** Parses argv (without node and script); throws CliUsageError. */
export function parseCommand(argv: readonly string[]): ImportCommand | "help" {
  refuseCredentialFlags(argv);
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: true });
  } catch (err) {
    throw new CliUsageError(`${flagProblem(err)}. Run pulumi-copass --help for the options`);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  const [command, ...rest] = positionals;
  if (command === undefined)
    throw new CliUsageError("missing command: run pulumi-copass import --sandbox <id>");
  if (command !== "import") {
    // A command-like word is echoed to help with typos; anything else might be a pasted secret.
    const shown = /^[a-z-]{1,20}$/.test(command) ? `unknown command ${command}` : "unknown command";
    throw new CliUsageError(
      `${shown}; the commands are import (pulumi-copass import --sandbox <id>) and drift (pulumi-copass drift)`,
    );
  }
  if (rest.length > 0) {
    throw new CliUsageError("import takes no positional arguments; give the sandbox as --sandbox <id>");
  }
  if (values.sandbox === undefined) throw new CliUsageError("--sandbox is required, e.g. --sandbox sb_123");
  const sandbox = FIELDS.sandboxId.schema.safeParse(values.sandbox);
  if (!sandbox.success) {
    throw new CliUsageError(
      "--sandbox must be a sandbox id without whitespace, '/', '?' or '#', e.g. sb_123",
    );
  }
  if (values.out === "") throw new CliUsageError("--out must be a file path, e.g. --out sources.ts");
  if (values.stack === "") throw new CliUsageError("--stack must be a stack name, e.g. --stack dev");
  if (values.force && values.out === undefined) {
    throw new CliUsageError("--force only applies to --out <file>: add --out, or drop --force");
  }
  return {
    sandboxId: sandbox.data,
    ...(values.stack === undefined ? {} : { stack: values.stack }),
    ...(values.out === undefined ? {} : { out: values.out }),
    force: values.force === true,
    format: formatOf(values.format, values.json === true),
  };
}

function formatOf(format: string | undefined, json: boolean): ImportFormat {
  if (format === undefined) return json ? "json" : "typescript";
  if (!(IMPORT_FORMATS as readonly string[]).includes(format)) {
    throw new CliUsageError(
      `--format must be one of ${IMPORT_FORMATS.join(", ")}, e.g. --format pulumi-import`,
    );
  }
  if (json && format !== "json") throw new CliUsageError("--json is --format json: give one of them");
  return format as ImportFormat;
}

export interface CliIo {
  /** The program or JSON document, verbatim. */
  stdout(text: string): void;
  /** One line (no newline). */
  stderr(line: string): void;
  exists(path: string): boolean;
  /**
   * Writes `text` to `path`. Without `overwrite` the file must not exist: the create is exclusive,
   * and an existing file throws an error with code EEXIST (a file made after `exists` said no).
   */
  writeFile(path: string, text: string, overwrite: boolean): void;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (line) => process.stderr.write(`${line}\n`),
  exists: (path) => existsSync(path),
  writeFile: (path, text, overwrite) => writeFileSync(path, text, { flag: overwrite ? "w" : "wx" }),
};

/** Where import finds its settings; tests that cannot run a pulumi CLI stub `readStackSettings`. */
export interface ImportDeps {
  /** The folder a Pulumi project is looked for from (the current folder). */
  cwd: string;
  readStackSettings: (cwd: string, stack?: string) => Promise<StackSettings>;
}

const processDeps = (): ImportDeps => ({ cwd: process.cwd(), readStackSettings });

/** Runs the CLI; resolves with the exit code. */
export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: CliIo,
  deps: ImportDeps = processDeps(),
): Promise<number> {
  let command;
  try {
    if (argv[0] === "drift") return await drift(argv.slice(1), env, io);
    command = parseCommand(argv);
  } catch (err) {
    if (!(err instanceof CliUsageError)) throw err;
    io.stderr(`pulumi-copass: ${err.message}`);
    return 2;
  }
  if (command === "help") {
    io.stdout(USAGE);
    return 0;
  }
  // Until the stack is read, a message names every setting import might read.
  let sources: SettingSources = "config-and-env";
  try {
    // Refused before any API call: `--out index.ts` would otherwise replace a user's program.
    if (command.out !== undefined && !command.force && io.exists(command.out)) {
      throw new CliUsageError(overwriteRefusal(command.out));
    }
    const found = await deps.readStackSettings(deps.cwd, command.stack);
    sources = found.kind === "stack" ? "config-and-env" : "env";
    const note = settingsNote(found);
    if (note !== undefined) io.stderr(note);
    await runImport(command, resolveSettings(found.kind === "stack" ? found.values : {}, env, sources), io);
    return 0;
  } catch (err) {
    if (err instanceof CliUsageError) {
      io.stderr(`pulumi-copass: ${err.message}`);
      return 2;
    }
    io.stderr(`pulumi-copass: ${oneLine(explain(err, command.sandboxId, sources))}`);
    return 1;
  }
}

/** drift keeps one exit code for every error, bad usage included (its --help lists them). */
async function drift(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  try {
    refuseCredentialFlags(argv);
  } catch (err) {
    io.stderr(`pulumi-copass: drift: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_CODES.error;
  }
  return runDrift(argv, env, io);
}

function overwriteRefusal(out: string): string {
  return `${out} already exists and is not replaced without --force: pass --force to overwrite it, or choose another --out file`;
}

/**
 * Inside a project, one stderr line: where the settings come from, so a surprising endpoint or key
 * can be traced. Outside one, nothing: the variables are all import has ever read there.
 */
function settingsNote(found: StackSettings): string | undefined {
  if (found.kind === "stack") {
    return `reading settings from stack ${found.stack}'s copass:* config in ${found.dir}, then the COPASS_* variables`;
  }
  if (found.kind === "no-stack") {
    return `no stack is selected in ${found.dir}: reading settings from the COPASS_* variables only (pass --stack <name> to read a stack's config)`;
  }
  return undefined;
}

async function runImport(command: ImportCommand, settings: ProviderSettings, io: CliIo): Promise<void> {
  const client = new CopassClient({
    apiUrl: settings.apiUrl,
    apiKey: settings.apiKey,
    requestTimeoutMs: settings.requestTimeoutMs,
    ...(settings.encryptionToken === undefined ? {} : { encryptionToken: settings.encryptionToken }),
  });
  let listed;
  try {
    listed = await client.listSources(command.sandboxId, { provider: "user_mcp" });
  } finally {
    await client.close();
  }
  const plan = planImport(command.sandboxId, listed.sources);
  const text = { typescript: renderProgram, json: renderJson, "pulumi-import": renderPulumiImport }[
    command.format
  ](plan);
  for (const note of renderNotes(plan)) io.stderr(note);
  if (plan.sources.length === 0) {
    io.stderr(`sandbox ${command.sandboxId} has no user_mcp sources to import`);
  }
  if (command.out === undefined) {
    io.stdout(text);
    return;
  }
  try {
    io.writeFile(command.out, text, command.force);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // Created since the check in `main`: still never replaced without --force.
    if (code === "EEXIST" && !command.force) throw new CliUsageError(overwriteRefusal(command.out));
    throw new OutputFileError(`cannot write ${command.out}${typeof code === "string" ? ` (${code})` : ""}`);
  }
  const count = plan.sources.length;
  io.stderr(`wrote ${count} source${count === 1 ? "" : "s"} to ${command.out}`);
}

/**
 * A failure as the user should read it: what failed, why, and what to do; settings are named as
 * import read them (`sources`), in the provider's words (settingsAdvice).
 */
function explain(err: unknown, sandboxId: string, sources: SettingSources): string {
  if (isCopassError(err)) {
    const advice = settingsAdvice(err, sources);
    if (err.status === 401 && advice !== undefined) return advice;
    if (err.code === "COPASS_NOT_FOUND") {
      return (
        `sandbox ${sandboxId} was not found for this API key (HTTP 404): check --sandbox, and that ` +
        `${settingName("apiKey", sources)} holds the key of the tenant that owns the sandbox`
      );
    }
    return `cannot list the sources of sandbox ${sandboxId}: ${advice ?? err.message}`;
  }
  if (
    err instanceof ImportError ||
    err instanceof ProviderConfigError ||
    err instanceof OutputFileError ||
    err instanceof PulumiStackError
  ) {
    return err.message;
  }
  if (err instanceof CopassConfigError) return err.message;
  // Anything else is a bug: say which kind without a message that could carry a value.
  return `import failed unexpectedly (${err instanceof Error ? err.name : typeof err}); please report it`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ");
}

if (require.main === module) {
  main(process.argv.slice(2), process.env, processIo).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`pulumi-copass: ${err instanceof Error ? err.name : "error"}\n`);
      process.exitCode = 1;
    },
  );
}
