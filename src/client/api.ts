/**
 * The contract of the Copass client, as the provider consumes it. `CopassClient` (client.ts)
 * implements it over undici; the provider depends only on this interface, so its tests can pass a
 * counting wrapper and the CRUD core can move to a native provider later.
 */
import type { Failure, Jitter, RetryDecision } from "./retry";
import type {
  DataSource,
  ListSourcesQuery,
  Operation,
  PatchUserMcpRequest,
  RegisterUserMcpRequest,
  SourceList,
  StatusResponse,
  UserMcpResult,
} from "./types";

export interface CopassClientOptions {
  /** Base URL, e.g. `https://api.copass.id`; trailing slashes are stripped. */
  apiUrl: string;
  /** `olk_…` API key, sent as `Authorization: Bearer <key>`; never in a message or log. */
  apiKey: string;
  /** Optional `X-Encryption-Token` header value (a secret, treated like the key). */
  encryptionToken?: string;
  /** Per-request timeout (headers and body), ms. Default 30 000. */
  requestTimeoutMs?: number;
  /** Retry policy overrides (see retry.ts for the defaults and their reasons). */
  retry?: Partial<RetryOptions>;
  /**
   * Called after every failed attempt with the retry decision taken for it (retry after a delay, or
   * give up and why). For tests, call counting and debug logs; it never sees headers or bodies.
   */
  onAttempt?: (event: AttemptEvent) => void;
  /**
   * Aborted when the work this client serves is cancelled (Pulumi's Cancel, on the first Ctrl-C):
   * from then on no call waits to retry; a failed attempt fails the call at once. A request already
   * in flight is not aborted by it (a register's answer must not be lost; each request is bounded by
   * `requestTimeoutMs`): a call that must end at once passes its own `signal`.
   */
  cancel?: AbortSignal;
}

/** One failed attempt and what the retry policy decided about it. */
export interface AttemptEvent {
  operation: Operation;
  /** 1-based number of the attempt that failed. */
  attempt: number;
  failure: Failure;
  decision: RetryDecision;
}

export interface RetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** First backoff, ms; doubled each attempt. */
  minDelayMs: number;
  /** Cap on one backoff and on an honoured Retry-After, ms. */
  maxDelayMs: number;
  /** Multiplier between backoffs; default 2. */
  factor?: number;
  /** Default "equal" (half fixed, half random). */
  jitter?: Jitter;
}

/** Per-call options. */
export interface CallOptions {
  /** Aborts the call, its retries and the waits between them (a deadline: `AbortSignal.timeout`). */
  signal?: AbortSignal;
  /**
   * Send the request once: a failed attempt is not retried (`onAttempt` still hears of it). For a
   * caller with no time budget for a retry, such as the health test under `healthTimeoutSeconds: 0`.
   */
  singleAttempt?: boolean;
}

export interface CopassApi {
  /**
   * POST …/sources/user-mcp, exactly once: never retried blindly, since Copass has no idempotency
   * key and a retried create can duplicate the source (reference §4.5). `createOnce`
   * (create-once.ts) is the register that survives a lost answer. A refusal (an outcome whose
   * `error` comes without an id, or a `namespace_conflict`) throws; an outcome that names an id is
   * returned even with `error` set, as the unhealthy source it is (register-fate.ts `answerFate`).
   */
  registerUserMcp(sandboxId: string, body: RegisterUserMcpRequest): Promise<UserMcpResult>;
  patchUserMcp(sandboxId: string, sourceId: string, body: PatchUserMcpRequest): Promise<UserMcpResult>;
  /**
   * `signal` is a deadline for the whole call, its retries and the waits between them included;
   * `singleAttempt` sends it once.
   */
  testUserMcp(sandboxId: string, sourceId: string, options?: CallOptions): Promise<UserMcpResult>;
  revokeUserMcp(sandboxId: string, sourceId: string): Promise<UserMcpResult>;
  getSource(sandboxId: string, sourceId: string): Promise<DataSource>;
  listSources(sandboxId: string, query?: ListSourcesQuery): Promise<SourceList>;
  /** The same list call, read for the rows' `data_source_id` only (create's snapshot). */
  listSourceIds(sandboxId: string, query?: ListSourcesQuery): Promise<string[]>;
  deleteSource(sandboxId: string, sourceId: string): Promise<StatusResponse>;
}
