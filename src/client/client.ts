/**
 * The Copass REST client (reference §1–§2) on undici (the parts we use: ./undici.ts). One keep-alive
 * `Agent` per client, created on the first request (never at module load: the provider module is required inside Pulumi's
 * host, which must not open anything it does not use), and one composed dispatcher over it that
 * adds undici's retry interceptor driven by our policy (retry.ts: the policy and its undici
 * adapter). Register goes through the bare Agent: it is never retried blindly. This file is the
 * transport and the endpoints; a create that is never duplicated is create-once.ts.
 *
 * Errors are `CopassError` subclasses built by errors.ts, whose messages and details went through
 * `redact` with the API key, the encryption token and the request's MCP token; no message ever
 * includes headers or the request body.
 */
import type { Agent, Dispatcher } from "undici";
import type { ZodType } from "zod";
import type { AttemptEvent, CallOptions, CopassApi, CopassClientOptions } from "./api";
import { badResponse, httpError, outcomeError, transportError, type CallContext } from "./call-errors";
import { CopassConfigError, CopassTimeoutError, failureOfError, isCopassError, redact } from "./errors";
import { answerFate, createdOutcome } from "./register-fate";
import { checkApiUrl } from "./url";
import { resolvePolicy, undiciRetry, type RetryPolicy } from "./retry";
import { loadUndici } from "./undici";
import {
  dataSourceSchema,
  sourceIdListSchema,
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

/** undici's Agent, retry interceptor and request API, without its entry point (./undici.ts). */
const undici = loadUndici();

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
  /** Never through the retry interceptor, whatever the operation (register always is). */
  singleAttempt?: boolean;
}

export class CopassClient implements CopassApi {
  readonly #origin: string;
  readonly #basePath: string;
  readonly #apiKey: string;
  readonly #encryptionToken?: string;
  readonly #timeoutMs: number;
  readonly #policy: RetryPolicy;
  readonly #onAttempt?: (event: AttemptEvent) => void;
  readonly #cancel?: AbortSignal;
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
    this.#cancel = options.cancel;
  }

  // --- user_mcp lifecycle -------------------------------------------------------------------------

  /**
   * One POST, never repeated (retry.ts says why); `onAttempt` still sees its failure. A 2xx answer
   * is read by register-fate.ts (`#outcome`): one that names an id created that source, even with
   * `error` set (then unhealthy), unless the error is a namespace conflict.
   */
  registerUserMcp(sandboxId: string, body: RegisterUserMcpRequest): Promise<UserMcpResult> {
    return this.#once(registerSpec(sandboxId, body), "registerUserMcp sends a single POST");
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
    const spec: CallSpec<UserMcpResult> = {
      operation: "test",
      method: "POST",
      path: `${sourcePath(sandboxId, sourceId)}/user-mcp/test`,
      schema: userMcpResultSchema,
      signal: options.signal,
    };
    if (!options.singleAttempt) return this.#outcome(spec);
    return this.#once({ ...spec, singleAttempt: true }, "the caller asked for a single attempt");
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
    return this.#send(listSpec(sandboxId, query, sourceListSchema));
  }

  async listSourceIds(sandboxId: string, query: ListSourcesQuery = {}): Promise<string[]> {
    const { sources } = await this.#send(listSpec(sandboxId, query, sourceIdListSchema));
    return sources.map((row) => row.data_source_id);
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

  /** An outcome call sent once; its failure is reported to `onAttempt` as not retried, and why. */
  async #once(spec: CallSpec<UserMcpResult>, reason: string): Promise<UserMcpResult> {
    try {
      return await this.#outcome(spec);
    } catch (error) {
      if (isCopassError(error)) {
        this.#onAttempt?.({
          operation: spec.operation,
          attempt: 1,
          failure: failureOfError(error),
          decision: { retry: false, reason },
        });
      }
      throw error;
    }
  }

  async #outcome(spec: CallSpec<UserMcpResult>): Promise<UserMcpResult> {
    const result = await this.#send(spec);
    const redactText = this.#redactor(spec.secrets);
    if (spec.operation === "register") {
      // register-fate.ts reads a register answer: an id is a created source even with `error` set.
      if (answerFate(result) === "refused") throw outcomeError(result, "register", redactText);
      return createdOutcome(result, redactText);
    }
    // A 2xx outcome of patch, test or revoke whose `error` is set is a refusal (reference §1.0).
    if (result.error) throw outcomeError(result, spec.operation, redactText);
    return result;
  }

  #dispatchers(): { bare: Agent; retrying: Dispatcher } {
    if (!this.#agent || !this.#retrying) {
      this.#agent = new undici.Agent({
        keepAliveTimeout: 10_000,
        connect: { timeout: this.#timeoutMs },
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
      // throwOnError: false hands the last failed response (status, body) to us once the policy
      // gives up, so the error can carry the server's `error`/`detail`.
      this.#retrying = this.#agent.compose(undici.retry({ throwOnError: false }));
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

    const operation = spec.operation;
    const signal = spec.signal;
    // Register never goes through the retry interceptor, nor a call asked for a single attempt;
    // their single failure is still reported (#once).
    const repeatable = operation !== "register" && spec.singleAttempt !== true;
    const retry = repeatable
      ? undiciRetry(operation, this.#policy, this.#onAttempt, signal, this.#cancel)
      : undefined;
    const request: Dispatcher.RequestOptions & { retryOptions?: unknown } = {
      origin: this.#origin,
      path: this.#basePath + spec.path + queryString(spec.query),
      method: spec.method,
      headers,
      body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
      signal,
      retryOptions: retry?.options,
    };
    const attempts = () => retry?.attempts() ?? 1;

    let response: Dispatcher.ResponseData;
    let text: string;
    try {
      response = await undici.request(repeatable ? retrying : bare, request);
      text = await response.body.text();
    } catch (error) {
      if (signal?.aborted) {
        throw new CopassTimeoutError(`Copass ${operation} failed: no answer before the caller's deadline`, {
          operation,
          attempts: attempts(),
        });
      }
      throw transportError(error, operation, attempts(), this.#timeoutMs, this.#context(spec));
    }

    const status = response.statusCode;
    if (status < 200 || status > 299) {
      throw httpError(status, text, response.headers, operation, attempts(), this.#context(spec));
    }
    let json: unknown;
    try {
      json = text === "" ? {} : JSON.parse(text);
    } catch {
      throw badResponse(operation, status, "body is not JSON", attempts());
    }
    const parsed = spec.schema.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
        .join("; ");
      throw badResponse(operation, status, `unexpected body shape (${where})`, attempts());
    }
    return parsed.data;
  }

  /** Where a call went (for its error messages) and how its texts are redacted. */
  #context(spec: CallSpec<unknown>): CallContext {
    return { endpoint: this.#origin + this.#basePath, redactText: this.#redactor(spec.secrets) };
  }

  /** Redacts the key, the encryption token and this request's `secrets` from a message. */
  #redactor(secrets?: (string | undefined)[]): (text: string) => string {
    const all = [this.#apiKey, this.#encryptionToken, ...(secrets ?? [])];
    return (text) => redact(text, all);
  }
}

/** `GET /sources`, read with `schema` (the full rows, or their ids only). */
function listSpec<T>(sandboxId: string, query: ListSourcesQuery, schema: ZodType<T>): CallSpec<T> {
  return {
    operation: "list",
    method: "GET",
    path: `${sandboxPath(sandboxId)}/sources`,
    query: { provider: query.provider, status: query.status },
    schema,
  };
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
