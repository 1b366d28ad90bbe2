/**
 * The diff of `UserMcpSource` (DESIGN §2), pure: previous outputs against checked inputs.
 *
 * - Desired fields only: outputs-only keys (`dataSourceId`, `status`, …) and `__provider` are
 *   never compared. `status` matters only as health drift (below).
 * - Provider-only fields (`healthPolicy`, `healthTimeoutSeconds`, `healthCheckOnRefresh`,
 *   `deletionPolicy`) make no API call, but a change to them is still a change: read and delete
 *   receive only the stored outputs, so a `deletionPolicy` switched to `delete` that never reached
 *   state would silently keep revoking. The update then makes no API call and rewrites state.
 *   `adoptExisting` alone is ignored: it only steers create.
 * - An unknown value anywhere in a desired field is a change (a replace for a replace field).
 * - `appNamespace` absent from the program means "keep the server's": the API cannot clear it.
 * - `allowedTools` removed (back to "all tools") plans a replace: PATCH treats `null` as omitted,
 *   so the list cannot be cleared in place.
 * - `deleteBeforeReplace` only for a replacement that stays in the same sandbox and keeps an explicit
 *   namespace; a sandbox move is create-before-delete (no outage; a failed create keeps the old).
 * - Health drift: last status not `active` and `healthPolicy` not `ignore` → an update that
 *   re-tests; `disconnected` (revoked out of band, terminal) → `replaces: ["status"]`, so the
 *   preview says the source is registered again.
 */
import {
  FIELDS,
  FIELD_NAMES,
  containsUnknown,
  patchBodyOf,
  type FieldName,
  type NormalizedInputs,
} from "./schema";
import type { PatchUserMcpRequest } from "../client/types";

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
}

type Props = Record<string, unknown>;

/** Fields whose change means nothing after create. */
const CREATE_ONLY: ReadonlySet<FieldName> = new Set(["adoptExisting"]);

/** JSON with sorted object keys, so `{a,b}` equals `{b,a}`. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Not an object or array: equal exactly when `===` says so (JSON adds nothing for state values). */
function isScalar(value: unknown): boolean {
  return value === null || typeof value !== "object";
}

function sameToolSet(a: unknown, b: unknown): boolean {
  if (!Array.isArray(a) || !Array.isArray(b)) return canonical(a) === canonical(b);
  return canonical([...a].sort()) === canonical([...b].sort());
}

/**
 * Whether the desired value of `name` in `news` differs from the recorded one in `olds`. A
 * defaulted field missing from `olds` (state written by an older version, which the installed
 * provider must still read) was recorded as its default, which is also the server's: without this,
 * state lacking `ingestToolCalls` would plan a replacement of a source nobody changed.
 */
export function fieldChanged(name: FieldName, olds: Props, news: Props): boolean {
  const wanted = news[name];
  if (containsUnknown(wanted)) return true;
  if (name === "appNamespace" && wanted === undefined) return false;
  const recorded = olds[name] ?? (FIELDS[name] as { default?: unknown }).default;
  // The allowlist is a set: a server that reorders it must not look like drift.
  if (name === "allowedTools") return !sameToolSet(recorded, wanted);
  // Most fields are strings, numbers or booleans: compare them as they are. Serialising every
  // field twice was three quarters of a no-op diff's time, paid per resource on every preview.
  if (isScalar(recorded) && isScalar(wanted)) return recorded !== wanted;
  return canonical(recorded) !== canonical(wanted);
}

/** Desired fields that changed (create-only ones aside), in table order. */
export function changedFields(olds: Props, news: Props): FieldName[] {
  return FIELD_NAMES.filter((name) => !CREATE_ONLY.has(name) && fieldChanged(name, olds, news));
}

function healthPolicyOf(news: Props): unknown {
  return news.healthPolicy ?? FIELDS.healthPolicy.default;
}

/** Last known status unhealthy (but not revoked) and a policy that cares. */
export function hasHealthDrift(olds: Props, news: Props): boolean {
  const status = olds.status;
  if (typeof status !== "string" || status === "active" || status === "disconnected") return false;
  return healthPolicyOf(news) !== "ignore";
}

export function diff(olds: Props, news: Props): DiffResult {
  const changed = changedFields(olds, news);
  const replaces: string[] = changed.filter((name) => FIELDS[name].change === "replace");
  if (changed.includes("allowedTools") && news.allowedTools === undefined) replaces.push("allowedTools");
  if (olds.status === "disconnected") replaces.push("status");
  const drift = hasHealthDrift(olds, news);
  const explicitNamespace = typeof news.appNamespace === "string" && !containsUnknown(news.appNamespace);
  return {
    changes: changed.length > 0 || replaces.length > 0 || drift,
    replaces,
    // Copass keeps namespaces unique among a sandbox's active sources: a replacement in the same
    // sandbox with the same namespace needs the old one gone first. A move to another sandbox
    // creates the new source first, so the old one keeps working until it exists (and stays if the
    // create fails).
    deleteBeforeReplace:
      replaces.length > 0 &&
      explicitNamespace &&
      news.appNamespace === olds.appNamespace &&
      !changed.includes("sandboxId"),
  };
}

/**
 * PATCH body of an update: only the changed patchable fields, the token only when it changed.
 * `auth_header` goes along whenever `auth_kind` becomes `header_token` (the API requires it then).
 */
export function patchBody(olds: Props, news: NormalizedInputs): PatchUserMcpRequest {
  const fields = changedFields(olds, news as unknown as Props).filter((name) => FIELDS[name].wire !== null);
  if (fields.includes("authKind") && news.authKind === "header_token" && !fields.includes("authHeader")) {
    fields.push("authHeader");
  }
  return patchBodyOf(news, fields);
}

/** After a change to the connection (baseUrl, authKind, token, authHeader), or to heal drift. */
export function needsRetest(olds: Props, news: Props): boolean {
  return (
    changedFields(olds, news).some((name) => FIELDS[name].change === "update-then-retest") ||
    hasHealthDrift(olds, news)
  );
}
