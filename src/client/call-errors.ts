/**
 * The `CopassError` a finished call raises, built from what it got back (client.ts): a 2xx outcome
 * that refuses, a non-2xx answer, no answer, a body of the wrong shape. Apart from the hierarchy
 * (errors.ts) because reading an error body needs the wire schemas (types.ts, zod), which only the
 * client needs: the provider loads the hierarchy to classify errors, and must not pay for building
 * the wire schemas in its load (issue 18; test/package/lean-start.test.ts).
 */
import {
  CopassBadResponseError,
  CopassConflictError,
  CopassError,
  CopassNetworkError,
  CopassTimeoutError,
  CopassValidationError,
  NAMESPACE_CONFLICT,
  errorClassForStatus,
} from "./errors";
import { failureFromErrorCode, parseRetryAfter } from "./retry";
import { errorBodySchema, type Operation, type UserMcpResult } from "./types";

/** Cuts the secrets of one request out of a text. */
type Redactor = (text: string) => string;

/** A 2xx outcome whose `error` is set: a namespace conflict, or a validation refusal. */
export function outcomeError(result: UserMcpResult, operation: Operation, redactText: Redactor): CopassError {
  const Class = result.error === NAMESPACE_CONFLICT ? CopassConflictError : CopassValidationError;
  const detail = result.detail ? redactText(result.detail) : undefined;
  return new Class(redactText(`Copass ${operation} failed: ${result.error}${detail ? `: ${detail}` : ""}`), {
    operation,
    apiError: result.error ?? undefined,
    detail,
    attempts: 1,
  });
}

/** Where a call went and who may read its text: the API URL, and the call's redactor. */
export interface CallContext {
  /** The Copass API URL (origin and base path); redacted like every message. */
  endpoint: string;
  redactText: Redactor;
}

/** A non-2xx answer: the class from the status, the message from the server's `error`/`detail`. */
export function httpError(
  status: number,
  text: string,
  headers: Record<string, string | string[] | undefined>,
  operation: Operation,
  attempts: number,
  { endpoint, redactText }: CallContext,
): CopassError {
  let apiError: string | undefined;
  let detail: string | undefined;
  try {
    const body = errorBodySchema.safeParse(JSON.parse(text));
    if (body.success) {
      apiError = body.data.error ?? undefined;
      detail = formatDetail(body.data.detail);
    }
  } catch {
    // Not JSON (a proxy's HTML page): the status alone has to do.
  }
  if (detail !== undefined) detail = redactText(detail.slice(0, 500));
  if (apiError !== undefined) apiError = redactText(apiError.slice(0, 100));
  const Class = errorClassForStatus(status, apiError);
  const what = [apiError, detail].filter((s) => s !== undefined).join(": ");
  const message = `Copass ${operation} failed: HTTP ${status}${what ? ` ${what}` : ""}${tries(attempts)}`;
  return new Class(redactText(message), {
    operation,
    status,
    apiError,
    detail,
    retryAfterMs: parseRetryAfter(headers["retry-after"]),
    attempts,
    endpoint: redactText(endpoint),
  });
}

/** No answer: a timeout, a connection error, or anything else undici threw. Names the endpoint. */
export function transportError(
  error: unknown,
  operation: Operation,
  attempts: number,
  timeoutMs: number,
  context: CallContext,
): CopassError {
  const { redactText } = context;
  const endpoint = redactText(context.endpoint);
  const code = (error as { code?: string }).code;
  const failure = failureFromErrorCode(code);
  // The cause keeps only code and message: undici errors can carry sockets and request options.
  const cause = new Error(redactText(String((error as Error)?.message ?? error)));
  if (code) Object.assign(cause, { code });
  if (failure.kind === "timeout") {
    return new CopassTimeoutError(
      `Copass ${operation} failed: no response within ${timeoutMs} ms from ${endpoint} (${code})${tries(attempts)}`,
      { operation, attempts, endpoint, cause },
    );
  }
  if (failure.kind === "network") {
    return new CopassNetworkError(
      `Copass ${operation} failed: connection error (${code}) with ${endpoint}${tries(attempts)}`,
      { operation, attempts, endpoint, cause },
    );
  }
  return new CopassError(redactText(`Copass ${operation} failed: ${cause.message}`), {
    operation,
    attempts,
    endpoint,
    cause,
  });
}

/** A 2xx whose body is not the documented shape. */
export function badResponse(
  operation: Operation,
  status: number,
  why: string,
  attempts: number,
): CopassBadResponseError {
  return new CopassBadResponseError(`Copass ${operation} failed: HTTP ${status} with ${why}`, {
    operation,
    status,
    attempts,
  });
}

/** `detail` is a string for service errors and a list of `{loc, msg}` for FastAPI 422s. */
function formatDetail(detail: unknown): string | undefined {
  if (typeof detail === "string") return detail;
  if (!Array.isArray(detail)) return undefined;
  return detail
    .map((d) => {
      const item = d as { loc?: unknown; msg?: unknown };
      const loc = Array.isArray(item.loc) ? item.loc.join(".") : "";
      return `${loc}${loc ? ": " : ""}${typeof item.msg === "string" ? item.msg : "invalid"}`;
    })
    .join("; ");
}

function tries(attempts: number): string {
  return attempts > 1 ? ` (after ${attempts} attempts)` : "";
}
