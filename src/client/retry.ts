/**
 * The one retry policy of the Copass client: which operations may be sent again, after which
 * failures, and how long to wait. The policy is pure (time and randomness are parameters), so it
 * is tested as a table without sockets; `undiciRetry` at the end is the adapter that plugs
 * `decideRetry` into undici's retry interceptor for one request (client.ts passes it on).
 *
 * Which operations may repeat, and why:
 * - `get`, `list`: reads.
 * - `test`: re-runs the health probe and stores its result; running it twice is running it again.
 * - `revoke`: the second revoke of a revoked source answers `disconnected` again (reference §7.8).
 * - `delete`: a repeated delete either deletes or finds nothing; the provider treats 404 as deleted.
 * - `patch`: a PATCH sets absolute values (the changed fields, never an increment), so repeating it
 *   writes the same values again.
 * - `register`: NEVER repeated blindly. Copass has no idempotency key and, without an explicit
 *   `app_namespace`, nothing on the server refuses a second copy, so a retried POST whose first
 *   response was lost duplicates the source (reference §4.5). Register is retried only by
 *   `createOnce` (create-once.ts), and only when register-fate.ts proved the failed attempt was not
 *   processed (`provenNotCommitted`); this policy then only times the re-send.
 *
 * Why undici's RetryHandler is used (`undiciRetry`, below), and where it is not enough:
 * undici 7's `interceptors.retry` handles re-dispatching the same request on the same Agent and
 * reading the response status and headers; we compose it once over the shared Agent. Its own
 * default decision does not fit: it retries by HTTP method (POST test/revoke must be retried, POST
 * register must not; PATCH is not in its list), retries 500, and does not jitter. Its `retry`
 * option accepts a callback, and each request can pass its own, so each request hands undici
 * `decideRetry` bound to its operation: one policy, undici's plumbing. Register is dispatched
 * through the bare Agent (no retry interceptor at all), and its reconciliation loop needs
 * list calls between attempts, which no transport-level retry can do; that loop asks the same
 * `decideRetry` for its delays. Timeouts are undici's `headersTimeout`/`bodyTimeout` per attempt
 * (an AbortSignal would abort the whole retried request, not one attempt); undici's timers have a
 * resolution of about one second, which is fine for a 30 s default.
 */
import type { AttemptEvent } from "./api";
import type { Operation } from "./types";

/**
 * Defaults, each with its unit and reason.
 * - maxAttempts 4: the first attempt and 3 retries; with the delays below a failing call gives up
 *   after about 2 s of backoff (longer if the server asks for it with Retry-After).
 * - minDelayMs 250: first backoff; a loopback emulator or a briefly overloaded API recovers fast.
 * - factor 2: 250, 500, 1 000, … ms.
 * - maxDelayMs 10 000: cap on one backoff AND on an honoured Retry-After, so a server asking for
 *   an hour cannot hang `pulumi up`; after the cap we try and, if refused again, give up.
 * - jitter "equal": half the backoff fixed, half random; it spreads concurrent Pulumi resources
 *   retrying together while keeping a minimum wait (full jitter could retry at once).
 *   A Retry-After hint is honoured as given (capped), never jittered below it.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 4,
  minDelayMs: 250,
  factor: 2,
  maxDelayMs: 10_000,
  jitter: "equal",
});

export type Jitter = "full" | "equal" | "none";

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** First backoff, ms. */
  minDelayMs: number;
  /** Multiplier from one backoff to the next. */
  factor: number;
  /** Cap on one backoff and on an honoured Retry-After, ms. */
  maxDelayMs: number;
  jitter: Jitter;
}

/** HTTP statuses that mean "not now" rather than "no": the request may succeed if sent again. */
export const RETRYABLE_STATUSES: readonly number[] = [429, 502, 503, 504];

/** Operations safe to send again (see the header comment for each reason). */
export const REPEATABLE_OPERATIONS: readonly Operation[] = [
  "get",
  "list",
  "test",
  "revoke",
  "delete",
  "patch",
];

/** How one attempt failed, as far as the retry decision cares. */
export type Failure =
  | { kind: "status"; status: number }
  /** The connection failed or was dropped before a complete response. */
  | { kind: "network" }
  /** No (complete) response within the per-attempt timeout. */
  | { kind: "timeout" }
  /** Anything else (invalid argument, abort, a bug): never retried. */
  | { kind: "other" };

export interface RetryInput {
  /** 1-based number of the attempt that just failed. */
  attempt: number;
  failure: Failure;
  operation: Operation;
  /** Parsed Retry-After of the failed response, ms (see `parseRetryAfter`). */
  retryAfterMs?: number;
  /** Register only: register-fate.ts proved the failed attempt did not create a source. */
  provenNotCommitted?: boolean;
  /** A number in [0, 1); injected so that tests are deterministic. Default Math.random. */
  random?: number;
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

export function resolvePolicy(overrides?: Partial<RetryPolicy>): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...optionsSet(overrides ?? {}) };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new RangeError(`retry.maxAttempts must be an integer ≥ 1, got ${policy.maxAttempts}`);
  }
  if (!(policy.minDelayMs >= 0) || !(policy.maxDelayMs >= 0) || !(policy.factor >= 1)) {
    throw new RangeError("retry delays must be ≥ 0 and retry.factor ≥ 1");
  }
  return policy;
}

/** The decision: send the failed request again (after `delayMs`) or give up, and why. */
export function decideRetry(input: RetryInput, policy: RetryPolicy = DEFAULT_RETRY_POLICY): RetryDecision {
  const { attempt, failure, operation } = input;
  // A failure that is not transient stays a failure however often it is sent.
  if (!isTransient(failure)) return { retry: false, reason: "not transient" };
  // Register repeats only on register-fate.ts's proof that the server did not do the work.
  if (operation === "register") {
    if (input.provenNotCommitted !== true)
      return { retry: false, reason: "register is never retried blindly" };
  } else if (!REPEATABLE_OPERATIONS.includes(operation)) {
    return { retry: false, reason: `operation ${operation} is not repeatable` };
  }
  if (attempt >= policy.maxAttempts) return { retry: false, reason: "attempts exhausted" };
  if (input.retryAfterMs !== undefined && input.retryAfterMs >= 0) {
    return { retry: true, delayMs: Math.min(input.retryAfterMs, policy.maxDelayMs) };
  }
  return { retry: true, delayMs: backoffMs(attempt, policy, input.random ?? Math.random()) };
}

/** Capped exponential backoff before the retry that follows failed attempt `attempt` (1-based). */
export function backoffMs(attempt: number, policy: RetryPolicy, random: number): number {
  const base = Math.min(policy.minDelayMs * policy.factor ** Math.max(0, attempt - 1), policy.maxDelayMs);
  switch (policy.jitter) {
    case "none":
      return Math.round(base);
    case "full":
      return Math.round(base * random);
    case "equal":
      return Math.round(base / 2 + (base / 2) * random);
  }
}

function isTransient(failure: Failure): boolean {
  switch (failure.kind) {
    case "status":
      return RETRYABLE_STATUSES.includes(failure.status);
    case "network":
    case "timeout":
      return true;
    case "other":
      return false;
  }
}

/**
 * `Retry-After` as milliseconds: delta-seconds ("120") or an HTTP date, relative to `nowMs`.
 * Garbage, negative numbers and absent headers give `undefined` (fall back to backoff); a date in
 * the past gives 0. The cap is applied by `decideRetry`, so errors can report the server's hint.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // Only date-shaped values: Date.parse accepts bare numbers like "-5" or "1e3" too.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** Maps an undici/Node error code to the failure kind the policy reasons about. */
export function failureFromErrorCode(code: string | undefined): Failure {
  if (code === undefined) return { kind: "other" };
  if (TIMEOUT_CODES.includes(code)) return { kind: "timeout" };
  if (NETWORK_CODES.includes(code)) return { kind: "network" };
  return { kind: "other" };
}

const TIMEOUT_CODES = [
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "ETIMEDOUT",
];
const NETWORK_CODES = [
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "ECONNRESET",
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETDOWN",
  "ENETUNREACH",
  "EHOSTDOWN",
  "EHOSTUNREACH",
  "EPIPE",
];

/** The options the caller actually set: an explicit `undefined` must not erase a default. */
function optionsSet<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * One signal that aborts when any of `signals` does (a call's deadline, Pulumi's Cancel); undefined
 * when none is given, the signal itself when one is.
 */
export function anyOf(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  return present.length > 1 ? AbortSignal.any(present) : present[0];
}

/**
 * Resolves after `ms`, or at once when `stop` aborts (Pulumi's Cancel: a wait must never outlive
 * an interrupt); the caller checks `stop.aborted` to tell the two apart. Not unref'd: a script
 * awaiting a retry must not exit in the middle of it.
 */
export function sleep(ms: number, stop?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || stop?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      stop?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop?.addEventListener("abort", done, { once: true });
  });
}

// --- the adapter to undici's retry interceptor ------------------------------------------------------

/** The fields undici's RetryHandler hands its `retry` callback. */
export interface RetryError {
  statusCode?: number;
  code?: string;
  headers?: Record<string, string | string[] | undefined>;
}

/**
 * undici `retryOptions` for one request of `operation`: each failed attempt asks `decideRetry`,
 * is reported to `onAttempt`, and is retried after the decided delay unless one of `stops` aborts
 * (the call's deadline, which covers the retries and the waits between them; the client's cancel
 * signal, which ends every wait at once). `attempts()` says how many were made. `again(failure)`
 * asks the same callback about an attempt sent outside the interceptor (the client sends the first
 * one through the bare Agent): it resolves after the decided wait, true if the request is to be sent
 * again (through the interceptor, whose attempts then count on from it).
 */
export function undiciRetry(
  operation: Operation,
  policy: RetryPolicy,
  onAttempt?: (event: AttemptEvent) => void,
  ...stops: (AbortSignal | undefined)[]
): {
  options: { retry: (err: Error, ctx: unknown, cb: (result?: Error | null) => void) => void };
  attempts(): number;
  again(failure: RetryError): Promise<boolean>;
} {
  let attempt = 1;
  const signal = anyOf(...stops);
  const retry = (err: Error, _ctx: unknown, cb: (result?: Error | null) => void): void => {
    const { statusCode, headers, code } = err as RetryError;
    const failure: Failure =
      statusCode !== undefined ? { kind: "status", status: statusCode } : failureFromErrorCode(code);
    const retryAfterMs = parseRetryAfter(headers?.["retry-after"]);
    const decision = decideRetry({ attempt, failure, operation, retryAfterMs }, policy);
    onAttempt?.({ operation, attempt, failure, decision });
    if (!decision.retry || signal?.aborted) return cb(err);
    attempt++;
    const onAbort = () => {
      clearTimeout(timer);
      cb(err);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      cb(null);
    }, decision.delayMs);
    signal?.addEventListener("abort", onAbort, { once: true });
  };
  return {
    options: { retry },
    attempts: () => attempt,
    again: (failure) =>
      new Promise((resolve) => retry(failure as Error, undefined, (stop) => resolve(!stop))),
  };
}
