/**
 * "A create is never duplicated" (DESIGN §2), in one place, over the `CopassApi` interface: the loop
 * that registers, and after a lost answer lists, and decides by register-fate.ts (what an answer, a
 * failure and a listing prove; read its header for the rules).
 *
 * Copass has no idempotency key, so a register POST whose answer is lost (a timeout, a reset, a 5xx
 * after sending) may or may not have created a source. Every create therefore lists the sandbox's
 * user_mcp sources first (the snapshot): a row in it existed before this call and is never its
 * source, however alike (a twin stack's source equals ours in every field Copass shows). After a
 * lost answer the loop lists again; a new row that holds the namespace and matches the request is
 * ours, a holder that is not is a conflict (`heldByAnother`), no holder sends the POST again
 * (Copass refuses a second holder, so that cannot duplicate), and without a namespace no second
 * POST is ever sent (none matching: "may have been created"; several: named).
 *
 * API calls: 2 on the happy path (snapshot list, POST), with or without `app_namespace`, and 3
 * after a committed-but-lost POST (list, POST, list). The snapshot is the price of never taking a
 * twin stack's source (issue 15 §2): a timestamp cannot replace it (clocks differ). A caller that
 * has just listed the sandbox (adoption looked for a holder) passes that listing as `snapshot`.
 *
 * Where it lives, and the comparator: the client folder, speaking wire types only, so that anything
 * that registers a source (the provider, an import tool, a script) gets the same guarantee and the
 * loop is tested against `CopassApi` fakes and the emulator without Pulumi. "Does this row say
 * what we asked for?" is NOT decided here: the caller passes `matches`. The provider passes the
 * field table's comparator (provider/diff.ts `differingFields`, the one that serves the diff and
 * adoption too), so there is no second table of compared keys and server defaults to keep in step.
 */
import type { CopassApi } from "./api";
import {
  CopassBadResponseError,
  CopassCancelledError,
  CopassConflictError,
  CopassError,
  failureOfError,
  isCopassError,
  type CopassErrorData,
} from "./errors";
import { answerFate, fateOf, nextStep, reconcile } from "./register-fate";
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
  /**
   * Whether a listed row says exactly what the request asked for, on every field Copass returns
   * (see the header: the provider passes the field table's comparator). Required: a row that merely
   * holds the namespace is never enough.
   */
  matches: (row: DataSource) => boolean;
  /** A listing of the sandbox's user_mcp sources taken before this call; default: list now. */
  snapshot?: readonly DataSource[];
  /** Retry policy for the re-sends that are safe; default the client's default policy. */
  policy?: RetryPolicy;
  /** Called after every failed register attempt with the decision taken (tests, debug logs). */
  onAttempt?: (event: { attempt: number; failure: Failure; decision: RetryDecision }) => void;
  /**
   * Pulumi's Cancel. Aborted before the first POST: nothing is sent. Aborted later: no wait and no
   * second POST; a lost answer is still reconciled (the listings go on without their waits), since
   * only a listing can tell whether a source was made that state must keep.
   */
  cancel?: AbortSignal;
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
  options: CreateOnceOptions,
): Promise<Created> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const { cancel } = options;
  const namespace = body.app_namespace;
  // Before the first POST can have reached Copass: a row listed now is not this call's. Only the
  // ids are read: in a full sandbox, validating every row cost as much again as parsing it.
  const before = new Set(
    options.snapshot?.map((row) => row.data_source_id) ??
      (await api.listSourceIds(sandboxId, { provider: USER_MCP })),
  );
  if (cancel?.aborted) throw notSent();
  let lostBefore = false;
  for (let attempt = 1; ; attempt++) {
    let error: CopassError;
    try {
      const outcome = await api.registerUserMcp(sandboxId, body);
      if (answerFate(outcome) === "created") return { id: String(outcome.data_source_id), outcome };
      // A 2xx that does not name its source committed one: find it like a lost answer. (A refusal
      // never gets here: `registerUserMcp` throws it, as `CopassApi` requires.)
      error = new CopassBadResponseError("Copass register answered 2xx without a data_source_id", {
        operation: "register",
      });
    } catch (caught) {
      if (!isCopassError(caught)) throw caught;
      error = caught;
    }

    const step = nextStep(error, { lostBefore, namespace });
    let provenNotCommitted = step === "resend";
    if (step === "reconcile") {
      lostBefore = true;
      const rows = await listToReconcile(api, sandboxId, policy, error, cancel);
      const found = reconcile(rows, { before, namespace, matches: options.matches });
      if (found.kind === "ours")
        return { id: found.row.data_source_id, outcome: outcomeFromSource(found.row) };
      if (found.kind === "several") throw several(error, found.rows);
      if (found.kind === "unknown") throw mayHaveBeenCreated(error);
      if (found.kind === "held") throw heldByAnother(error, found.holder, String(namespace));
      // "absent": nothing holds the namespace, so the lost attempt did not commit.
      provenNotCommitted = true;
    }
    const failure = failureOfError(error);
    const decision = decideRetry(
      { attempt, failure, operation: "register", retryAfterMs: error.retryAfterMs, provenNotCommitted },
      policy,
    );
    options.onAttempt?.({ attempt, failure, decision });
    if (decision.retry) await sleep(decision.delayMs, cancel);
    // Cancelled: no second POST; the failed one did not commit (`provenNotCommitted`), or is what to report.
    if (!decision.retry || cancel?.aborted) {
      error.attempts = attempt;
      throw error;
    }
  }
}

// --- listing -------------------------------------------------------------------------------------

const USER_MCP = "user_mcp";

/** The sandbox's user_mcp sources, one list call (create's snapshot, adoption's lookup). */
export async function listUserMcp(api: CopassApi, sandboxId: string): Promise<DataSource[]> {
  return (await api.listSources(sandboxId, { provider: USER_MCP })).sources;
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
  cancel: AbortSignal | undefined,
): Promise<DataSource[]> {
  for (let round = 1; ; round++) {
    try {
      return await listUserMcp(api, sandboxId);
    } catch (error) {
      const retriable = isCopassError(error) && fateOf(error) !== "refused";
      if (!retriable || round >= policy.maxAttempts) throw unreconciled(registerError, error);
      // Cancelled: the rounds go on without their waits (see CreateOnceOptions.cancel).
      await sleep(backoffMs(round, policy, Math.random()), cancel);
    }
  }
}

function notSent(): CopassCancelledError {
  return new CopassCancelledError(
    "Copass register was not sent: the operation was cancelled (Ctrl-C) before it; nothing was created",
    { operation: "register" },
  );
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
