/**
 * What a register proves, and what happens next: the one place that reads a register's answer, its
 * failure and the listing that reconciles a lost one (DESIGN §2, "create is never duplicated").
 * Pure (no I/O, no clock). create-once.ts runs the loop and makes the calls; client.ts asks
 * `answerFate` about a 2xx answer; retry.ts only times a re-send this module allowed (its
 * `provenNotCommitted`), it never decides one for register.
 *
 * 1. A 2xx answer (`answerFate`). Copass writes the row before it runs the health check and sets
 *    `data_source_id` "on success, and also when the health check fails" (reference §1.0), so an
 *    answer that names an id created that source, even with `error` set: treating it as a refusal
 *    would orphan a source whose token sits in Copass's vault. The exception is `namespace_conflict`:
 *    Copass refused the request, and an id next to it can only name the holder, which is never ours
 *    (the caller reports the conflict; with a lost attempt before, the listing decides, step 3).
 *    `error` without an id is a refusal; neither error nor id, a source created but not named.
 * 2. A failed attempt (`fateOf`, `nextStep`): not processed (it never left: refused connection,
 *    DNS, connect timeout; or a 429, refused before the work) is sent again; may have committed (a
 *    reset, a timeout, a 5xx, an unreadable answer) is reconciled by listing, never sent again
 *    blindly; anything else is Copass's refusal, final. With an `app_namespace`, a conflict right
 *    after a lost attempt may be that attempt's own source: reconciled too.
 * 3. The listing after a lost answer (`reconcile`), against a snapshot listed before the first
 *    POST: a row in the snapshot existed before this call and is never its source, however alike.
 *    Among the rows that appeared since, one that holds the namespace (if any was asked) and
 *    matches the request on every field (the caller's `matches`, the field table's comparator) is
 *    ours. Otherwise, with a namespace: a holder is someone else's (a conflict: a twin stack, whose
 *    source equals ours in every field Copass shows, only the never-shown token differs), and no
 *    holder proves the lost attempt did not commit (Copass keeps the namespace unique, so sending
 *    again cannot duplicate). Without one: no match is "may have been created" (the POST can still
 *    commit after the listing), several are ambiguous; a second register is never sent.
 *    No timestamp is evidence of ownership: clocks differ, and an ISO time without an offset reads
 *    as the runner's local time.
 *
 * The one window left open: a twin that registers the same namespace and configuration between our
 * snapshot and our POST, when our answer is then lost. It is as wide as one POST, not two minutes.
 */
import { NAMESPACE_CONFLICT, type CopassError } from "./errors";
import type { DataSource, UserMcpResult } from "./types";
import { isRetired } from "./vocabulary";

// --- 1. a 2xx answer ------------------------------------------------------------------------------

export type AnswerFate = "created" | "refused" | "unnamed";

/** What a 2xx register answer proves (see the header, 1). */
export function answerFate(result: UserMcpResult): AnswerFate {
  if (result.error === NAMESPACE_CONFLICT) return "refused";
  if (result.data_source_id) return "created";
  return result.error ? "refused" : "unnamed";
}

/**
 * A created answer as the caller reads it: with `error` set the source is unhealthy, so its status
 * is `error` unless Copass said otherwise, and `health_error` carries the reason (`redactText` cuts
 * the request's secrets out of the server's words). Without `error`, the answer as it came.
 */
export function createdOutcome(result: UserMcpResult, redactText: (text: string) => string): UserMcpResult {
  if (!result.error) return result;
  const reason = result.detail ? `${result.error}: ${result.detail}` : result.error;
  return {
    ...result,
    status: result.status ?? "error",
    health_error: redactText(result.health_error ?? reason),
  };
}

// --- 2. a failed attempt --------------------------------------------------------------------------

/**
 * Transport error codes raised before a request byte can have reached the server: the connection
 * was never made. (A reset, a closed socket or a read timeout can come after the server read the
 * request, so they are not here.)
 */
const NOT_SENT_CODES = [
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_CONNECT_TIMEOUT",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ENETDOWN",
  "EHOSTDOWN",
];

export type RegisterFate = "not-processed" | "may-have-committed" | "refused";

/**
 * The call never connected (refused, DNS, connect timeout, unreachable): nothing reached the
 * endpoint, which is also the usual sign of a wrong endpoint.
 */
export function neverConnected(error: CopassError): boolean {
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  const transport = error.code === "COPASS_NETWORK" || error.code === "COPASS_TIMEOUT";
  return transport && typeof code === "string" && NOT_SENT_CODES.includes(code);
}

/** What a register failure proves: not processed, maybe committed, or refused (final). */
export function fateOf(error: CopassError): RegisterFate {
  if (error.status === 429 || neverConnected(error)) return "not-processed";
  const transport = error.code === "COPASS_NETWORK" || error.code === "COPASS_TIMEOUT";
  if (
    transport ||
    error.code === "COPASS_SERVER" ||
    error.code === "COPASS_BAD_RESPONSE" ||
    // Below HTTP with an error we do not classify (an invalid response, a length mismatch).
    (error.code === "COPASS_HTTP" && error.status === undefined)
  ) {
    return "may-have-committed";
  }
  return "refused";
}

/** After a failed attempt: send it again (the retry policy times it), list first, or stop. */
export type NextStep = "resend" | "reconcile" | "give-up";

export function nextStep(error: CopassError, context: { lostBefore: boolean; namespace?: string }): NextStep {
  const fate = fateOf(error);
  if (fate === "may-have-committed") return "reconcile";
  if (context.lostBefore && context.namespace !== undefined && error.code === "COPASS_CONFLICT") {
    return "reconcile";
  }
  return fate === "not-processed" ? "resend" : "give-up";
}

// --- 3. the listing after a lost answer ------------------------------------------------------------

export type Reconciliation =
  /** This call's source. */
  | { kind: "ours"; row: DataSource }
  /** Several new rows match and none can be told to be ours (no namespace). */
  | { kind: "several"; rows: DataSource[] }
  /** The namespace is held by a row this call did not create: a conflict. */
  | { kind: "held"; holder: DataSource }
  /** The namespace is free: the lost attempt did not commit, and sending again cannot duplicate. */
  | { kind: "absent" }
  /** No namespace and no new matching row: the POST may still commit; never sent again. */
  | { kind: "unknown" };

export interface ReconcileContext {
  /** Ids of every row listed before the first POST (the snapshot). */
  before: ReadonlySet<string>;
  namespace?: string;
  /** Whether a row says exactly what the request asked for (the field table's comparator). */
  matches: (row: DataSource) => boolean;
}

export function namespaceOf(row: DataSource): unknown {
  return row.adapter_config?.app_namespace;
}

/** What the listing after a lost answer proves (see the header, 3). */
export function reconcile(rows: readonly DataSource[], context: ReconcileContext): Reconciliation {
  const { before, namespace, matches } = context;
  const live = rows.filter((row) => row.provider === "user_mcp" && !isRetired(row.status));
  const mine = live.filter(
    (row) =>
      !before.has(row.data_source_id) &&
      (namespace === undefined || namespaceOf(row) === namespace) &&
      matches(row),
  );
  if (mine.length === 1) return { kind: "ours", row: mine[0]! };
  if (mine.length > 1) return { kind: "several", rows: mine };
  if (namespace === undefined) return { kind: "unknown" };
  const holder = live.find((row) => namespaceOf(row) === namespace);
  return holder ? { kind: "held", holder } : { kind: "absent" };
}
