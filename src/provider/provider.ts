/**
 * The `UserMcpSource` provider (DESIGN §2), called by the serialized shim (shim.ts) as
 * `require("pulumi-copass/provider").provider.<method>(…)` inside Pulumi's dynamic-provider host.
 * Plain JSON in and out. Decisions live in pure modules (schema, diff, health, outputs); this file
 * orders the API calls.
 *
 * Nothing is created at load time: the Copass client is built on the first call that needs the
 * API, from the settings `configure` stored plus the environment read at that moment, and reused
 * while those settings stay the same. `check` and `diff` never touch the API or the settings.
 *
 * Errors thrown to Pulumi name the operation and the source, never a token or the API key; every
 * message goes through `redact` with the secrets known to the call as a last line of defence.
 * Once a source exists, a later failure throws an init-failed error (`{id, properties, reasons}`)
 * so that the engine keeps the source in state instead of orphaning it.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { CopassApi } from "../client/api";
import { CopassClient } from "../client/client";
import { isCopassError, redact } from "../client/errors";
import { sleep } from "../client/retry";
import type { DataSource, UserMcpResult } from "../client/types";
import {
  readConfigValues,
  resolveSettings,
  sameSettings,
  type ConfigValues,
  type ProviderSettings,
} from "./config";
import { diff, fieldChanged, needsRetest, patchBody } from "./diff";
import { decideHealth } from "./health";
import {
  buildOutputs,
  healthFromOutcome,
  healthFromSource,
  inputsFromOutputs,
  outputsFromSource,
  type HealthState,
  type SourceOutputs,
} from "./outputs";
import {
  FIELDS,
  FIELD_NAMES,
  checkInputs,
  patchBodyOf,
  registerBody,
  type FieldName,
  type HealthPolicy,
  type NormalizedInputs,
} from "./schema";

type Props = Record<string, unknown>;

// --- module state: provider-wide settings only, never per-resource state ---------------------------

interface ModuleState {
  /** Stack config values from `configure`; the env fallback is read at call time. */
  config: ConfigValues;
  client?: { settings: ProviderSettings; api: CopassClient };
}

const state: ModuleState = { config: {} };

/** The client for the settings in force now: created on first use, reused while they hold. */
function connect(): { api: CopassApi; settings: ProviderSettings } {
  const settings = resolveSettings(state.config, process.env);
  if (state.client && sameSettings(state.client.settings, settings)) return state.client;
  // Settings changed (a rotated key, say): release the old client's idle keep-alive sockets.
  void state.client?.api.close();
  const api = new CopassClient({
    apiUrl: settings.apiUrl,
    apiKey: settings.apiKey,
    encryptionToken: settings.encryptionToken,
    requestTimeoutMs: settings.requestTimeoutMs,
  });
  state.client = { settings, api };
  return state.client;
}

/** Secrets a message of this call could contain. */
function secretsOf(...tokens: unknown[]): string[] {
  const settings = state.client?.settings;
  return [settings?.apiKey, settings?.encryptionToken, ...tokens].filter(
    (s): s is string => typeof s === "string",
  );
}

// --- errors --------------------------------------------------------------------------------------

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An error for Pulumi: operation, subject, cause; redacted; keeps the client's `code`. */
function failure(operation: string, subject: string, error: unknown, secrets: string[]): Error {
  const wrapped = new Error(redact(`Copass ${operation} of ${subject} failed: ${reasonOf(error)}`, secrets));
  Object.assign(wrapped, {
    code: isCopassError(error) ? error.code : ((error as { code?: unknown })?.code ?? null),
  });
  return wrapped;
}

/** The outputs of an init-failed step, plus the `__provider` the engine needs to call us again. */
export type InitFailedProperties = SourceOutputs & { __provider?: string };

/**
 * "Created (or updated) but failed to initialize": the host turns an error with `id`,
 * `properties` and `reasons` into ErrorResourceInitFailed, and the engine keeps the resource in
 * state with these outputs.
 *
 * The host adds `__provider` to the outputs of a successful step but not to these, and the engine
 * stores them as they are; read and delete find the provider code only in the stored outputs. So
 * the properties carry the request's `__provider` themselves, or the next `pulumi refresh` or
 * `pulumi destroy` of the source would fail before reaching us.
 */
export class SourceInitError extends Error {
  readonly reasons: string[];
  readonly properties: InitFailedProperties;
  constructor(
    readonly id: string,
    outs: SourceOutputs,
    reason: string,
    providerText?: unknown,
  ) {
    super(reason);
    this.name = "SourceInitError";
    this.reasons = [reason];
    this.properties = typeof providerText === "string" ? { ...outs, __provider: providerText } : outs;
  }
}

function isConflict(error: unknown): boolean {
  return isCopassError(error) && error.code === "COPASS_CONFLICT";
}

function isNotFound(error: unknown): boolean {
  return isCopassError(error) && error.code === "COPASS_NOT_FOUND";
}

/** A 400 `source_revoked`: the source is disconnected, which is terminal. */
function isRevoked(error: unknown): boolean {
  return isCopassError(error) && error.code === "COPASS_VALIDATION" && error.apiError === "source_revoked";
}

function describe(id: string, sandboxId: unknown): string {
  return `source ${id} in sandbox ${String(sandboxId)}`;
}

/** Inputs as `check` returns them. Create and update re-check (cheap) rather than trust a shape. */
function checked(inputs: Props, operation: string): NormalizedInputs {
  const result = checkInputs(inputs);
  if (!result.ok) {
    const list = result.failures.map((f) => f.reason).join("; ");
    throw new Error(`Copass ${operation} refused invalid inputs: ${list}`);
  }
  return result.inputs;
}

// --- health --------------------------------------------------------------------------------------

/**
 * Health with the call's secrets cut out of `healthError`. The reason is the MCP server's answer
 * relayed by Copass and is stored under a key that is not secret, so a server that echoes the
 * credential it was sent would otherwise put the token in state in plaintext.
 */
function scrubbed(health: HealthState, secrets: string[]): HealthState {
  if (health.healthError === null) return health;
  return { ...health, healthError: redact(health.healthError, secrets) };
}

/**
 * Re-tests under `require` with backoff until `active` or the timeout (health.ts decides), and
 * returns the last health and the final decision.
 */
async function settleHealth(
  api: CopassApi,
  sandboxId: string,
  id: string,
  first: HealthState,
  policy: HealthPolicy,
  timeoutSeconds: number,
  secrets: string[],
): Promise<{ health: HealthState; verdict: "ok" | "fail" | "warn" }> {
  const started = Date.now();
  let health = first;
  for (let attempt = 0; ; attempt++) {
    const decision = decideHealth(
      health.status,
      policy,
      Date.now() - started,
      timeoutSeconds * 1000,
      attempt,
    );
    if (decision.kind !== "retest") return { health, verdict: decision.kind };
    await sleep(decision.delayMs);
    health = scrubbed(healthFromOutcome(await api.testUserMcp(sandboxId, id), health), secrets);
  }
}

function unhealthyReason(verb: string, id: string, health: HealthState, timeoutSeconds: number): string {
  const why = health.healthError ? `: ${health.healthError}` : "";
  return (
    `Copass source ${id} was ${verb} but its MCP server is not healthy after ${timeoutSeconds}s ` +
    `(status ${health.status}${why}). The source is kept in state; fix the server and run pulumi up ` +
    `again, or set healthPolicy "warn" or "ignore", or raise healthTimeoutSeconds.`
  );
}

/** Applies the policy verdict: throws init-failed under `require`, warns under `warn`. */
function enforceHealth(
  verdict: "ok" | "fail" | "warn",
  verb: string,
  outs: SourceOutputs,
  timeoutSeconds: number,
  secrets: string[],
  providerText: unknown,
): void {
  const health: HealthState = {
    status: outs.status,
    healthError: outs.healthError,
    ingestionMode: outs.ingestionMode,
  };
  if (verdict === "fail") {
    throw new SourceInitError(
      outs.dataSourceId,
      outs,
      redact(unhealthyReason(verb, outs.dataSourceId, health, timeoutSeconds), secrets),
      providerText,
    );
  }
  if (verdict === "warn") {
    const why = health.healthError ? `: ${health.healthError}` : "";
    console.warn(
      redact(
        `warning: Copass source ${outs.dataSourceId} is unhealthy (status ${health.status}${why}); continuing because healthPolicy is "warn"`,
        secrets,
      ),
    );
  }
}

// --- create helpers ------------------------------------------------------------------------------

/** The non-disconnected user_mcp source of the sandbox holding this `appNamespace`, if any. */
async function holderOfNamespace(api: CopassApi, inputs: NormalizedInputs): Promise<DataSource | undefined> {
  const { sources } = await api.listSources(inputs.sandboxId, { provider: "user_mcp" });
  return sources.find(
    (s) => s.status !== "disconnected" && s.adapter_config?.app_namespace === inputs.appNamespace,
  );
}

/** The API fields (token aside: never readable) in which `source` differs from the program. */
function differingFields(source: DataSource, inputs: NormalizedInputs): FieldName[] {
  const existing = outputsFromSource(source, inputs as unknown as Props, healthFromSource(source));
  return FIELD_NAMES.filter(
    (name) =>
      FIELDS[name].wire !== null &&
      name !== "token" &&
      fieldChanged(name, existing as unknown as Props, inputs as unknown as Props),
  );
}

/** Takes `source` over: PATCHes the whole desired config and the token, then re-tests it. */
async function takeOver(
  api: CopassApi,
  inputs: NormalizedInputs,
  source: DataSource,
): Promise<UserMcpResult> {
  await api.patchUserMcp(inputs.sandboxId, source.data_source_id, patchBodyOf(inputs, FIELD_NAMES));
  return api.testUserMcp(inputs.sandboxId, source.data_source_id);
}

/**
 * Adoption (adoptExisting): the source holding this `appNamespace`, taken over. Returns undefined
 * when there is none (create then registers). `ingestToolCalls` cannot be patched: when the
 * existing source's differ, adoption stops before changing anything, with an error naming the two
 * ways out (a silent adoption would record config the program does not want, and a silent
 * replacement would drop a source the user asked to keep).
 */
async function adopt(api: CopassApi, inputs: NormalizedInputs): Promise<UserMcpResult | undefined> {
  const found = await holderOfNamespace(api, inputs);
  if (!found) return undefined;
  if (differingFields(found, inputs).includes("ingestToolCalls")) {
    throw new Error(
      `adoptExisting found ${describe(found.data_source_id, inputs.sandboxId)} with appNamespace ${String(inputs.appNamespace)}, ` +
        "but its ingestToolCalls differ and cannot be changed in place: set ingestToolCalls to the existing " +
        "source's, or revoke that source so a new one is registered",
    );
  }
  return takeOver(api, inputs, found);
}

/**
 * A register refused with namespace_conflict. The program names the source by its `appNamespace`,
 * so a holder whose every API field equals the program's is this program's source — in practice
 * one an earlier create registered before its answer was lost and it could not find it again
 * (DESIGN §2: nothing orphaned). It is taken back, with a warning. A holder that differs in any
 * field belongs to something else: the error names it and the two ways out, and nothing changes.
 */
async function takeBackOnConflict(
  api: CopassApi,
  inputs: NormalizedInputs,
  conflict: unknown,
): Promise<UserMcpResult> {
  const holder = await holderOfNamespace(api, inputs);
  if (!holder) throw conflict; // freed in the meantime; the next up registers it
  const id = holder.data_source_id;
  const differing = differingFields(holder, inputs);
  if (differing.length > 0) {
    throw new Error(
      `appNamespace ${String(inputs.appNamespace)} is already held by ${describe(id, inputs.sandboxId)}, ` +
        `whose ${differing.join(", ")} differ from this program's: set adoptExisting: true to take that ` +
        "source over, or choose another appNamespace",
    );
  }
  console.warn(
    `warning: took back Copass ${describe(id, inputs.sandboxId)}: it holds appNamespace ` +
      `${String(inputs.appNamespace)} with exactly this program's configuration (most likely registered ` +
      "by an earlier create whose answer was lost)",
  );
  return takeOver(api, inputs, holder);
}

// --- the provider --------------------------------------------------------------------------------

type Provider = Required<pulumi.dynamic.ResourceProvider>;

export const provider = {
  /** Stores the stack config (`copass:*`); the env fallback is read at call time. */
  async configure(req: { config: { get(key: string): string | undefined } }): Promise<void> {
    state.config = readConfigValues(req.config);
  },

  /** Offline validation and defaults; unknowns pass. `__provider` is dropped (the host re-adds it). */
  async check(_olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
    const result = checkInputs(news ?? {});
    return { inputs: result.inputs, failures: result.failures };
  },

  /** Pure (diff.ts): no API call, no settings. `olds` are the previous outputs. */
  async diff(_id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    return diff(olds ?? {}, news ?? {});
  },

  /**
   * Adopts (adoptExisting) or registers (reconciled: a lost response never duplicates), then
   * applies the health policy. API calls, healthy: 1 (register; 2 without appNamespace, as the
   * client snapshots the list first). Adoption: list + patch + test.
   */
  async create(raw: Props): Promise<pulumi.dynamic.CreateResult> {
    const inputs = checked(raw, "create");
    const subject = `a user_mcp source in sandbox ${inputs.sandboxId}`;
    const { api } = connectOrThrow("create", subject, inputs.token);
    const secrets = secretsOf(inputs.token);

    let outcome: UserMcpResult | undefined;
    try {
      if (inputs.adoptExisting) outcome = await adopt(api, inputs);
      outcome ??= await api
        .registerUserMcpReconciled(inputs.sandboxId, registerBody(inputs))
        .catch((error: unknown) => {
          if (!isConflict(error) || inputs.appNamespace === undefined) throw error;
          return takeBackOnConflict(api, inputs, error);
        });
    } catch (error) {
      throw failure("create", subject, error, secrets);
    }
    const id = outcome.data_source_id;
    if (!id) {
      const why = outcome.detail ?? outcome.error ?? "no data_source_id in the response";
      throw new Error(redact(`Copass create of ${subject} failed: ${why}`, secrets));
    }

    const registered = scrubbed(healthFromOutcome(outcome), secrets);
    let outs = buildOutputs(inputs, id, registered, inputs.appNamespace ?? id);
    try {
      const { health, verdict } = await settleHealth(
        api,
        inputs.sandboxId,
        id,
        registered,
        inputs.healthPolicy,
        inputs.healthTimeoutSeconds,
        secrets,
      );
      outs = buildOutputs(inputs, id, health, inputs.appNamespace ?? id);
      enforceHealth(verdict, "created", outs, inputs.healthTimeoutSeconds, secrets, raw.__provider);
    } catch (error) {
      if (error instanceof SourceInitError) throw error;
      // The source exists: never lose it from state because a re-test failed.
      throw new SourceInitError(
        id,
        outs,
        failure("health re-test", describe(id, inputs.sandboxId), error, secrets).message,
        raw.__provider,
      );
    }
    return { id, outs };
  },

  /**
   * GET (404 → gone), then with healthCheckOnRefresh a re-test (not for a revoked source).
   * `props` are the full outputs; `inputs` the desired fields as the server has them.
   */
  async read(id: string, props?: Props): Promise<pulumi.dynamic.ReadResult> {
    const prior = props ?? {};
    const sandboxId = prior.sandboxId;
    if (typeof sandboxId !== "string") {
      throw new Error(
        `Copass read of source ${id} needs its prior state (sandboxId); pulumi import does not work for ` +
          "dynamic resources: declare the source with adoptExisting: true instead",
      );
    }
    const subject = describe(id, sandboxId);
    const { api } = connectOrThrow("read", subject, prior.token);
    const secrets = secretsOf(prior.token);
    try {
      const source = await api.getSource(sandboxId, id);
      let health = scrubbed(healthFromSource(source), secrets);
      if (prior.healthCheckOnRefresh !== false && source.status !== "disconnected") {
        try {
          health = scrubbed(healthFromOutcome(await api.testUserMcp(sandboxId, id), health), secrets);
        } catch (error) {
          // Revoked between the GET and the test: report it as such.
          if (!isRevoked(error)) throw error;
          health = { status: "disconnected", healthError: null, ingestionMode: health.ingestionMode };
        }
      }
      const outs = outputsFromSource(source, prior, health);
      return { id, props: outs, inputs: inputsFromOutputs(outs) };
    } catch (error) {
      if (isNotFound(error)) return { id: "" };
      throw failure("read", subject, error, secrets);
    }
  },

  /**
   * PATCHes only the changed fields (none: no call), the token only when it changed; re-tests
   * after a connection change or to heal health drift, under the same policy as create.
   */
  async update(id: string, olds: Props, raw: Props): Promise<pulumi.dynamic.UpdateResult> {
    const prior = olds ?? {};
    const news = checked(raw, "update");
    const subject = describe(id, news.sandboxId);
    const body = patchBody(prior, news);
    const retest = needsRetest(prior, news);
    let health: HealthState = {
      status: typeof prior.status === "string" ? prior.status : "unknown",
      healthError: typeof prior.healthError === "string" ? prior.healthError : null,
      ingestionMode: typeof prior.ingestionMode === "string" ? prior.ingestionMode : null,
    };
    const namespace = news.appNamespace ?? (typeof prior.appNamespace === "string" ? prior.appNamespace : id);
    if (Object.keys(body).length === 0 && !retest) {
      return { outs: buildOutputs(news, id, health, namespace) };
    }

    const { api } = connectOrThrow("update", subject, news.token, prior.token);
    const secrets = secretsOf(news.token, prior.token);
    if (Object.keys(body).length > 0) {
      try {
        health = scrubbed(
          healthFromOutcome(await api.patchUserMcp(news.sandboxId, id, body), health),
          secrets,
        );
      } catch (error) {
        throw failure("update", subject, error, secrets);
      }
    }
    let outs = buildOutputs(news, id, health, namespace);
    if (!retest) return { outs };
    try {
      const first = scrubbed(healthFromOutcome(await api.testUserMcp(news.sandboxId, id), health), secrets);
      const settled = await settleHealth(
        api,
        news.sandboxId,
        id,
        first,
        news.healthPolicy,
        news.healthTimeoutSeconds,
        secrets,
      );
      outs = buildOutputs(news, id, settled.health, namespace);
      enforceHealth(settled.verdict, "updated", outs, news.healthTimeoutSeconds, secrets, raw.__provider);
    } catch (error) {
      if (error instanceof SourceInitError) throw error;
      // The PATCH (if any) landed: keep the new config in state rather than the old.
      throw new SourceInitError(
        id,
        outs,
        failure("health re-test", subject, error, secrets).message,
        raw.__provider,
      );
    }
    return { outs };
  },

  /**
   * Revoke; with deletionPolicy "delete" also DELETE the row. Already revoked or gone = deleted,
   * so a second delete is a no-op.
   */
  async delete(id: string, props: Props): Promise<void> {
    const prior = props ?? {};
    const subject = describe(id, prior.sandboxId);
    if (typeof prior.sandboxId !== "string") {
      throw new Error(`Copass delete of source ${id} needs its sandboxId in state, which is missing`);
    }
    const { api } = connectOrThrow("delete", subject, prior.token);
    const secrets = secretsOf(prior.token);
    try {
      await api.revokeUserMcp(prior.sandboxId, id);
    } catch (error) {
      if (isNotFound(error)) return;
      if (!isRevoked(error)) throw failure("delete (revoke)", subject, error, secrets);
    }
    if (prior.deletionPolicy !== "delete") return;
    try {
      await api.deleteSource(prior.sandboxId, id);
    } catch (error) {
      if (!isNotFound(error)) throw failure("delete", subject, error, secrets);
    }
  },
} satisfies Provider;

/** `connect`, with configuration problems reported as this operation's failure. */
function connectOrThrow(operation: string, subject: string, ...tokens: unknown[]) {
  try {
    return connect();
  } catch (error) {
    throw failure(operation, subject, error, secretsOf(...tokens));
  }
}

/** For tests: forget the cached client (settings changes are picked up anyway). */
export function resetProviderState(): void {
  void state.client?.api.close();
  state.config = {};
  state.client = undefined;
}
