/**
 * `pulumi-copass drift`: the report (its versioned shape, with what to do per source) and its three
 * formats: text (a terminal), markdown (a PR comment or $GITHUB_STEP_SUMMARY), json (a pipeline).
 * Pure. Redaction is done on the report's data (`redactReport`), never on the rendered text: the
 * formats escape (`|` in markdown, quotes in JSON), cut (`shown`) and break lines, and a secret so
 * transformed is no longer found by a search for it (DESIGN §6, issue 22). Renderers only format.
 *
 * Every value that came from Copass or the engine (names, URLs, health errors, messages) is shown
 * inside a code span in markdown, so a source named `<img …>` or `a | b` cannot change the table.
 */
import { redact } from "../redact";
import {
  EXIT_CODES,
  REPORT_VERSION,
  outcomeOf,
  type Classification,
  type Outcome,
  type SourceState,
  type SourceVerdict,
} from "./drift-classify";

export type ReportFormat = "text" | "markdown" | "json";
export const REPORT_FORMATS: readonly ReportFormat[] = ["text", "markdown", "json"];

export interface ReportedSource extends SourceVerdict {
  /** What to do about it, one sentence. */
  action: string;
}

/** The json format, documented in the README ("Drift in GitOps"); `version` names this shape. */
export interface DriftReport {
  version: typeof REPORT_VERSION;
  stack: string;
  /** When the stack's state was last written (the last `up` or `refresh`): the "then" side. */
  stateAsOf: string | null;
  generatedAt: string;
  outcome: Outcome;
  exitCode: number;
  sources: ReportedSource[];
  otherResources: Classification["otherResources"];
  errors: string[];
}

const HEAL = "`pulumi up --refresh`";

/** One sentence per state (a refresh first: a plain `up` diffs against the stale state). */
export function actionFor(source: SourceVerdict): string {
  if (source.pendingDelete && source.state !== "cannot verify") {
    return source.state === "gone"
      ? "nothing: a replacement meant to delete it; the next `pulumi up` drops it from state"
      : "nothing here: the old copy of a replacement whose delete failed; the next `pulumi up` deletes it";
  }
  switch (source.state) {
    case "in sync":
      return "nothing";
    case "unhealthy":
      return `ask the owner of the MCP server to fix it; then ${HEAL} re-tests it and records the result`;
    case "changed":
      return `run ${HEAL} to restore the program's values, or change the program to keep Copass's`;
    case "gone":
      return `run ${HEAL} to register it again, or remove it from the program`;
    case "cannot verify":
      return "check the provider settings the message names (copass:apiUrl, the API key), then run drift again";
  }
}

export function buildReport(
  classification: Classification,
  meta: { stack: string; stateAsOf: string | null; generatedAt: string; errors?: readonly string[] },
): DriftReport {
  const merged: Classification = {
    ...classification,
    errors: [...(meta.errors ?? []), ...classification.errors],
  };
  const outcome = outcomeOf(merged);
  return {
    version: REPORT_VERSION,
    stack: meta.stack,
    stateAsOf: meta.stateAsOf,
    generatedAt: meta.generatedAt,
    outcome,
    exitCode: EXIT_CODES[outcome],
    sources: merged.sources.map((s) => ({ ...s, action: actionFor(s) })),
    otherResources: merged.otherResources,
    errors: merged.errors,
  };
}

/**
 * `value` with every string in it (object keys too) redacted of `secrets`. Applied to the whole
 * report before any format sees it, so no escape, cut or line break can split or disguise a secret.
 */
export function redactReport<T>(value: T, secrets: readonly string[]): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return redact(v, secrets);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.entries(v).map(([k, inner]) => [redact(k, secrets), walk(inner)]));
    }
    return v;
  };
  return walk(value) as T;
}

/** Longest value shown (JSON text), in characters; a longer one is cut and ends with `…`. */
export const SHOWN_MAX = 120;

/** A value for display: JSON (strings quoted), cut at SHOWN_MAX characters. */
function shown(value: unknown): string {
  const json = JSON.stringify(value) ?? "null";
  return json.length > SHOWN_MAX ? `${json.slice(0, SHOWN_MAX - 1)}…` : json;
}

/** The source's name and id as a row shows them, `quote` wrapping each; an old copy says so. */
function sourceLabel(source: SourceVerdict, quote: (s: string) => string): string {
  const id = source.id ? ` (${quote(source.id)})` : "";
  return `${quote(source.name)}${id}${source.pendingDelete ? " (pending delete)" : ""}`;
}

/**
 * What changed, one phrase per fact, with `quote` wrapping each value (plain or a code span).
 * `stateAsOf` dates a status the state already holds (the last `up`, or a `pulumi refresh`).
 */
function whatChanged(
  source: SourceVerdict,
  quote: (s: string) => string,
  stateAsOf: string | null,
): string[] {
  const facts: string[] = [];
  if (source.state === "cannot verify") facts.push(quote(source.message ?? "no message"));
  // An old copy pending delete may be gone by its own delete (its answer lost): not always out of band.
  const how = source.pendingDelete ? "" : " out of band";
  if (source.goneBecause === "deleted") facts.push(`deleted${how}: Copass has no such source`);
  if (source.goneBecause === "revoked" || source.goneBecause === "archived") {
    facts.push(`${source.goneBecause}${how} (status ${quote(shown(source.now?.status ?? null))})`);
  }
  for (const change of source.changes) {
    facts.push(
      change.secret
        ? `${quote(change.field)} changed`
        : `${quote(change.field)}: ${quote(shown(change.old))} → ${quote(shown(change.new))}`,
    );
  }
  const { before, now } = source;
  if (source.state === "unhealthy" && now) {
    facts.push(
      before.status === now.status
        ? `status ${quote(shown(now.status))} already recorded in state${stateAsOf ? ` (as of ${stateAsOf})` : ""}`
        : `status ${quote(shown(before.status))} → ${quote(shown(now.status))}`,
    );
    if (now.healthError !== null) facts.push(`healthError ${quote(shown(now.healthError))}`);
  }
  return facts;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function tally(report: DriftReport): string {
  const counts = new Map<SourceState, number>();
  for (const s of report.sources) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
  const parts = [...counts].map(([state, n]) => `${n} ${state}`);
  const pending = report.sources.filter((s) => s.pendingDelete).length;
  const sources =
    plural(report.sources.length, "UserMcpSource") +
    (pending > 0 ? ` (${pending} pending delete)` : "") +
    (parts.length ? `: ${parts.join(", ")}` : "");
  const others = report.otherResources;
  const changed =
    others.changedByRefresh > 0 ? `, ${others.changedByRefresh} of them changed by the refresh` : "";
  return `${sources}; ${plural(others.count, "other resource")} counted, not judged${changed}`;
}

function headline(report: DriftReport): string {
  return `${report.outcome} (exit code ${report.exitCode})`;
}

export function renderText(report: DriftReport): string {
  const lines = [`Copass drift report for stack ${report.stack}: ${headline(report)}`];
  lines.push(`State as of ${report.stateAsOf ?? "unknown"}, compared at ${report.generatedAt}.`, "");
  for (const s of report.sources) {
    lines.push(`${sourceLabel(s, (v) => v)}: ${s.state}`);
    for (const fact of whatChanged(s, (v) => v, report.stateAsOf)) lines.push(`  ${fact}`);
    if (s.state !== "in sync") lines.push(`  what to do: ${s.action}`);
  }
  for (const e of report.errors) lines.push(`error: ${e}`);
  lines.push("", `${tally(report)}.`);
  return `${lines.join("\n")}\n`;
}

/**
 * Markdown code span holding `value` literally on one line; in a table cell a `|` is escaped (GFM
 * reads it as a cell border even inside a code span, and shows `\|` as `|`).
 */
export function code(value: string, inTable = true): string {
  const oneLine = value.replace(/\s*\n\s*/g, " ");
  const flat = inTable ? oneLine.replace(/\|/g, "\\|") : oneLine;
  const fence = flat.includes("`") ? "``" : "`";
  return `${fence}${fence.length > 1 ? " " : ""}${flat}${fence.length > 1 ? " " : ""}${fence}`;
}

const ICONS: Record<SourceState, string> = {
  "in sync": "✅",
  unhealthy: "🩺",
  changed: "✏️",
  gone: "❌",
  "cannot verify": "❓",
};

export function renderMarkdown(report: DriftReport): string {
  const lines = [`### Copass drift: stack ${code(report.stack, false)}: ${headline(report)}`, ""];
  if (report.sources.length > 0) {
    lines.push("| Source | State | What changed | What to do |", "| --- | --- | --- | --- |");
    for (const s of report.sources) {
      const facts = whatChanged(s, code, report.stateAsOf).join("<br>") || "nothing";
      lines.push(`| ${sourceLabel(s, code)} | ${ICONS[s.state]} ${s.state} | ${facts} | ${s.action} |`);
    }
    lines.push("");
  }
  if (report.errors.length > 0) {
    lines.push("**Errors**", "", ...report.errors.map((e) => `- ${code(e, false)}`), "");
  }
  lines.push(
    `${tally(report)}. State as of ${report.stateAsOf ?? "unknown"}, compared at ${report.generatedAt}.`,
  );
  return `${lines.join("\n")}\n`;
}

export function renderJson(report: DriftReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function render(report: DriftReport, format: ReportFormat): string {
  return format === "json"
    ? renderJson(report)
    : format === "markdown"
      ? renderMarkdown(report)
      : renderText(report);
}
