/**
 * One error hierarchy for every way a Copass call can fail (after undici's lib/core/errors.js).
 * Each class has a stable `code` callers may switch on. `instanceof` works too, even across two
 * loaded copies of the package (Pulumi's host may load a second one): the classes are branded with
 * `Symbol.for` keys and answer `Symbol.hasInstance` (../brand.ts).
 *
 * Messages are built (call-errors.ts) from the operation, the HTTP status and the server's
 * `error`/`detail`, and are passed through `redact` with every secret the client knows (API key,
 * MCP token of the request), so a server that echoes a credential still cannot leak it through an
 * error.
 */
import { hasBrand, markBrands } from "../brand";
import type { Failure } from "./retry";
import type { Operation } from "./types";

export type CopassErrorCode =
  | "COPASS_VALIDATION"
  | "COPASS_AUTH"
  | "COPASS_NOT_FOUND"
  | "COPASS_CONFLICT"
  | "COPASS_RATE_LIMITED"
  | "COPASS_SERVER"
  | "COPASS_NETWORK"
  | "COPASS_TIMEOUT"
  | "COPASS_BAD_RESPONSE"
  | "COPASS_CREATE_UNCERTAIN"
  | "COPASS_CANCELLED"
  | "COPASS_HTTP";

export interface CopassErrorData {
  operation: Operation;
  /** HTTP status, when a response arrived. */
  status?: number;
  /** Copass machine code from the `error` field of the body (not contractual; reference §5). */
  apiError?: string;
  /** Human-readable `detail` from the body, redacted. */
  detail?: string;
  /** Parsed `Retry-After`, in milliseconds. */
  retryAfterMs?: number;
  /** How many attempts were made before giving up. */
  attempts?: number;
  /**
   * The Copass API the call went to (`scheme://host[:port][/base path]`), so a message can say
   * which endpoint refused or could not be reached; set for HTTP and transport failures.
   */
  endpoint?: string;
  cause?: unknown;
}

export class CopassError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, this);
  }

  readonly code: CopassErrorCode = "COPASS_HTTP";
  readonly operation: Operation;
  readonly status?: number;
  readonly apiError?: string;
  readonly detail?: string;
  readonly retryAfterMs?: number;
  readonly endpoint?: string;
  attempts?: number;

  constructor(message: string, data: CopassErrorData) {
    super(message, data.cause === undefined ? undefined : { cause: data.cause });
    this.name = "CopassError";
    this.operation = data.operation;
    this.status = data.status;
    this.apiError = data.apiError;
    this.detail = data.detail;
    this.retryAfterMs = data.retryAfterMs;
    this.attempts = data.attempts;
    this.endpoint = data.endpoint;
    markBrands(this, new.target);
  }
}

/** 400/422: the request was refused as invalid; sending it again changes nothing. */
export class CopassValidationError extends CopassError {
  override readonly code = "COPASS_VALIDATION" as const;
  override name = "CopassValidationError";
}
/** 401/403: the API key is missing, wrong, or lacks access. */
export class CopassAuthError extends CopassError {
  override readonly code = "COPASS_AUTH" as const;
  override name = "CopassAuthError";
}
/** 404: the sandbox or source does not exist for this API key. */
export class CopassNotFoundError extends CopassError {
  override readonly code = "COPASS_NOT_FOUND" as const;
  override name = "CopassNotFoundError";
}
/** 409, or a 400 whose `error` code says the app namespace is taken. */
export class CopassConflictError extends CopassError {
  override readonly code = "COPASS_CONFLICT" as const;
  override name = "CopassConflictError";
}
/** 429 after the retries ran out; `retryAfterMs` holds the server's last hint. */
export class CopassRateLimitedError extends CopassError {
  override readonly code = "COPASS_RATE_LIMITED" as const;
  override name = "CopassRateLimitedError";
}
/** 5xx after the retries ran out (or at once for a register POST, which is never blindly retried). */
export class CopassServerError extends CopassError {
  override readonly code = "COPASS_SERVER" as const;
  override name = "CopassServerError";
}
/** The connection failed or was dropped before a response arrived. */
export class CopassNetworkError extends CopassError {
  override readonly code = "COPASS_NETWORK" as const;
  override name = "CopassNetworkError";
}
/** No response within the per-request timeout. */
export class CopassTimeoutError extends CopassError {
  override readonly code = "COPASS_TIMEOUT" as const;
  override name = "CopassTimeoutError";
}
/** A 2xx whose body did not match the documented shape. */
export class CopassBadResponseError extends CopassError {
  override readonly code = "COPASS_BAD_RESPONSE" as const;
  override name = "CopassBadResponseError";
}

/**
 * The work was cancelled (Pulumi's Cancel, on the first Ctrl-C) before this step could start, or
 * while it waited to retry: nothing more was sent. Never retried.
 */
export class CopassCancelledError extends CopassError {
  override readonly code = "COPASS_CANCELLED" as const;
  override name = "CopassCancelledError";
}

/**
 * The client was configured in a way that would be unsafe or cannot work (an `apiUrl` that would
 * send the API key over plain http to a non-loopback host, a malformed URL, a missing key). Thrown
 * by the constructor, before any request; it is not an API failure, so it is not a `CopassError`,
 * but it carries a stable `code` like one.
 */
export class CopassConfigError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, this);
  }

  readonly code = "COPASS_CONFIG" as const;
  override name = "CopassConfigError";
  constructor(message: string) {
    super(message);
    markBrands(this, new.target);
  }
}

/**
 * The error class for a non-2xx answer: 400/422 validation (a `namespace_conflict` code is a
 * conflict), 401/403 auth, 404 not found, 409 conflict, 429 rate limited, 5xx server; any other
 * status is a plain `CopassError` (`COPASS_HTTP`).
 */
export function errorClassForStatus(status: number, apiError?: string): typeof CopassError {
  if (status === 400 || status === 422) {
    return apiError === NAMESPACE_CONFLICT ? CopassConflictError : CopassValidationError;
  }
  if (status === 401 || status === 403) return CopassAuthError;
  if (status === 404) return CopassNotFoundError;
  if (status === 409) return CopassConflictError;
  if (status === 429) return CopassRateLimitedError;
  if (status >= 500 && status <= 599) return CopassServerError;
  return CopassError;
}

/** The emulator's (and, by inference, Copass's) `error` code for a taken app namespace. */
export const NAMESPACE_CONFLICT = "namespace_conflict";

/** `value instanceof CopassError`, spelled as a type guard. */
export function isCopassError(value: unknown): value is CopassError {
  return value instanceof CopassError;
}

/** The package's one `redact` (src/redact.ts), re-exported for the client's public surface. */
export { redact } from "../redact";

/** How a finished call failed, as the retry policy sees it (for `onAttempt` of a register). */
export function failureOfError(error: CopassError): Failure {
  if (error.status !== undefined) return { kind: "status", status: error.status };
  if (error.code === "COPASS_TIMEOUT") return { kind: "timeout" };
  if (error.code === "COPASS_NETWORK") return { kind: "network" };
  return { kind: "other" };
}
