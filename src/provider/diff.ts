/**
 * The diff of `UserMcpSource` (DESIGN §2), pure: previous outputs against checked inputs.
 *
 * - Desired fields only: outputs-only keys (`dataSourceId`, `status`, …) and `__provider` are
 *   never compared. `status` matters only as health drift (below).
 * - Provider-only fields (`healthPolicy`, `healthTimeoutSeconds`, `healthCheckOnRefresh`,
 *   `deletionPolicy`) make no API call, but a change to them is still a change: read and delete
 *   receive only the stored outputs, so a `deletionPolicy` switched to `delete` that never reached
 *   state would silently keep revoking. The update then makes no API call and rewrites state.
 * - An unknown value anywhere in a desired field is a change (a replace for a replace field).
 * - The field table's attributes say the rest: `createOnly` (adoptExisting) is never a change;
 *   `onRemove: "keep"` (appNamespace: the API cannot clear it) makes an absent value no change;
 *   `onRemove: "replace"` (PATCH treats `null` as omitted: allowedTools; authHeader and token,
 *   whose removal is an authKind switch that must clear auth_header or the vault token) plans a
 *   replace when the value is removed; `compare: "set"` (allowedTools) ignores order.
 * - `deleteBeforeReplace` only for a replacement that stays in the same sandbox and keeps an explicit
 *   namespace; a sandbox move is create-before-delete (no outage; a failed create keeps the old).
 * - Health drift: last status not `active` and `healthPolicy` not `ignore` → an update that
 *   re-tests; a retired status (`disconnected`: revoked out of band; `archived`; terminal, the one
 *   list in client/vocabulary.ts) → `replaces: ["status"]`, so the preview says the source is
 *   registered again.
 */
import {
  FIELDS,
  FIELD_NAMES,
  containsUnknown,
  patchBodyForFields,
  specOf,
  type FieldName,
  type NormalizedInputs,
} from "./schema";
import type { DataSource, PatchUserMcpRequest } from "../client/types";
import { isRetired } from "../client/vocabulary";
import { canonicalJson } from "../canonical";
import { healthFromSource, outputsFromSource } from "./outputs";

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
}

type Props = Record<string, unknown>;

/** Equal values; scalars by `===` (most fields, and the cheap common case), the rest as JSON. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  // Two empty lists (ingestToolCalls' default, in every diff) are equal without serializing them.
  if (Array.isArray(a) && Array.isArray(b) && a.length === 0 && b.length === 0) return true;
  return canonicalJson(a) === canonicalJson(b);
}

/** Equal as sets: a server that reorders an allowlist must not look like drift. */
function sameSet(a: unknown, b: unknown): boolean {
  if (!Array.isArray(a) || !Array.isArray(b)) return same(a, b);
  return a.length === b.length && canonicalJson([...a].sort()) === canonicalJson([...b].sort());
}

/**
 * Whether the desired value of `name` in `news` differs from the recorded one in `olds`, by the
 * field's table attributes. A defaulted field missing from `olds` (state written by an older
 * version, which the installed provider must still read) was recorded as its default, which is also
 * the server's: without this, state lacking `ingestToolCalls` would plan a replacement of a source
 * nobody changed.
 */
export function fieldChanged(name: FieldName, olds: Props, news: Props): boolean {
  const spec = specOf(name);
  const wanted = news[name];
  if (containsUnknown(wanted)) return true;
  if (spec.onRemove === "keep" && wanted === undefined) return false;
  const recorded = olds[name] ?? spec.default;
  return spec.compare === "set" ? !sameSet(recorded, wanted) : !same(recorded, wanted);
}

/**
 * The API fields (the token aside: Copass never shows it) in which a Copass row differs from the
 * desired inputs: read's mapping of the row (outputs.ts `outputsFromSource`, with the inputs as the
 * prior, so a key the row does not show is not held against it), then `fieldChanged`. The one
 * comparator of "Copass row vs desired inputs": the diff of a refresh is the same rule, adoption
 * names these fields, and create's reconciliation of a lost register answer
 * (client/create-once.ts) counts a new row as its own only when none differ.
 */
export function differingFields(source: DataSource, inputs: NormalizedInputs): FieldName[] {
  const desired = inputs as unknown as Props;
  const existing = outputsFromSource(source, desired, healthFromSource(source)) as unknown as Props;
  return FIELD_NAMES.filter(
    (name) => FIELDS[name].wire !== null && name !== "token" && fieldChanged(name, existing, desired),
  );
}

/** Desired fields that changed (create-only ones aside), in table order. */
function changedFields(olds: Props, news: Props): FieldName[] {
  return FIELD_NAMES.filter((name) => !specOf(name).createOnly && fieldChanged(name, olds, news));
}

function healthPolicyOf(news: Props): unknown {
  return news.healthPolicy ?? FIELDS.healthPolicy.default;
}

/** Last known status unhealthy (but not revoked) and a policy that cares; drift reports it too. */
export function hasHealthDrift(olds: Props, news: Props): boolean {
  const status = olds.status;
  if (typeof status !== "string" || status === "active" || isRetired(status)) return false;
  return healthPolicyOf(news) !== "ignore";
}

/** What the diff found, before it is shaped for an engine: the one place that decides it. */
interface Plan {
  changed: FieldName[];
  /** Not patchable, or removed where only a new source clears it; `status` when retired. */
  replaces: string[];
  drift: boolean;
}

function plan(olds: Props, news: Props): Plan {
  const changed = changedFields(olds, news);
  const replaces: string[] = changed.filter(
    (name) =>
      specOf(name).change === "replace" || (specOf(name).onRemove === "replace" && news[name] === undefined),
  );
  if (isRetired(olds.status)) replaces.push("status");
  return { changed, replaces, drift: hasHealthDrift(olds, news) };
}

export function diff(olds: Props, news: Props): DiffResult {
  const { changed, replaces, drift } = plan(olds, news);
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

/** How one property changes, for an engine that shows each (the plugin's detailed diff). */
export interface PropertyChange {
  kind: "add" | "delete" | "update";
  replace: boolean;
  /** Compared in the outputs (`status`), not the inputs. */
  output?: true;
}

/**
 * The diff per property, by the same plan as `diff`: each changed field, and `status` when health
 * drift makes an update re-test (or a retired source is registered again). The dynamic provider
 * protocol has no place for it; the plugin's preview names each property with it.
 */
export function propertyChanges(olds: Props, news: Props): Record<string, PropertyChange> {
  const { changed, replaces, drift } = plan(olds, news);
  const changes: Record<string, PropertyChange> = {};
  for (const name of changed) {
    const recorded = olds[name] ?? specOf(name).default;
    const kind = recorded === undefined ? "add" : news[name] === undefined ? "delete" : "update";
    changes[name] = { kind, replace: replaces.includes(name) };
  }
  if (replaces.includes("status") || drift) {
    changes.status = { kind: "update", replace: replaces.includes("status"), output: true };
  }
  return changes;
}

/**
 * What an update does, from one comparison of the fields (issue 24: an update compared them twice):
 * - `body`, the PATCH: only the changed patchable fields, the token only when it changed;
 *   `auth_header` goes along whenever `auth_kind` becomes `header_token` (the API requires it then);
 * - `retest`: after a change to the connection (baseUrl, authKind, token, authHeader), or to heal
 *   health drift.
 */
export function updatePlan(
  olds: Props,
  news: NormalizedInputs,
): { body: PatchUserMcpRequest; retest: boolean } {
  const changed = changedFields(olds, news as unknown as Props);
  const fields = changed.filter((name) => FIELDS[name].wire !== null);
  if (fields.includes("authKind") && news.authKind === "header_token" && !fields.includes("authHeader")) {
    fields.push("authHeader");
  }
  return {
    body: patchBodyForFields(news, fields),
    retest:
      changed.some((name) => FIELDS[name].change === "update-then-retest") ||
      hasHealthDrift(olds, news as unknown as Props),
  };
}
