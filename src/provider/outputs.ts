/**
 * Pure mappings from what Copass says to what Pulumi stores (DESIGN §1, §2):
 *
 * - `buildOutputs`: checked inputs + the server's health outcome → the full outputs of create and
 *   update (the host stores `outs` as the entire new state, so every call returns all of it).
 * - `outputsFromSource`: a GET DataSource → read's `props`; `inputsFromOutputs`: those `props` →
 *   read's `inputs`.
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
 * - `apiEndpoint` and `tenantId` (location.ts) are always present: where the source lives, or
 *   `null` while unknown (state written before they existed, a tenant no answer carried yet).
 */
import { FIELD_NAMES, specOf, stripUndefined, type FieldName, type NormalizedInputs } from "./schema";
import type { DataSource, UserMcpResult } from "../client/types";
import { ADAPTER_KEY_CHECKS } from "./adapter-keys";
import { recordedLocation, type Location } from "./location";

export type SourceOutputs = Omit<NormalizedInputs, "appNamespace"> & {
  appNamespace: string;
  dataSourceId: string;
  status: string;
  healthError: string | null;
  ingestionMode: string | null;
} & Location;

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
  location: Location,
): SourceOutputs {
  const outs: Record<string, unknown> = {};
  // Checked inputs hold no undefined below the top (checkInputs strips them), so skipping the
  // absent fields is all `stripUndefined` would do here, without copying every value (issue 24).
  for (const name of FIELD_NAMES) if (inputs[name] !== undefined) outs[name] = inputs[name];
  outs.appNamespace = resolvedNamespace;
  outs.dataSourceId = id;
  outs.status = health.status;
  outs.healthError = health.status === "active" ? null : health.healthError;
  outs.ingestionMode = health.ingestionMode;
  outs.apiEndpoint = location.apiEndpoint;
  outs.tenantId = location.tenantId;
  return outs as SourceOutputs;
}

type Prior = Record<string, unknown>;

function hasKey(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/**
 * The value of field `name` as the server has it, per the table's `read` attribute, or `prior`
 * (the recorded value) when the server does not say. An `adapter_config` key that is missing, or
 * does not have the documented type (adapter-keys.ts), keeps `prior` (its keys are undocumented:
 * no invented drift); `null` is the server's default, which reads back as absent only where
 * removing the field means that default (`onRemove: "replace"`, the "all tools" of allowedTools).
 */
function served(name: FieldName, source: DataSource, ac: Record<string, unknown>, prior: unknown): unknown {
  const spec = specOf(name);
  if (spec.wire === null || spec.read === "state") return prior;
  if (spec.read === "source") return (source as Record<string, unknown>)[spec.wire];
  if (!hasKey(ac, spec.wire)) return prior;
  const value = ac[spec.wire];
  if (value === null || value === undefined) return spec.onRemove === "replace" ? undefined : prior;
  const typeOk = ADAPTER_KEY_CHECKS[spec.wire];
  if (typeOk !== undefined && !typeOk(value)) return prior;
  return spec.fromWire ? spec.fromWire(value as never) : value;
}

/**
 * Read's `props`: each desired field as the server has it (`served`), the token and the
 * provider-only fields from the prior state, health from `health` (the GET, or a re-test), and
 * where the source lives from `location` (by default, what `prior` recorded).
 */
export function outputsFromSource(
  source: DataSource,
  prior: Prior,
  health: HealthState,
  location: Location = recordedLocation(prior),
): SourceOutputs {
  const ac = source.adapter_config ?? {};
  const id = source.data_source_id;
  const outs: Record<string, unknown> = {};
  for (const name of FIELD_NAMES) {
    outs[name] = served(name, source, ac, prior[name] ?? specOf(name).default);
  }
  // The cross-field rules of the table (schema.ts) hold for what read reports too.
  outs.sandboxId ??= source.sandbox_id;
  if (outs.authKind === "none") outs.token = undefined;
  if (outs.authKind !== "header_token") outs.authHeader = undefined;
  outs.appNamespace ??= id;
  outs.dataSourceId = id;
  outs.status = health.status;
  outs.healthError = health.status === "active" ? null : health.healthError;
  outs.ingestionMode = health.ingestionMode ?? (prior.ingestionMode as string | undefined) ?? null;
  outs.apiEndpoint = location.apiEndpoint;
  outs.tenantId = location.tenantId;
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
