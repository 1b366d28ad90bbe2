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
 *
 * One URN can hold two states (issue 22): a create-before-delete replace whose delete failed
 * leaves the old copy in state, `delete: true`, beside the new one, and the refresh reads both.
 * Each copy is judged on its own (keyed by URN, pending delete and id), so the order of their
 * events never decides which one the report shows.
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
  /**
   * The old copy of a replacement whose delete failed (state's `delete: true`): the next
   * `pulumi up` deletes it. Judged like any copy, but only an error of it changes the outcome.
   */
  pendingDelete: boolean;
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
  /** True for a copy pending deletion after a replacement (apitype StepEventStateMetadata). */
  delete?: boolean;
  outputs?: Record<string, unknown>;
}
export interface StepMetadataLike {
  op: string;
  urn: string;
  type: string;
  old?: StepState | null;
  new?: StepState | null;
}
export interface EngineEventLike {
  resourcePreEvent?: { metadata: StepMetadataLike };
  resOutputsEvent?: { metadata: StepMetadataLike };
  diagnosticEvent?: { urn?: string; message: string; severity: string };
}

/** One copy of a resource in state, as the refresh's events show it. */
interface Seen {
  urn: string;
  type: string;
  pendingDelete: boolean;
  pre?: StepMetadataLike;
  out?: StepMetadataLike;
  error?: string;
}

/** A copy's key: the URN alone is not one (a pending-delete copy shares it with the live one). */
function copyKey(meta: StepMetadataLike): string {
  const state = meta.old ?? meta.new;
  return JSON.stringify([meta.urn, state?.delete === true, state?.id ?? ""]);
}

/** Whether an event's step is about a copy pending deletion. */
export function isPendingDelete(meta: StepMetadataLike): boolean {
  return (meta.old ?? meta.new)?.delete === true;
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

function judge(seen: Seen): SourceVerdict {
  const { urn } = seen;
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
    pendingDelete: seen.pendingDelete,
    state,
    changes,
    before: healthOf(olds),
    now,
    ...extra,
  });
  if (seen.error !== undefined) return verdict("cannot verify", [], null, { message: seen.error });
  if (!seen.out) return verdict("cannot verify", [], null, { message: NOT_READ });
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

/**
 * A source whose read never finished. Why is said elsewhere in the report: another source's
 * message, another resource's error, or Pulumi's own failure (an engine crash, a cancel).
 */
export const NOT_READ = "not read: the refresh stopped before this read finished (the report says where)";

/** The engine's closing line says only that a step failed: the step's own message says why. */
const STEP_FAILED = /^(preview|refresh|update) failed$/i;

const NOT_JUDGED = /^pulumi:(providers:|pulumi:Stack$)/;

/**
 * The events of one refresh preview, and Pulumi's own failure message when the preview failed
 * (null when it passed) → verdicts, counts and errors. Pulumi's failure is an error of the report
 * unless something explains it: a source's own failed read or an error of another resource. A
 * source that merely was not read explains nothing (issue 22: an engine crash or a cancel leaves
 * every unfinished source so, with no diagnostic).
 */
export function classify(events: readonly EngineEventLike[], failure: string | null = null): Classification {
  const copies = new Map<string, Seen>();
  const diagnostics: { urn?: string; message: string }[] = [];
  const seen = (meta: StepMetadataLike): Seen => {
    const key = copyKey(meta);
    const entry = copies.get(key) ?? { urn: meta.urn, type: meta.type, pendingDelete: isPendingDelete(meta) };
    copies.set(key, entry);
    return entry;
  };
  for (const event of events) {
    if (event.resourcePreEvent) seen(event.resourcePreEvent.metadata).pre = event.resourcePreEvent.metadata;
    if (event.resOutputsEvent) seen(event.resOutputsEvent.metadata).out = event.resOutputsEvent.metadata;
    const diag = event.diagnosticEvent;
    if (diag?.severity === "error") diagnostics.push({ urn: diag.urn, message: cleanMessage(diag.message) });
  }
  const all = [...copies.values()];
  const errors: string[] = [];
  for (const { urn, message } of diagnostics) {
    // A diagnostic names a URN, not a copy: it belongs to the source copies whose read did not finish.
    const unread = all.filter((c) => c.urn === urn && SOURCE_TYPES.includes(c.type) && !c.out);
    for (const copy of unread) copy.error ??= message;
    if (unread.length === 0 && !STEP_FAILED.test(message)) {
      errors.push(urn ? `${resourceName(urn)}: ${message}` : message);
    }
  }
  const sources: SourceVerdict[] = [];
  let count = 0;
  let changedByRefresh = 0;
  for (const entry of all) {
    if (SOURCE_TYPES.includes(entry.type)) sources.push(judge(entry));
    else if (!NOT_JUDGED.test(entry.type)) {
      count++;
      if (entry.out && entry.out.op !== "same") changedByRefresh++;
    }
  }
  const explained = errors.length > 0 || all.some((c) => c.error !== undefined);
  if (failure !== null && !explained) errors.push(`pulumi: ${failure}`);
  sources.sort(byNameThenCopy);
  return { sources, otherResources: { count, changedByRefresh }, errors };
}

/** Name, then URN, then the live copy before the pending-delete ones, then id: a stable order. */
function byNameThenCopy(a: SourceVerdict, b: SourceVerdict): number {
  const key = (s: SourceVerdict) => [s.name, s.urn, s.pendingDelete ? "1" : "0", s.id ?? ""];
  const [ka, kb] = [key(a), key(b)];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
  return 0;
}

/**
 * The most serious outcome among the verdicts and errors; errors include "cannot verify". A copy
 * pending delete counts only when it cannot be verified: whatever Copass holds for it, the next
 * `pulumi up` deletes it, so its drift is no drift of the program (gone is what it is meant to be).
 */
export function outcomeOf(classification: Classification): Outcome {
  const states = new Set(
    classification.sources.filter((s) => !s.pendingDelete || s.state === "cannot verify").map((s) => s.state),
  );
  if (classification.errors.length > 0 || states.has("cannot verify")) return "error";
  if (states.has("changed") || states.has("gone")) return "configuration drift";
  if (states.has("unhealthy")) return "health drift";
  return "in sync";
}
