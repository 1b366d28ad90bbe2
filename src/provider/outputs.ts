/**
 * Pure mappings from what Copass says to what Pulumi stores (DESIGN §1, §2):
 *
 * - `buildOutputs`: checked inputs + the server's health outcome → the full outputs of create and
 *   update (the host stores `outs` as the entire new state, so every call returns all of it).
 * - `outputsFromSource` / `inputsFromSource`: a GET DataSource → read's `props` and `inputs`.
 *
 * Shape decisions, for every key:
 * - Absent optional inputs (`token` with authKind none, `authHeader` unless header_token,
 *   `allowedTools` meaning "all tools") are OMITTED, never `undefined` (protobuf Struct rejects
 *   it) and never `null` (a null would differ from the program's absent value in every diff).
 * - `healthError` is always present: a string when unhealthy, `null` when healthy (DESIGN §1).
 * - `ingestionMode` is a string, or `null` if the server never said.
 * - `appNamespace` is always present in outputs: the input, or the one the server chose (the id).
 * - The MCP token appears only under the key `token` (the engine re-marks secrets by key), and
 *   comes from the program or the prior state: the API never returns it.
 * - No volatile server fields (timestamps): they would make every refresh look like drift.
 */
import {
  FIELDS,
  FIELD_NAMES,
  stripUndefined,
  type AuthKind,
  type IngestToolCall,
  type NormalizedInputs,
} from "./schema";
import { userMcpAdapterConfigSchema, type DataSource, type UserMcpResult } from "../client/types";

export type SourceOutputs = Omit<NormalizedInputs, "appNamespace"> & {
  appNamespace: string;
  dataSourceId: string;
  status: string;
  healthError: string | null;
  ingestionMode: string | null;
};

/** The health part of the outputs, as the last API answer gave it. */
export interface HealthState {
  status: string;
  healthError: string | null;
  ingestionMode: string | null;
}

/** Health from a register/patch/test outcome; fields it lacks come from `fallback`. */
export function healthFromOutcome(outcome: UserMcpResult, fallback: Partial<HealthState> = {}): HealthState {
  const status = outcome.status ?? fallback.status ?? "unknown";
  return {
    status,
    healthError: status === "active" ? null : (outcome.health_error ?? fallback.healthError ?? null),
    ingestionMode: outcome.ingestion_mode ?? fallback.ingestionMode ?? null,
  };
}

/** Full outputs of create and update. */
export function buildOutputs(
  inputs: NormalizedInputs,
  id: string,
  health: HealthState,
  resolvedNamespace: string,
): SourceOutputs {
  const outs: Record<string, unknown> = {};
  for (const name of FIELD_NAMES) outs[name] = inputs[name];
  outs.appNamespace = resolvedNamespace;
  outs.dataSourceId = id;
  outs.status = health.status;
  outs.healthError = health.status === "active" ? null : health.healthError;
  outs.ingestionMode = health.ingestionMode;
  return stripUndefined(outs) as SourceOutputs;
}

type Prior = Record<string, unknown>;

const AUTH_KINDS: readonly string[] = ["bearer", "header_token", "none"];

function hasKey(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/**
 * Read's `props`: the desired fields as the server has them (from `name` and `adapter_config`),
 * the token and the provider-only fields from the prior state, and health from `health` (the
 * GET, or a re-test). A key missing from `adapter_config` (its keys are undocumented) keeps the
 * prior value rather than inventing drift; a key present with `null` means the server default.
 */
export function outputsFromSource(source: DataSource, prior: Prior, health: HealthState): SourceOutputs {
  const parsed = userMcpAdapterConfigSchema.safeParse(source.adapter_config ?? {});
  const ac = parsed.success ? parsed.data : {};
  const id = source.data_source_id;

  const authKind = (
    typeof ac.auth_kind === "string" && AUTH_KINDS.includes(ac.auth_kind) ? ac.auth_kind : prior.authKind
  ) as AuthKind;
  const outs: Record<string, unknown> = {};
  for (const name of FIELD_NAMES) {
    outs[name] = prior[name] ?? (FIELDS[name] as { default?: unknown }).default;
  }
  outs.sandboxId = prior.sandboxId ?? source.sandbox_id;
  outs.name = source.name;
  outs.baseUrl = ac.base_url ?? prior.baseUrl;
  outs.authKind = authKind;
  outs.token = authKind === "none" ? undefined : prior.token;
  outs.authHeader = authKind === "header_token" ? (ac.auth_header ?? prior.authHeader) : undefined;
  outs.appNamespace = ac.app_namespace ?? prior.appNamespace ?? id;
  if (hasKey(ac, "allowed_tools")) outs.allowedTools = ac.allowed_tools ?? undefined;
  if (Array.isArray(ac.ingest_tool_calls)) {
    outs.ingestToolCalls = ac.ingest_tool_calls.map((call): IngestToolCall => {
      const out: IngestToolCall = { name: call.name };
      if (call.arguments !== undefined && call.arguments !== null) out.arguments = call.arguments;
      return out;
    });
  }
  if (typeof ac.rate_cap_per_minute === "number") outs.rateCapPerMinute = ac.rate_cap_per_minute;
  if (typeof ac.webhook_rate_cap_per_minute === "number") {
    outs.webhookRateCapPerMinute = ac.webhook_rate_cap_per_minute;
  }
  outs.dataSourceId = id;
  outs.status = health.status;
  outs.healthError = health.status === "active" ? null : health.healthError;
  outs.ingestionMode = health.ingestionMode ?? (prior.ingestionMode as string | undefined) ?? null;
  return stripUndefined(outs) as SourceOutputs;
}

/** Health of a GET DataSource. */
export function healthFromSource(source: DataSource): HealthState {
  return {
    status: source.status,
    healthError: source.status === "active" ? null : (source.health_error ?? null),
    ingestionMode: source.ingestion_mode ?? null,
  };
}

/**
 * Read's `inputs`: the desired fields of `props`, which become the stored inputs, so that a
 * change made out of band shows as drift against the program. `appNamespace` is left out when it
 * is the server's default (the id): the program most likely never set it.
 */
export function inputsFromOutputs(props: SourceOutputs): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const name of FIELD_NAMES) inputs[name] = props[name];
  if (props.appNamespace === props.dataSourceId) delete inputs.appNamespace;
  return stripUndefined(inputs);
}
