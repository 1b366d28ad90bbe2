/**
 * Public contract of the local Copass emulator (DESIGN §5). Tests, the demo, the benchmark and
 * users' own CI start it through `startEmulator` (server.ts) or the `copass-emulator` bin (cli.ts).
 */

export interface EmulatorOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Host to bind; default 127.0.0.1. */
  host?: string;
  /** API keys that may call the API; each key owns the sandboxes it creates/uses (tenant). */
  apiKeys: string[];
  /** Key for the admin endpoints under `/_emulator/…` (faults, request log). Unset = admin HTTP off. */
  adminKey?: string;
  /** JSON file to persist to (atomic writes: temp file + rename). Unset = in memory only. */
  dataFile?: string;
  /** Health-check timeout per probe, ms. Default 5 000. */
  probeTimeoutMs?: number;
  /**
   * Test mode for the scrubbing of whoever reads `health_error`: a failed probe's `health_error`
   * ends with the credential the probe sent (`…; the MCP server was sent Authorization: Bearer
   * <token>`), unscrubbed. It models a Copass that relays an MCP server's answer verbatim to a
   * server that quotes the credential it got, which the emulator otherwise never does (its probe
   * reasons are value-free and it redacts the token). Default false; never for real use.
   */
  echoCredentialInHealthError?: boolean;
}

/** One line of the request log: never bodies, headers or query values that could hold a secret. */
export interface RequestLogEntry {
  method: string;
  /** Path without the query string, e.g. `/api/v1/storage/sandboxes/sb_1/sources/user-mcp`. */
  path: string;
  status: number;
  /**
   * Operation name as the emulator routed it (`register`, `patch`, `test`, `revoke`, `get`, `list`,
   * `delete`, `unknown`). Requests to the admin endpoints (`/_emulator/…`, operation `admin`) are
   * not logged, so that a harness reading or clearing the log does not change the counts.
   */
  operation: string;
  /**
   * Set when a fault rule shaped the response. For `drop` the status is 0 (nothing was sent); for
   * `commit-then-drop` it is the status the handler produced, which the client never received.
   */
  fault?: FaultAction["kind"];
  /** Wall time from request to response end, ms. */
  durationMs: number;
}

/** What an injected fault does to a matching request. */
export type FaultAction =
  /**
   * Answer with this status (and optional Retry-After seconds) without touching state. The body is
   * `body`, else `{error: "injected_fault", detail}`. With `echoSecrets`, `detail` also quotes the
   * request's API key (from `Authorization`) and the `token` of its JSON body, if any: an error
   * answer that echoes credentials, for leak scans that must be able to fail (ignored with `body`).
   */
  | { kind: "status"; status: number; retryAfterSeconds?: number; body?: unknown; echoSecrets?: boolean }
  /** Wait before handling the request normally. */
  | { kind: "delay"; ms: number }
  /** Destroy the socket without answering; state untouched. */
  | { kind: "drop" }
  /** Handle the request (commit state), then destroy the socket instead of answering. */
  | { kind: "commit-then-drop" };

export interface FaultRule {
  /** Only requests with this method (case-insensitive). */
  method?: string;
  /** Only requests whose operation is this (see RequestLogEntry.operation). */
  operation?: string;
  /** Only requests whose path contains this substring. */
  pathIncludes?: string;
  action: FaultAction;
  /** How many matching requests it applies to; default 1. `Infinity` = until reset. */
  times?: number;
}

export interface EmulatorFaults {
  /** Adds a rule; the first rule that matches a request (in insertion order) applies. */
  inject(rule: FaultRule): void;
  /** Removes every rule. */
  reset(): void;
}

export interface Emulator {
  /** Base URL, e.g. `http://127.0.0.1:43121`. */
  readonly url: string;
  readonly port: number;
  readonly faults: EmulatorFaults;
  /** Requests handled so far, oldest first. */
  requestLog(): readonly RequestLogEntry[];
  clearRequestLog(): void;
  /**
   * Resolves once no request is being handled. A request the client gave up on (aborted at its
   * deadline) is still handled and logged when it finishes, as on a real server: a test that
   * counts one step's calls awaits this first, so the last step's stragglers are not counted.
   */
  settled(): Promise<void>;
  /** Stops listening and closes open connections. Persisted state stays on disk. */
  close(): Promise<void>;
}
