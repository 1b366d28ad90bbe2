/**
 * State and rules of the emulator, no HTTP (json-server's `service.ts`): sandboxes → sources, a
 * separate vault for MCP tokens, tenant ownership of sandboxes, the §5 validation rules and the
 * register sequence of reference §8. Every failure is a `StoreError` (status + stable code) or a
 * `FrameworkError` (422); `server.ts` turns them into bodies in one place.
 *
 * The token lives only in `vault` (`user_mcp/<id>/auth`). Rows carry `adapter_config.vault_ref`
 * (a non-contractual key naming the vault entry), never the secret.
 */
import { createHash, randomBytes } from "node:crypto";
import { reasonQuotingCredential, type ProbeFn, type ProbeTarget } from "./probe";
import { noPersistence, type PersistedState, type Persistence, type Vault } from "./persistence";
// The provider package's one redact (DESIGN §6), shared so both cut secrets out the same way.
import { redact } from "pulumi-copass/redact";
import { RETIRED_STATUSES } from "pulumi-copass/client";
import {
  checkConfig,
  parsePatchBody,
  parseRegisterBody,
  ValidationError,
  type AuthKind,
  type IngestToolCall,
  type RegisterBody,
  type SourceConfig,
} from "./validate";

/** A failure with an HTTP status and a stable code; `detail` never holds a request value. */
export class StoreError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail);
    this.name = "StoreError";
  }
}

export interface AdapterConfig {
  base_url: string;
  auth_kind: AuthKind;
  auth_header: string | null;
  app_namespace: string;
  allowed_tools: string[] | null;
  ingest_tool_calls: IngestToolCall[];
  rate_cap_per_minute: number;
  webhook_rate_cap_per_minute: number;
  /** Non-contractual: the vault key of the token, null when auth_kind is none. */
  vault_ref: string | null;
}

/** The flat DataSource row (reference §2.1) as the emulator stores and returns it. */
export interface SourceRow {
  data_source_id: string;
  user_id: string;
  sandbox_id: string;
  provider: "user_mcp";
  name: string;
  ingestion_mode: "user_mcp";
  status: string;
  kind: "durable";
  external_account_id: null;
  adapter_config: AdapterConfig;
  poll_interval_seconds: null;
  webhook_url: null;
  last_sync_at: null;
  health_error: string | null;
  created_at: string;
  updated_at: string;
}

/** The outcome object of the four user_mcp endpoints (reference §1.0). */
export interface Outcome {
  data_source_id: string;
  status: string;
  name: string;
  ingestion_mode: string;
  health_error: string | null;
}

export interface StoreOptions {
  probe: ProbeFn;
  /**
   * Where the state survives a restart. Default: nowhere (an emulator without a data file keeps
   * its state in this object alone): serializing every row on each change made every write cost
   * O(all sources), which a bench that fills sandboxes with thousands of sources measured instead
   * of the client (issue 24).
   */
  persistence?: Persistence;
  /** Clock, injectable for tests. */
  now?: () => Date;
  /** Id generator, injectable for tests. */
  newId?: () => string;
  /** EmulatorOptions.echoCredentialInHealthError: failed probes quote the credential, unscrubbed. */
  echoCredential?: boolean;
}

/** Statuses that free a namespace (reference §7.6 inference). */
/** Statuses that no longer hold a namespace: the provider's one list (its client/vocabulary.ts). */
const INACTIVE: ReadonlySet<string> = new Set(RETIRED_STATUSES);
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** `ds_` + 26 random Crockford base32 characters (the shape of the fixtures' `ds_<ULID>`). */
export function newSourceId(): string {
  const bytes = randomBytes(26);
  let id = "ds_";
  for (const b of bytes) id += CROCKFORD[b & 31];
  return id;
}

/** Python `isoformat()` of a UTC datetime: microseconds and `+00:00` (reference §2.1). */
export function isoformat(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000+00:00");
}

export function hashKey(apiKey: string): string {
  return createHash("sha256").update(apiKey).digest("hex");
}

const vaultKey = (id: string) => `user_mcp/${id}/auth`;
const notFound = (what: string) => new StoreError(404, "not_found", `${what} not found`);

export class Store {
  private state: PersistedState;
  private vault: Vault;
  private readonly probe: ProbeFn;
  private readonly persistence: Persistence;
  private readonly now: () => Date;
  private readonly newId: () => string;
  private readonly echoCredential: boolean;
  private disposed = false;

  constructor(options: StoreOptions) {
    this.probe = options.probe;
    this.persistence = options.persistence ?? noPersistence;
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? newSourceId;
    this.echoCredential = options.echoCredential ?? false;
    const loaded = this.persistence.load();
    this.state = loaded?.state ?? { version: 1, sandboxes: {} };
    this.vault = loaded?.vault ?? {};
  }

  // --- tenant model -------------------------------------------------------------------------

  /**
   * The sources of a sandbox, claiming it for `apiKey` if nobody uses it yet. Another key's
   * sandbox is reported as absent (404), as the real API does not reveal other tenants' ids.
   */
  private sandbox(apiKey: string, sandboxId: string): Record<string, SourceRow> {
    const keyHash = hashKey(apiKey);
    let sb = this.state.sandboxes[sandboxId];
    if (!sb) {
      sb = { ownerKeyHash: keyHash, sources: {} };
      this.state.sandboxes[sandboxId] = sb;
      this.save();
    }
    if (sb.ownerKeyHash !== keyHash) throw notFound("sandbox");
    return sb.sources as unknown as Record<string, SourceRow>;
  }

  private source(apiKey: string, sandboxId: string, sourceId: string): SourceRow {
    const row = this.sandbox(apiKey, sandboxId)[sourceId];
    if (!row) throw notFound("source");
    return row;
  }

  /**
   * Stops persisting: a probe still running when the server closes must not write the file after
   * close(), where it could overwrite the state of the next emulator started on the same file.
   */
  dispose(): void {
    this.disposed = true;
  }

  private save(vaultChanged = false): void {
    if (this.disposed) return;
    this.persistence.save(this.state, vaultChanged ? this.vault : undefined);
  }

  private assertNamespaceFree(sources: Record<string, SourceRow>, namespace: string, self?: string): void {
    for (const row of Object.values(sources)) {
      if (row.data_source_id === self || INACTIVE.has(row.status)) continue;
      if (row.adapter_config.app_namespace === namespace) {
        throw new StoreError(
          400,
          "namespace_conflict",
          "app_namespace is already used by another active user_mcp source in this sandbox; pick another or revoke that source",
        );
      }
    }
  }

  // --- operations ---------------------------------------------------------------------------

  /** Register (reference §8): validate → namespace → id → vault put → insert → probe → outcome. */
  async register(apiKey: string, sandboxId: string, body: Record<string, unknown>): Promise<Outcome> {
    // Body shape first (FastAPI validates the body before the handler runs), then the tenant.
    const request = parseRegisterBody(body);
    const sources = this.sandbox(apiKey, sandboxId);
    const config = wrap(() => checkConfig(request));
    if (config.app_namespace !== undefined) this.assertNamespaceFree(sources, config.app_namespace);
    const id = this.newId();
    const hasToken = config.auth_kind !== "none";
    if (hasToken) this.vault[vaultKey(id)] = request.token as string;
    const stamp = isoformat(this.now());
    const row: SourceRow = {
      data_source_id: id,
      user_id: `usr_${hashKey(apiKey).slice(0, 16)}`,
      sandbox_id: sandboxId,
      provider: "user_mcp",
      name: config.name,
      ingestion_mode: "user_mcp",
      // Until the probe answers the source is not known to be healthy.
      status: "error",
      kind: "durable",
      external_account_id: null,
      adapter_config: toAdapterConfig(config, id, hasToken),
      poll_interval_seconds: null,
      webhook_url: null,
      last_sync_at: null,
      health_error: "health check pending",
      created_at: stamp,
      updated_at: stamp,
    };
    sources[id] = row;
    this.save(hasToken);
    await this.runProbe(row);
    return outcome(row);
  }

  /** PATCH: non-null fields applied, validated as on create; does not re-probe (reference §7.1). */
  patch(apiKey: string, sandboxId: string, sourceId: string, body: Record<string, unknown>): Outcome {
    const patch = parsePatchBody(body);
    const row = this.source(apiKey, sandboxId, sourceId);
    if (row.status === "disconnected") throw revoked();
    const current = row.adapter_config;
    const authKind = patch.auth_kind ?? current.auth_kind;
    const keepsAuth = authKind === current.auth_kind;
    const merged: RegisterBody = {
      name: patch.name ?? row.name,
      base_url: patch.base_url ?? current.base_url,
      auth_kind: authKind,
      // Switching to none drops the vault token; any other kind keeps it unless rotated.
      token: patch.token ?? (authKind === "none" ? undefined : this.vault[vaultKey(sourceId)]),
      auth_header: patch.auth_header ?? (keepsAuth ? (current.auth_header ?? undefined) : undefined),
      app_namespace: patch.app_namespace ?? current.app_namespace,
      allowed_tools: patch.allowed_tools ?? current.allowed_tools ?? undefined,
      ingest_tool_calls: current.ingest_tool_calls,
      rate_cap_per_minute: patch.rate_cap_per_minute ?? current.rate_cap_per_minute,
      webhook_rate_cap_per_minute: patch.webhook_rate_cap_per_minute ?? current.webhook_rate_cap_per_minute,
    };
    const config = wrap(() => checkConfig(merged));
    this.assertNamespaceFree(this.sandbox(apiKey, sandboxId), config.app_namespace ?? sourceId, sourceId);
    const hasToken = config.auth_kind !== "none";
    const vaultChanged = patch.token !== undefined || (!hasToken && current.vault_ref !== null);
    if (hasToken) this.vault[vaultKey(sourceId)] = merged.token as string;
    else delete this.vault[vaultKey(sourceId)];
    row.name = config.name;
    row.adapter_config = toAdapterConfig(config, sourceId, hasToken);
    row.updated_at = isoformat(this.now());
    this.save(vaultChanged);
    return outcome(row);
  }

  /** POST …/test: re-probe and set active / error. */
  async test(apiKey: string, sandboxId: string, sourceId: string): Promise<Outcome> {
    const row = this.source(apiKey, sandboxId, sourceId);
    if (row.status === "disconnected") throw revoked();
    await this.runProbe(row);
    return outcome(row);
  }

  /** Revoke: vault delete, `disconnected` (terminal), namespace freed; idempotent. */
  revoke(apiKey: string, sandboxId: string, sourceId: string): Outcome {
    const row = this.source(apiKey, sandboxId, sourceId);
    if (row.status !== "disconnected") {
      delete this.vault[vaultKey(sourceId)];
      row.status = "disconnected";
      row.health_error = null;
      row.adapter_config.vault_ref = null;
      row.updated_at = isoformat(this.now());
      this.save(true);
    }
    return outcome(row);
  }

  get(apiKey: string, sandboxId: string, sourceId: string): SourceRow {
    return structuredClone(this.source(apiKey, sandboxId, sourceId));
  }

  list(apiKey: string, sandboxId: string, filter: { provider?: string; status?: string }): SourceRow[] {
    return Object.values(this.sandbox(apiKey, sandboxId))
      .filter((r) => filter.provider === undefined || r.provider === filter.provider)
      .filter((r) => filter.status === undefined || r.status === filter.status)
      .map((r) => structuredClone(r));
  }

  /** DELETE: removes the row and any vault entry left (a source deleted without a revoke). */
  delete(apiKey: string, sandboxId: string, sourceId: string): { success: true; message: string } {
    const sources = this.sandbox(apiKey, sandboxId);
    if (!sources[sourceId]) throw notFound("source");
    delete sources[sourceId];
    const hadSecret = vaultKey(sourceId) in this.vault;
    delete this.vault[vaultKey(sourceId)];
    this.save(hadSecret);
    return { success: true, message: `Data source ${sourceId} deleted` };
  }

  // --- health -------------------------------------------------------------------------------

  private async runProbe(row: SourceRow): Promise<void> {
    const token = this.vault[vaultKey(row.data_source_id)];
    const cfg = row.adapter_config;
    const target: ProbeTarget = { baseUrl: cfg.base_url, authKind: cfg.auth_kind };
    if (cfg.auth_header !== null) target.authHeader = cfg.auth_header;
    if (token !== undefined) target.token = token;
    const configBefore = JSON.stringify(cfg);
    let result;
    try {
      result = await this.probe(target);
    } catch (err) {
      result = { ok: false as const, reason: err instanceof Error ? err.message : "health check failed" };
    }
    // A revoke, delete or PATCH (a token rotation included) that landed while the probe ran wins:
    // the result is stale.
    const live = this.state.sandboxes[row.sandbox_id]?.sources[row.data_source_id] as unknown as
      SourceRow | undefined;
    if (
      live !== row ||
      row.status === "disconnected" ||
      JSON.stringify(row.adapter_config) !== configBefore ||
      this.vault[vaultKey(row.data_source_id)] !== token
    ) {
      return;
    }
    row.status = result.ok ? "active" : "error";
    if (result.ok) row.health_error = null;
    else if (this.echoCredential) row.health_error = reasonQuotingCredential(result.reason, target);
    else row.health_error = redact(result.reason, [token]).slice(0, 500);
    row.updated_at = isoformat(this.now());
    this.save();
  }
}

function toAdapterConfig(config: SourceConfig, id: string, hasToken: boolean): AdapterConfig {
  return {
    base_url: config.base_url,
    auth_kind: config.auth_kind,
    auth_header: config.auth_header ?? null,
    app_namespace: config.app_namespace ?? id,
    allowed_tools: config.allowed_tools ?? null,
    ingest_tool_calls: config.ingest_tool_calls ?? [],
    rate_cap_per_minute: config.rate_cap_per_minute,
    webhook_rate_cap_per_minute: config.webhook_rate_cap_per_minute,
    vault_ref: hasToken ? vaultKey(id) : null,
  };
}

function outcome(row: SourceRow): Outcome {
  return {
    data_source_id: row.data_source_id,
    status: row.status,
    name: row.name,
    ingestion_mode: row.ingestion_mode,
    health_error: row.health_error,
  };
}

/** 400 source_revoked: what a PATCH or test of a revoked source gets (sourceRevokedAnswer reuses it). */
export function revoked(): StoreError {
  return new StoreError(
    400,
    "source_revoked",
    "the source is revoked (disconnected), which is terminal; register a new source instead",
  );
}

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ValidationError) throw new StoreError(400, err.code, err.detail);
    throw err;
  }
}
