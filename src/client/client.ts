/**
 * The Copass REST client (reference §1–§2) on undici. One keep-alive `Agent` per client, created
 * on the first request (never at module load: the provider module is required inside Pulumi's
 * host, which must not open anything it does not use), and one composed dispatcher over it that
 * adds undici's retry interceptor driven by our policy (retry.ts explains the choice). Register
 * goes through the bare Agent: it is never retried blindly.
 *
 * Errors are `CopassError` subclasses (errors.ts) whose messages and details went through
 * `redact` with the API key, the encryption token and the request's MCP token; no message ever
 * includes headers or the request body.
 */
import { Agent, interceptors, type Dispatcher } from "undici";
import type { ZodType } from "zod";
import type { AttemptEvent, CallOptions, CopassApi, CopassClientOptions } from "./api";
import {
  CopassBadResponseError,
  CopassConfigError,
  CopassConflictError,
  CopassError,
  CopassNetworkError,
  CopassTimeoutError,
  CopassValidationError,
  NAMESPACE_CONFLICT,
  errorClassForStatus,
  isCopassError,
  redact,
} from "./errors";
import { checkApiUrl } from "./url";
import {
  decideRetry,
  failureFromErrorCode,
  parseRetryAfter,
  resolvePolicy,
  type Failure,
  type RetryPolicy,
} from "./retry";
import {
  dataSourceSchema,
  errorBodySchema,
  sourceListSchema,
  statusResponseSchema,
  userMcpResultSchema,
  type DataSource,
  type ListSourcesQuery,
  type Operation,
  type PatchUserMcpRequest,
  type RegisterUserMcpRequest,
  type SourceList,
  type StatusResponse,
  type UserMcpResult,
} from "./types";

const DEFAULT_TIMEOUT_MS = 30_000;
const SOURCES = "/api/v1/storage/sandboxes";

interface CallSpec<T> {
  operation: Operation;
  method: Dispatcher.HttpMethod;
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  schema: ZodType<T>;
  /** Secrets of this request (the MCP token) to redact besides the key and encryption token. */
  secrets?: (string | undefined)[];
  /** Ends the call, its retries and the waits between them included (a deadline). */
  signal?: AbortSignal;
}

export class CopassClient implements CopassApi {
  readonly #origin: string;
  readonly #basePath: string;
  readonly #apiKey: string;
  readonly #encryptionToken?: string;
  readonly #timeoutMs: number;
  readonly #policy: RetryPolicy;
  readonly #onAttempt?: (event: AttemptEvent) => void;
  #agent?: Agent;
  #retrying?: Dispatcher;

  constructor(options: CopassClientOptions) {
    const url = checkApiUrl(options.apiUrl);
    if (typeof options.apiKey !== "string" || options.apiKey.trim() === "") {
      throw new CopassConfigError("Copass API key is empty: set copass:apiKey (secret) or COPASS_API_KEY");
    }
    this.#origin = url.origin;
    this.#basePath = url.pathname.replace(/\/+$/, "");
    this.#apiKey = options.apiKey;
    this.#encryptionToken = options.encryptionToken || undefined;
    this.#timeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(this.#timeoutMs > 0)) throw new CopassConfigError("requestTimeoutMs must be a positive number");
    this.#policy = resolvePolicy(options.retry);
    this.#onAttempt = options.onAttempt;
  }

  // --- user_mcp lifecycle -------------------------------------------------------------------------

  /** One POST, never repeated (retry.ts says why); `onAttempt` still sees its failure. */
  async registerUserMcp(sandboxId: string, body: RegisterUserMcpRequest): Promise<UserMcpResult> {
    try {
      return await this.#outcome(registerSpec(sandboxId, body));
    } catch (error) {
      if (isCopassError(error)) {
        this.#onAttempt?.({
          operation: "register",
          attempt: 1,
          failure: failureOfError(error),
          decision: { retry: false, reason: "registerUserMcp sends a single POST" },
        });
      }
      throw error;
    }
  }

  patchUserMcp(sandboxId: string, sourceId: string, body: PatchUserMcpRequest): Promise<UserMcpResult> {
    return this.#outcome({
      operation: "patch",
      method: "PATCH",
      path: `${sourcePath(sandboxId, sourceId)}/user-mcp`,
      body,
      schema: userMcpResultSchema,
      secrets: [body.token],
    });
  }

  testUserMcp(sandboxId: string, sourceId: string, options: CallOptions = {}): Promise<UserMcpResult> {
    return this.#outcome({
      operation: "test",
      method: "POST",
      path: `${sourcePath(sandboxId, sourceId)}/user-mcp/test`,
      schema: userMcpResultSchema,
      signal: options.signal,
    });
  }

  revokeUserMcp(sandboxId: string, sourceId: string): Promise<UserMcpResult> {
    return this.#outcome({
      operation: "revoke",
      method: "POST",
      path: `${sourcePath(sandboxId, sourceId)}/user-mcp/revoke`,
      schema: userMcpResultSchema,
    });
  }

  // --- generic sources ----------------------------------------------------------------------------

  getSource(sandboxId: string, sourceId: string): Promise<DataSource> {
    return this.#send({
      operation: "get",
      method: "GET",
      path: sourcePath(sandboxId, sourceId),
      schema: dataSourceSchema,
    });
  }

  listSources(sandboxId: string, query: ListSourcesQuery = {}): Promise<SourceList> {
    return this.#send({
      operation: "list",
      method: "GET",
      path: `${sandboxPath(sandboxId)}/sources`,
      query: { provider: query.provider, status: query.status },
      schema: sourceListSchema,
    });
  }

  deleteSource(sandboxId: string, sourceId: string): Promise<StatusResponse> {
    return this.#send({
      operation: "delete",
      method: "DELETE",
      path: sourcePath(sandboxId, sourceId),
      schema: statusResponseSchema,
    });
  }

  /**
   * Closes the keep-alive connections. The client may be used again afterwards (a new Agent).
   * Never rejects: callers release a replaced client without awaiting it (the provider's host
   * exits on an unhandled rejection), and a socket that fails to close cleanly leaks nothing.
   */
  async close(): Promise<void> {
    const agent = this.#agent;
    this.#agent = undefined;
    this.#retrying = undefined;
    await agent?.close().catch(() => undefined);
  }

  // --- transport ----------------------------------------------------------------------------------

  async #outcome(spec: CallSpec<UserMcpResult>): Promise<UserMcpResult> {
    return this.#checkOutcome(await this.#send(spec), spec.operation, spec.secrets);
  }

  /** A 2xx outcome whose `error` is set is a refusal (reference §1.0), not a success. */
  #checkOutcome(
    result: UserMcpResult,
    operation: Operation,
    secrets?: (string | undefined)[],
  ): UserMcpResult {
    if (!result.error) return result;
    const Class = result.error === NAMESPACE_CONFLICT ? CopassConflictError : CopassValidationError;
    const detail = result.detail ? this.#redact(result.detail, secrets) : undefined;
    throw new Class(
      this.#redact(`Copass ${operation} failed: ${result.error}${detail ? `: ${detail}` : ""}`, secrets),
      {
        operation,
        apiError: result.error,
        detail,
        attempts: 1,
      },
    );
  }

  #dispatchers(): { bare: Agent; retrying: Dispatcher } {
    if (!this.#agent || !this.#retrying) {
      this.#agent = new Agent({
        keepAliveTimeout: 10_000,
        connect: { timeout: this.#timeoutMs },
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
      // throwOnError: false hands the last failed response (status, body) to us once the policy
      // gives up, so the error can carry the server's `error`/`detail`.
      this.#retrying = this.#agent.compose(interceptors.retry({ throwOnError: false }));
    }
    return { bare: this.#agent, retrying: this.#retrying };
  }

  async #send<T>(spec: CallSpec<T>): Promise<T> {
    const { bare, retrying } = this.#dispatchers();
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#apiKey}`,
      accept: "application/json",
    };
    if (spec.body !== undefined) headers["content-type"] = "application/json";
    if (this.#encryptionToken) headers["x-encryption-token"] = this.#encryptionToken;

    let attempt = 1;
    const onAttempt = this.#onAttempt;
    const policy = this.#policy;
    const operation = spec.operation;
    // Register never goes through the retry interceptor; its single failure is still reported.
    const repeatable = operation !== "register";
    const request: Dispatcher.RequestOptions & { retryOptions?: unknown } = {
      origin: this.#origin,
      path: this.#basePath + spec.path + queryString(spec.query),
      method: spec.method,
      headers,
      body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
      signal: spec.signal,
    };
    const signal = spec.signal;
    if (repeatable) {
      request.retryOptions = {
        retry(err: Error, _ctx: unknown, cb: (result?: Error | null) => void) {
          const { statusCode, headers: resHeaders, code } = err as RetryError;
          const failure: Failure =
            statusCode !== undefined ? { kind: "status", status: statusCode } : failureFromErrorCode(code);
          const retryAfterMs = parseRetryAfter(resHeaders?.["retry-after"]);
          const decision = decideRetry({ attempt, failure, operation, retryAfterMs }, policy);
          onAttempt?.({ operation, attempt, failure, decision });
          // The deadline covers the retries and the waits between them, not only one attempt.
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
        },
      };
    }

    let response: Dispatcher.ResponseData;
    let text: string;
    try {
      response = await (repeatable ? retrying : bare).request(request);
      text = await response.body.text();
    } catch (error) {
      if (signal?.aborted) {
        throw new CopassTimeoutError(`Copass ${operation} failed: no answer before the caller's deadline`, {
          operation,
          attempts: attempt,
        });
      }
      const failure = failureFromErrorCode((error as { code?: string }).code);
      throw this.#transportError(error, failure, operation, attempt, spec.secrets);
    }

    const status = response.statusCode;
    if (status < 200 || status > 299) {
      throw this.#httpError(status, text, response.headers, operation, attempt, spec.secrets);
    }
    let json: unknown;
    try {
      json = text === "" ? {} : JSON.parse(text);
    } catch {
      throw this.#badResponse(operation, status, "body is not JSON", attempt);
    }
    const parsed = spec.schema.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
        .join("; ");
      throw this.#badResponse(operation, status, `unexpected body shape (${where})`, attempt);
    }
    return parsed.data;
  }

  #httpError(
    status: number,
    text: string,
    headers: Record<string, string | string[] | undefined>,
    operation: Operation,
    attempts: number,
    secrets?: (string | undefined)[],
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
    if (detail !== undefined) detail = this.#redact(detail.slice(0, 500), secrets);
    if (apiError !== undefined) apiError = this.#redact(apiError.slice(0, 100), secrets);
    const Class = errorClassForStatus(status, apiError);
    const what = [apiError, detail].filter((s) => s !== undefined).join(": ");
    const message = `Copass ${operation} failed: HTTP ${status}${what ? ` ${what}` : ""}${tries(attempts)}`;
    return new Class(this.#redact(message, secrets), {
      operation,
      status,
      apiError,
      detail,
      retryAfterMs: parseRetryAfter(headers["retry-after"]),
      attempts,
    });
  }

  #transportError(
    error: unknown,
    failure: Failure,
    operation: Operation,
    attempts: number,
    secrets?: (string | undefined)[],
  ): CopassError {
    const code = (error as { code?: string }).code;
    // The cause keeps only code and message: undici errors can carry sockets and request options.
    const cause = new Error(this.#redact(String((error as Error)?.message ?? error), secrets));
    if (code) Object.assign(cause, { code });
    if (failure.kind === "timeout") {
      return new CopassTimeoutError(
        `Copass ${operation} failed: no response within ${this.#timeoutMs} ms (${code})${tries(attempts)}`,
        { operation, attempts, cause },
      );
    }
    if (failure.kind === "network") {
      return new CopassNetworkError(
        `Copass ${operation} failed: connection error (${code})${tries(attempts)}`,
        { operation, attempts, cause },
      );
    }
    return new CopassError(this.#redact(`Copass ${operation} failed: ${cause.message}`, secrets), {
      operation,
      attempts,
      cause,
    });
  }

  #badResponse(operation: Operation, status: number, why: string, attempts: number): CopassBadResponseError {
    return new CopassBadResponseError(`Copass ${operation} failed: HTTP ${status} with ${why}`, {
      operation,
      status,
      attempts,
    });
  }

  #redact(text: string, secrets?: (string | undefined)[]): string {
    return redact(text, [this.#apiKey, this.#encryptionToken, ...(secrets ?? [])]);
  }
}

/** The fields undici's RetryHandler hands its `retry` callback. */
interface RetryError {
  statusCode?: number;
  code?: string;
  headers?: Record<string, string | string[] | undefined>;
}

function registerSpec(sandboxId: string, body: RegisterUserMcpRequest): CallSpec<UserMcpResult> {
  return {
    operation: "register",
    method: "POST",
    path: `${sandboxPath(sandboxId)}/sources/user-mcp`,
    body,
    schema: userMcpResultSchema,
    secrets: [body.token],
  };
}

function sandboxPath(sandboxId: string): string {
  return `${SOURCES}/${encodeURIComponent(sandboxId)}`;
}

function sourcePath(sandboxId: string, sourceId: string): string {
  return `${sandboxPath(sandboxId)}/sources/${encodeURIComponent(sourceId)}`;
}

function queryString(query?: Record<string, string | undefined>): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, value);
  const s = params.toString();
  return s ? `?${s}` : "";
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

function failureOfError(error: CopassError): Failure {
  if (error.status !== undefined) return { kind: "status", status: error.status };
  if (error.code === "COPASS_TIMEOUT") return { kind: "timeout" };
  if (error.code === "COPASS_NETWORK") return { kind: "network" };
  return { kind: "other" };
}
