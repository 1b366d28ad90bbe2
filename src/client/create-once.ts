/**
 * "A create is never duplicated" (DESIGN §2), in one place, over the `CopassApi` interface.
 *
 * Copass has no idempotency key, so a register POST whose answer is lost (a timeout, a reset, a
 * 5xx after sending) may or may not have created a source. This module decides what happens then:
 *
 * - Failures that prove the request was not processed — it never left (connection refused, DNS,
 *   connect timeout) or the server refused it before doing the work (429) — are sent again under
 *   the retry policy (retry.ts).
 * - Failures after the request may have reached Copass are reconciled by listing the sandbox's
 *   user_mcp sources:
 *   - with an `app_namespace`, the namespace identifies the source: a live row holding it with
 *     every field Copass returns equal to the request, created after the first POST was sent, is
 *     ours; no holder at all proves the POST did not commit, and sending it again cannot duplicate
 *     (Copass refuses a second holder); a holder that differs, or that existed before the POST,
 *     means our POST was refused and the namespace belongs to someone else (a conflict). "Existed
 *     before" matters because another stack's source can equal the request in every field Copass
 *     shows (a copy of the project: only the token differs, and it is never shown); taking it
 *     would give one source two owners;
 *   - without one, nothing on the server refuses a second copy, so a second register is NEVER sent:
 *     the rows that were not in a snapshot listed before the POST and equal the request in every
 *     field are the candidates. Exactly one is the source; none fails the create as "may have been
 *     created" (the POST can still commit after the listing) naming `appNamespace` as the remedy;
 *     several fail, naming them. It never picks "the newest": any of them may be someone else's.
 *
 * API calls: with `app_namespace`, 1 on the happy path (the POST), 2 after a committed-but-lost POST
 * (POST, list); without it, 2 on the happy path (snapshot list, POST) and 3 after a lost POST.
 *
 * Why the client folder rather than the provider: the module speaks only the wire types and the
 * client's errors (no provider inputs), so anything that registers a source (the provider, an
 * import tool, a script) gets the same guarantee; and it is tested against `CopassApi` fakes and
 * the emulator without Pulumi.
 */
import type { CopassApi } from "./api";
import {
  CopassBadResponseError,
  CopassConflictError,
  CopassError,
  failureOfError,
  fateOf,
  isCopassError,
  type CopassErrorData,
} from "./errors";
import { canonicalJson } from "../canonical";
import {
  DEFAULT_RETRY_POLICY,
  backoffMs,
  decideRetry,
  sleep,
  type Failure,
  type RetryDecision,
  type RetryPolicy,
} from "./retry";
import type { DataSource, RegisterUserMcpRequest, UserMcpResult } from "./types";

export interface CreateOnceOptions {
  /** Retry policy for the re-sends that are safe; default the client's default policy. */
  policy?: RetryPolicy;
  /** Called after every failed register attempt with the decision taken (tests, debug logs). */
  onAttempt?: (event: { attempt: number; failure: Failure; decision: RetryDecision }) => void;
}

/** The created (or found) source: its id, never null, and the register outcome for it. */
export interface Created {
  id: string;
  outcome: UserMcpResult;
}

/**
 * The create may have committed and cannot be told apart: the caller must not send another register
 * and must tell the user how to find out. `candidates` lists the matching rows when there were
 * several (empty when none matched).
 */
export class CopassCreateUncertainError extends CopassError {
  override readonly code = "COPASS_CREATE_UNCERTAIN" as const;
  override name = "CopassCreateUncertainError";
  constructor(
    message: string,
    data: CopassErrorData,
    readonly candidates: readonly string[],
  ) {
    super(message, data);
  }
}

/** Registers `body` in `sandboxId` so that one call never leaves two sources (see the header). */
export async function createOnce(
  api: CopassApi,
  sandboxId: string,
  body: RegisterUserMcpRequest,
  options: CreateOnceOptions = {},
): Promise<Created> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const namespace = body.app_namespace;
  // Before the first POST can have reached Copass: a row created earlier is not this call's.
  const firstSentAt = Date.now();
  const before =
    namespace === undefined
      ? new Set((await listUserMcp(api, sandboxId)).map((s) => s.data_source_id))
      : undefined;
  let lost = false;
  for (let attempt = 1; ; attempt++) {
    let error: CopassError;
    try {
      const outcome = await api.registerUserMcp(sandboxId, body);
      if (outcome.data_source_id) return { id: outcome.data_source_id, outcome };
      // A 2xx that does not name its source committed one: find it like a lost answer.
      error = new CopassBadResponseError("Copass register answered 2xx without a data_source_id", {
        operation: "register",
      });
    } catch (caught) {
      if (!isCopassError(caught)) throw caught;
      error = caught;
    }

    const fate = fateOf(error);
    // With a namespace, a conflict right after a lost attempt may be that attempt's own source.
    const conflictAfterLoss = lost && namespace !== undefined && error.code === "COPASS_CONFLICT";
    let provenNotCommitted = fate === "not-processed";
    if (fate === "may-have-committed" || conflictAfterLoss) {
      lost = true;
      const rows = await listToReconcile(api, sandboxId, policy, error);
      const live = rows.filter(
        (row) => row.provider === "user_mcp" && !RETIRED_STATUSES.includes(row.status),
      );
      const mine = live.filter(
        (row) =>
          sameAsRequest(row, body) &&
          (before === undefined || !before.has(row.data_source_id)) &&
          !createdBefore(row, firstSentAt),
      );
      if (mine.length === 1) return { id: mine[0]!.data_source_id, outcome: outcomeFromSource(mine[0]!) };
      if (mine.length > 1) throw several(error, mine);
      if (namespace === undefined) throw mayHaveBeenCreated(error);
      // Someone else holds the namespace: our POST was refused (or will be), never committed.
      const holder = live.find((row) => row.adapter_config?.app_namespace === namespace);
      if (holder) throw heldByAnother(error, holder, namespace);
      provenNotCommitted = true;
    }
    const failure = failureOfError(error);
    const decision = decideRetry(
      { attempt, failure, operation: "register", retryAfterMs: error.retryAfterMs, provenNotCommitted },
      policy,
    );
    options.onAttempt?.({ attempt, failure, decision });
    if (!decision.retry) {
      error.attempts = attempt;
      throw error;
    }
    await sleep(decision.delayMs);
  }
}

// --- listing and matching ------------------------------------------------------------------------

/** Statuses of rows that no longer hold their namespace (reference §5, inference). */
const RETIRED_STATUSES = ["disconnected", "archived"];

async function listUserMcp(api: CopassApi, sandboxId: string): Promise<DataSource[]> {
  return (await api.listSources(sandboxId, { provider: "user_mcp" })).sources;
}

/**
 * The listing that tells whether a lost register committed. Its failure leaves that open, so it is
 * tried harder than an ordinary list: each round has the list's own retries, and a round that still
 * fails on the server's side (a 500 included) is followed by another, up to `maxAttempts` rounds.
 */
async function listToReconcile(
  api: CopassApi,
  sandboxId: string,
  policy: RetryPolicy,
  registerError: CopassError,
): Promise<DataSource[]> {
  for (let round = 1; ; round++) {
    try {
      return await listUserMcp(api, sandboxId);
    } catch (error) {
      const retriable = isCopassError(error) && fateOf(error) !== "refused";
      if (!retriable || round >= policy.maxAttempts) throw unreconciled(registerError, error);
      await sleep(backoffMs(round, policy, Math.random()));
    }
  }
}

/** The defaults Copass applies to a field the request leaves out (reference §4, emulator). */
const SERVER_DEFAULTS: Record<string, unknown> = {
  auth_header: null,
  allowed_tools: null,
  ingest_tool_calls: [],
  rate_cap_per_minute: 60,
  webhook_rate_cap_per_minute: 600,
};

/** The request fields Copass returns in `adapter_config` (the token never comes back). */
const COMPARED_CONFIG_KEYS = [
  "base_url",
  "auth_kind",
  "auth_header",
  "app_namespace",
  "allowed_tools",
  "ingest_tool_calls",
  "rate_cap_per_minute",
  "webhook_rate_cap_per_minute",
] as const;

/**
 * Whether `row` says exactly what `request` asked for, on every field Copass returns: the name and
 * each `adapter_config` key of the request (the server's default when the request left it out).
 * `adapter_config` keys are undocumented (reference §2.3), so a key the row lacks is not held
 * against it; a key it has must match. Without a requested namespace the server picks one (the
 * id), so the row's is not compared; with one, the row must hold it.
 */
export function sameAsRequest(row: DataSource, request: RegisterUserMcpRequest): boolean {
  if (row.name !== request.name) return false;
  const config = row.adapter_config ?? {};
  for (const key of COMPARED_CONFIG_KEYS) {
    const wanted = request[key] ?? SERVER_DEFAULTS[key] ?? null;
    if (key === "app_namespace") {
      if (request.app_namespace !== undefined && config.app_namespace !== request.app_namespace) return false;
      continue;
    }
    if (!(key in config) || config[key] === undefined) continue;
    if (!sameValue(key, config[key], wanted)) return false;
  }
  return true;
}

function sameValue(key: string, actual: unknown, wanted: unknown): boolean {
  if (key === "allowed_tools" && Array.isArray(actual) && Array.isArray(wanted)) {
    return canonicalJson([...actual].sort()) === canonicalJson([...wanted].sort());
  }
  if (key === "ingest_tool_calls")
    return canonicalJson(withoutNulls(actual)) === canonicalJson(withoutNulls(wanted));
  return canonicalJson(actual ?? null) === canonicalJson(wanted ?? null);
}

/** `{name, arguments: null}` and `{name}` say the same; keys sorted so order does not matter. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined));
}

/**
 * How far Copass's clock may run behind ours. A row created more than this before our first POST
 * was sent cannot be that POST's; within it, a row counts as ours (a clock skew under two minutes
 * is the norm with NTP, and the case it leaves open needs another stack to register the same
 * namespace with the same configuration within that window and our answer to be lost). A clock
 * far ahead of Copass's errs on the safe side: the create fails as a conflict, naming the holder,
 * and `adoptExisting` takes it over.
 */
export const CLOCK_SKEW_MS = 120_000;

/** Whether `row` provably existed before `sentAtMs` (our clock); false when it has no timestamp. */
export function createdBefore(row: DataSource, sentAtMs: number): boolean {
  const created = Date.parse(row.created_at ?? "");
  return Number.isFinite(created) && created < sentAtMs - CLOCK_SKEW_MS;
}

/** The register outcome equivalent to a row found by listing. */
export function outcomeFromSource(row: DataSource): UserMcpResult {
  return {
    data_source_id: row.data_source_id,
    status: row.status,
    name: row.name,
    ingestion_mode: row.ingestion_mode ?? null,
    health_error: row.health_error ?? null,
    error: null,
    detail: null,
  };
}

// --- errors --------------------------------------------------------------------------------------

function dataOf(error: CopassError, cause: unknown = error): CopassErrorData {
  return {
    operation: "register",
    status: error.status,
    apiError: error.apiError,
    detail: error.detail,
    retryAfterMs: error.retryAfterMs,
    attempts: error.attempts ?? 1,
    cause,
  };
}

function mayHaveBeenCreated(error: CopassError): CopassCreateUncertainError {
  return new CopassCreateUncertainError(
    `${error.message}. The source may have been created: the request may have reached Copass, no ` +
      "matching source was listed afterwards, and without an appNamespace a second register could " +
      "duplicate it, so none was sent. List the sandbox's sources and revoke a stray one if it " +
      "appears; set appNamespace on the resource to make creates exactly-once",
    dataOf(error),
    [],
  );
}

function several(error: CopassError, rows: DataSource[]): CopassCreateUncertainError {
  const ids = rows.map((row) => row.data_source_id);
  return new CopassCreateUncertainError(
    `${error.message}. The source may have been created, but ${ids.length} new sources match it ` +
      `exactly (${ids.join(", ")}) and none can be told to be this one: revoke the ones you do not ` +
      "want and declare the one you keep with appNamespace and adoptExisting: true",
    dataOf(error),
    ids,
  );
}

/**
 * A lost register whose namespace turned out to be held by a row it did not create: a conflict (as
 * Copass would have answered), so the caller reports the holder and changes nothing.
 */
function heldByAnother(error: CopassError, holder: DataSource, namespace: string): CopassConflictError {
  return new CopassConflictError(
    `${error.message}; listing afterwards found app_namespace ${namespace} held by source ` +
      `${holder.data_source_id}, which this request did not create`,
    dataOf(error),
  );
}

/**
 * The register error when the listing that should reconcile it failed too: same class (so still
 * ambiguous to the caller), message saying the source may exist, the listing error as cause.
 */
function unreconciled(error: CopassError, listError: unknown): CopassError {
  const Class = error.constructor as typeof CopassError;
  const why = listError instanceof Error ? listError.message : String(listError);
  return new Class(
    `${error.message}; the source may have been created, and the listing that would tell failed too ` +
      `(${why.replace(/^Copass /, "")})`,
    dataOf(error, listError),
  );
}
