/**
 * `pulumi-copass drift`, the pure part: the engine events of a refresh preview → one verdict per
 * `UserMcpSource`, a count of the other resources, the outcome and its exit code. No I/O here
 * (drift-refresh.ts runs the preview, drift.ts argv and output, drift-render.ts the formats).
 *
 * What a refresh preview says about a resource (engine events of `pulumi refresh --preview-only`,
 * captured in test/cli/fixtures/drift-events): a `resourcePreEvent` (op `refresh`) when its read
 * starts, then a `resOutputsEvent` whose op is `same`, `update` (the read changed it; `old` and
 * `new` carry the outputs before and after) or `delete` (the read found it gone). A read that
 * fails leaves no `resOutputsEvent`, only a `diagnosticEvent` of severity `error` with its URN. The
 * events carry no diff for a refresh, so the fields that changed are compared here, by the
 * provider's own comparator (`fieldChanged`, the diff's), so drift and `pulumi up` never disagree
 * on what differs. Secret values arrive masked (`[secret]`) and are never shown anyway.
 */
import { FIELD_NAMES, FIELDS, specOf } from "../provider/schema";
import { fieldChanged, hasHealthDrift } from "../provider/diff";
import { isRetired } from "../client/vocabulary";

/** The dynamic face's type token, and the plugin's (issue "languages"): both are judged. */
export const SOURCE_TYPES: readonly string[] = [
  "pulumi-nodejs:dynamic/copass:UserMcpSource",
  "copass:index:UserMcpSource",
];

/** Version of the report's shape (README, "Drift in GitOps"); bumped on any incompatible change. */
export const REPORT_VERSION = 1;

export type SourceState = "in sync" | "unhealthy" | "changed" | "gone" | "cannot verify";
export type Outcome = "in sync" | "health drift" | "configuration drift" | "error";

/**
 * Exit codes a pipeline branches on. Pulumi's own CLI uses 0–10 and 255 (cmd/pulumi exit_codes.go:
 * 7 is `--expect-no-changes`), so ours sit apart from them. The most serious outcome wins.
 */
export const EXIT_CODES: Readonly<Record<Outcome, number>> = {
  "in sync": 0,
  "health drift": 20,
  "configuration drift": 21,
  error: 22,
};

export interface FieldChange {
  field: string;
  /** A secret field says only that it changed: `old` and `new` are never set for it. */
  secret: boolean;
  old?: unknown;
  new?: unknown;
}

export interface Health {
  status: string | null;
  healthError: string | null;
}

export interface SourceVerdict {
  /** The resource's logical name in the program (the URN's last part). */
  name: string;
  urn: string;
  type: string;
  /** The Copass `data_source_id` recorded in state. */
  id: string | null;
  sandboxId: string | null;
  baseUrl: string | null;
  state: SourceState;
  /** Desired fields Copass now holds differently from state, in field-table order. */
  changes: FieldChange[];
  /** Health as state recorded it (the last `up` or `refresh`). */
  before: Health;
  /** Health as the read found it; null when the source is gone or was not read. */
  now: Health | null;
  /**
   * For `gone`: deleted (the read found no source), revoked (`disconnected`) or archived: a
   * retired status (client/vocabulary.ts), terminal.
   */
  goneBecause?: "deleted" | "revoked" | "archived";
  /** For `cannot verify`: the provider's (already redacted) message, or why there is none. */
  message?: string;
}

export interface Classification {
  sources: SourceVerdict[];
  /** Every other resource of the stack (not providers, not the stack itself): counted, not judged. */
  otherResources: { count: number; changedByRefresh: number };
  /** Errors not tied to a source (another resource's read, the engine). */
  errors: string[];
}

/** The few fields of Pulumi's engine events read here (automation `EngineEvent`, as JSON). */
interface StepState {
  id?: string;
  outputs?: Record<string, unknown>;
}
interface StepMetadata {
  op: string;
  urn: string;
  type: string;
  old?: StepState | null;
  new?: StepState | null;
}
export interface EngineEventLike {
  resourcePreEvent?: { metadata: StepMetadata };
  resOutputsEvent?: { metadata: StepMetadata };
  diagnosticEvent?: { urn?: string; message: string; severity: string };
}

interface Seen {
  type: string;
  pre?: StepMetadata;
  out?: StepMetadata;
  error?: string;
}

/** A resource's logical name: the last part of its URN (`…::crm` → `crm`). */
export function resourceName(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/** The engine's wording around a provider's message ("Preview failed: …"), and its line breaks. */
export function cleanMessage(message: string): string {
  return message
    .replace(/^(preview|refresh|update) failed: /i, "")
    .replace(/\s*\n\s*/g, " ")
    .trim();
}

function text(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function healthOf(outputs: Record<string, unknown>): Health {
  return { status: text(outputs.status), healthError: text(outputs.healthError) };
}

/** Desired fields whose value Copass now has differently, by the diff's own comparator. */
function changesBetween(olds: Record<string, unknown>, news: Record<string, unknown>): FieldChange[] {
  return FIELD_NAMES.filter((name) => !specOf(name).createOnly && fieldChanged(name, olds, news)).map(
    (name) =>
      FIELDS[name].secret
        ? { field: name, secret: true }
        : { field: name, secret: false, old: olds[name] ?? null, new: news[name] ?? null },
  );
}

function judge(urn: string, seen: Seen): SourceVerdict {
  const recorded = seen.out?.old ?? seen.pre?.old ?? {};
  const olds = recorded.outputs ?? {};
  // One key order for every verdict (the json format shows it): who, then the verdict, then why.
  const verdict = (
    state: SourceState,
    changes: FieldChange[],
    now: Health | null,
    extra: Pick<SourceVerdict, "goneBecause" | "message"> = {},
  ): SourceVerdict => ({
    name: resourceName(urn),
    urn,
    type: seen.type,
    id: text(recorded.id) || text(olds.dataSourceId),
    sandboxId: text(olds.sandboxId),
    baseUrl: text(olds.baseUrl),
    state,
    changes,
    before: healthOf(olds),
    now,
    ...extra,
  });
  if (seen.error !== undefined) return verdict("cannot verify", [], null, { message: seen.error });
  if (!seen.out) {
    const message = "not read: the refresh stopped (at another resource's error) before this read finished";
    return verdict("cannot verify", [], null, { message });
  }
  const after = seen.out.new;
  if (seen.out.op === "delete" || !after || !after.id) {
    return verdict("gone", [], null, { goneBecause: "deleted" });
  }
  const news = after.outputs ?? {};
  const changes = changesBetween(olds, news);
  const now = healthOf(news);
  // Retired is terminal: the provider's diff plans a new registration for it (diff.ts).
  if (isRetired(now.status)) {
    return verdict("gone", changes, now, { goneBecause: now.status === "archived" ? "archived" : "revoked" });
  }
  if (changes.length > 0) return verdict("changed", changes, now);
  // Health drift exactly as the diff sees it: not active, and a healthPolicy that cares.
  return verdict(hasHealthDrift(news, news) ? "unhealthy" : "in sync", changes, now);
}

const NOT_JUDGED = /^pulumi:(providers:|pulumi:Stack$)/;

/** The events of one refresh preview → verdicts, counts and errors. */
export function classify(events: readonly EngineEventLike[]): Classification {
  const resources = new Map<string, Seen>();
  const errors: string[] = [];
  const seen = (meta: StepMetadata): Seen => {
    const entry = resources.get(meta.urn) ?? { type: meta.type };
    resources.set(meta.urn, entry);
    return entry;
  };
  for (const event of events) {
    if (event.resourcePreEvent) seen(event.resourcePreEvent.metadata).pre = event.resourcePreEvent.metadata;
    if (event.resOutputsEvent) seen(event.resOutputsEvent.metadata).out = event.resOutputsEvent.metadata;
    const diag = event.diagnosticEvent;
    if (diag?.severity !== "error") continue;
    const message = cleanMessage(diag.message);
    const target = diag.urn === undefined ? undefined : resources.get(diag.urn);
    if (target && SOURCE_TYPES.includes(target.type)) target.error ??= message;
    // The engine's closing line says only that a step failed: the step's own message says why.
    else if (!/^(preview|refresh|update) failed$/i.test(message)) {
      errors.push(diag.urn ? `${resourceName(diag.urn)}: ${message}` : message);
    }
  }
  const sources: SourceVerdict[] = [];
  let count = 0;
  let changedByRefresh = 0;
  for (const [urn, entry] of resources) {
    if (SOURCE_TYPES.includes(entry.type)) sources.push(judge(urn, entry));
    else if (!NOT_JUDGED.test(entry.type)) {
      count++;
      if (entry.out && entry.out.op !== "same") changedByRefresh++;
    }
  }
  sources.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.urn < b.urn ? -1 : 1));
  return { sources, otherResources: { count, changedByRefresh }, errors };
}

/** The most serious outcome among the verdicts and errors; errors include "cannot verify". */
export function outcomeOf(classification: Classification): Outcome {
  const states = new Set(classification.sources.map((s) => s.state));
  if (classification.errors.length > 0 || states.has("cannot verify")) return "error";
  if (states.has("changed") || states.has("gone")) return "configuration drift";
  if (states.has("unhealthy")) return "health drift";
  return "in sync";
}
