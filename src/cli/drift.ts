/**
 * `pulumi-copass drift`: argv, progress on stderr, the report on stdout (or `--out`), the exit
 * code. The refresh preview is drift-refresh.ts, the verdicts drift-classify.ts, the formats
 * drift-render.ts.
 *
 * Every failure, ours or Pulumi's, still produces a report (outcome `error`, the message in
 * `errors`), so a pipeline reading the json or posting the markdown always has one; the same
 * message goes to stderr as `pulumi-copass: drift: …`. Every string of the report is redacted with
 * every secret the environment holds before it is formatted (DESIGN §6), and every stderr line too.
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { MIN_REDACTABLE_LENGTH, redact } from "../redact";
import {
  EXIT_CODES,
  SOURCE_TYPES,
  classify,
  isPendingDelete,
  resourceName,
  type Classification,
  type EngineEventLike,
  type StepMetadataLike,
} from "./drift-classify";
import { REPORT_FORMATS, buildReport, redactReport, render, type ReportFormat } from "./drift-render";
import { DriftError, refreshPreview, type RefreshRequest, type RefreshResult } from "./drift-refresh";
import { flagProblem } from "./flags";
import type { CliIo } from "./main";

export const DRIFT_USAGE = `Usage: pulumi-copass drift [--stack <name>] [--cwd <dir>] [--format text|markdown|json] [--out <file>]

Previews a refresh of a Pulumi stack (pulumi refresh --preview-only, through the Automation API
and the pulumi CLI on PATH; the stack's state is never written) and reports each UserMcpSource as
in sync, unhealthy (health drift), changed (which fields, old -> new; secret fields only "changed"),
gone (deleted or revoked out of band) or cannot verify (the provider's message). Other resources
are counted, not judged. Progress goes to standard error, the report to standard output.

Options:
  --stack <name>    The stack (default: the project's selected stack)
  --cwd <dir>       The Pulumi project folder (default: the current folder)
  --format <f>      text (default), markdown (a PR comment or $GITHUB_STEP_SUMMARY), json (version 1)
  --out <file>      Write the report to this file (replacing it) instead of standard output
  --help            Show this help

Exit codes (Pulumi's own CLI uses 0-10 and 255; these stay clear of them):
  0   every source in sync
  20  health drift only: a source's MCP server fails Copass's health check
  21  configuration drift: a source changed, deleted or revoked out of band
  22  error: Pulumi's or ours (the message says which), or a source that cannot be verified
The most serious outcome wins. Credentials come from the stack's config or the COPASS_* variables,
as for pulumi up.
`;

export interface DriftCommand {
  stack?: string;
  cwd: string;
  format: ReportFormat;
  out?: string;
}

const FLAGS = {
  stack: { type: "string" },
  cwd: { type: "string" },
  format: { type: "string" },
  out: { type: "string" },
  help: { type: "boolean" },
} as const;

/** Bad usage of drift, worded with the fix. */
export class DriftUsageError extends Error {
  override name = "DriftUsageError";
}

/** Parses drift's argv (after the word `drift`); `baseDir` resolves a relative --cwd. */
export function parseDriftArgs(argv: readonly string[], baseDir: string): DriftCommand | "help" {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: true });
  } catch (err) {
    throw new DriftUsageError(`${flagProblem(err)}. Run pulumi-copass drift --help for the options`);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  if (positionals.length > 0) {
    throw new DriftUsageError("drift takes no positional arguments; give the stack as --stack <name>");
  }
  for (const flag of ["stack", "cwd", "out"] as const) {
    if (values[flag] === "") throw new DriftUsageError(`--${flag} must not be empty`);
  }
  const format = values.format ?? "text";
  if (!(REPORT_FORMATS as readonly string[]).includes(format)) {
    throw new DriftUsageError(`--format must be one of ${REPORT_FORMATS.join(", ")}, e.g. --format markdown`);
  }
  return {
    ...(values.stack === undefined ? {} : { stack: values.stack }),
    cwd: path.resolve(baseDir, values.cwd ?? "."),
    format: format as ReportFormat,
    ...(values.out === undefined ? {} : { out: values.out }),
  };
}

/** Variables whose values are secrets: the known ones, and any whose name says so. */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSPHRASE|API_?KEY|ACCESS_?KEY/i;
const KNOWN_SECRETS = [
  "COPASS_API_KEY",
  "COPASS_ENCRYPTION_TOKEN",
  "PULUMI_CONFIG_PASSPHRASE",
  "PULUMI_ACCESS_TOKEN",
];

/**
 * Every secret this process can know (DESIGN §6): the named variables, and other secret-looking
 * variables from 8 characters. A value shorter than redact's MIN_REDACTABLE_LENGTH is left out:
 * `redact` would withhold every report containing it (a passphrase `pp` occurs in "apps"), and a
 * secret that short is no secret; the provider's own messages withhold it already.
 */
export function secretsFromEnv(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(
      ([name, value]) =>
        value !== undefined &&
        value.length >= MIN_REDACTABLE_LENGTH &&
        (KNOWN_SECRETS.includes(name) || (SECRET_NAME.test(name) && value.length >= 8)),
    )
    .map(([, value]) => value as string);
}

/** A copy's name in progress lines: an old copy of a failed replacement says so. */
function copyName(meta: StepMetadataLike): string {
  return `${resourceName(meta.urn)}${isPendingDelete(meta) ? " (pending delete)" : ""}`;
}

/** One progress line when a source's read starts, ends or fails (stderr). */
function progressOf(event: EngineEventLike): string | undefined {
  const pre = event.resourcePreEvent?.metadata;
  if (pre && SOURCE_TYPES.includes(pre.type)) return `  reading ${copyName(pre)}…`;
  const out = event.resOutputsEvent?.metadata;
  if (out && SOURCE_TYPES.includes(out.type)) {
    const what = out.op === "same" ? "unchanged" : out.op === "delete" ? "not found" : "differs";
    return `  read ${copyName(out)}: ${what}`;
  }
  const diag = event.diagnosticEvent;
  if (diag?.severity === "error" && diag.urn) return `  ${resourceName(diag.urn)}: error (in the report)`;
  return undefined;
}

export interface DriftDeps {
  refresh(req: RefreshRequest): Promise<RefreshResult>;
  now(): Date;
}

const realDeps: DriftDeps = { refresh: refreshPreview, now: () => new Date() };

const EMPTY: Classification = { sources: [], otherResources: { count: 0, changedByRefresh: 0 }, errors: [] };

/** Runs `drift` with its argv (after the word); resolves with the exit code. */
export async function runDrift(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: CliIo,
  deps: DriftDeps = realDeps,
): Promise<number> {
  const secrets = secretsFromEnv(env);
  const say = (line: string) => io.stderr(redact(line, secrets));
  let command;
  try {
    command = parseDriftArgs(argv, process.cwd());
  } catch (err) {
    if (!(err instanceof DriftUsageError)) throw err;
    say(`pulumi-copass: drift: ${err.message}`);
    return EXIT_CODES.error;
  }
  if (command === "help") {
    io.stdout(DRIFT_USAGE);
    return 0;
  }
  const started = deps.now();
  say(`pulumi-copass: drift: previewing a refresh in ${command.cwd} (nothing is written to the stack)…`);
  let classification = EMPTY;
  let stack = command.stack ?? null;
  let stateAsOf: string | null = null;
  const errors: string[] = [];
  try {
    const result = await deps.refresh({
      cwd: command.cwd,
      ...(command.stack === undefined ? {} : { stack: command.stack }),
      onEvent: (event) => {
        const line = progressOf(event);
        if (line) say(line);
      },
    });
    ({ stack, stateAsOf } = result);
    classification = classify(result.events, result.failure);
  } catch (err) {
    // Anything but our own worded errors is a bug: name its kind, never a message that could carry a value.
    errors.push(
      err instanceof DriftError
        ? err.message
        : `drift failed unexpectedly (${err instanceof Error ? err.name : typeof err}); please report it`,
    );
  }
  // Redaction comes before formatting (DESIGN §6): markdown escapes `|` and a long value is cut,
  // either of which would hide a secret from a redaction of the finished text.
  const report = redactReport(
    buildReport(classification, {
      stack: stack ?? "(none)",
      stateAsOf,
      generatedAt: started.toISOString(),
      errors,
    }),
    secrets,
  );
  for (const e of report.errors) say(`pulumi-copass: drift: ${e}`);
  const text = render(report, command.format);
  if (command.out === undefined) io.stdout(text);
  else {
    try {
      // A report is regenerated on every run (and $GITHUB_STEP_SUMMARY exists before the step): replace it.
      io.writeFile(command.out, text, true);
      say(`pulumi-copass: drift: wrote the report to ${command.out}`);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      say(`pulumi-copass: drift: cannot write ${command.out}${typeof code === "string" ? ` (${code})` : ""}`);
      return EXIT_CODES.error;
    }
  }
  const seconds = ((deps.now().getTime() - started.getTime()) / 1000).toFixed(1);
  say(`pulumi-copass: drift: ${report.outcome} (exit code ${report.exitCode}) after ${seconds} s`);
  return report.exitCode;
}
