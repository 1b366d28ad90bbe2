/**
 * Wire types of the Copass user_mcp API (reference/copass-api.md §1–§2), as zod schemas first and
 * TypeScript types derived from them. Response schemas are deliberately tolerant: extra keys pass
 * through (`z.looseObject`) and statuses are open strings, because the real service may add either.
 * The emulator is the strict side; the client is not.
 */
import * as z from "../zod";

import { AUTH_KINDS, type AuthKind } from "./vocabulary";

export {
  AUTH_KINDS,
  KNOWN_STATUSES,
  RETIRED_STATUSES,
  isRetired,
  type AuthKind,
  type KnownStatus,
  type RetiredStatus,
} from "./vocabulary";

/** One tool call Copass runs on every pull(); the field table's `ingestToolCalls` holds these. */
export interface IngestToolCall {
  name: string;
  arguments?: Record<string, unknown>;
}

/** Body of `POST …/sources/user-mcp` (snake_case, as sent). Undefined fields are not sent. */
export interface RegisterUserMcpRequest {
  name: string;
  base_url: string;
  auth_kind: AuthKind;
  token?: string;
  auth_header?: string;
  app_namespace?: string;
  allowed_tools?: string[];
  ingest_tool_calls?: IngestToolCall[];
  rate_cap_per_minute?: number;
  webhook_rate_cap_per_minute?: number;
}

/** Body of `PATCH …/sources/{id}/user-mcp`: a partial update; `token` only when rotating. */
export type PatchUserMcpRequest = Partial<Omit<RegisterUserMcpRequest, "ingest_tool_calls">>;

/** The "outcome" object returned by register, patch, test and revoke (reference §1.0). */
export const userMcpResultSchema = z.looseObject({
  data_source_id: z.string().nullish(),
  status: z.string().nullish(),
  name: z.string().nullish(),
  ingestion_mode: z.string().nullish(),
  health_error: z.string().nullish(),
  error: z.string().nullish(),
  detail: z.string().nullish(),
});
export type UserMcpResult = z.infer<typeof userMcpResultSchema>;

/**
 * `adapter_config` of a user_mcp row. Its keys are undocumented (reference §2.3, inference: the
 * request fields mirrored with defaults applied); every key is optional so that a server that
 * names them differently still parses, and the provider treats a missing key as "unknown".
 */
export const userMcpAdapterConfigSchema = z.looseObject({
  base_url: z.string().nullish(),
  auth_kind: z.enum(AUTH_KINDS).nullish(),
  auth_header: z.string().nullish(),
  app_namespace: z.string().nullish(),
  allowed_tools: z.array(z.string()).nullish(),
  ingest_tool_calls: z
    .array(z.looseObject({ name: z.string(), arguments: z.record(z.string(), z.unknown()).nullish() }))
    .nullish(),
  rate_cap_per_minute: z.number().int().nullish(),
  webhook_rate_cap_per_minute: z.number().int().nullish(),
});

/** The flat DataSource object of `GET /sources/{id}` and of the list (reference §2.1). */
export const dataSourceSchema = z.looseObject({
  data_source_id: z.string(),
  sandbox_id: z.string().nullish(),
  user_id: z.string().nullish(),
  provider: z.string(),
  name: z.string(),
  ingestion_mode: z.string().nullish(),
  status: z.string(),
  kind: z.string().nullish(),
  adapter_config: z.record(z.string(), z.unknown()).nullish(),
  health_error: z.string().nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
});
export type DataSource = z.infer<typeof dataSourceSchema>;

export const sourceListSchema = z.looseObject({
  sources: z.array(dataSourceSchema),
  count: z.number().int().nullish(),
});
export type SourceList = z.infer<typeof sourceListSchema>;

/**
 * A listing read for its ids only (create's snapshot, create-once.ts). Each row keeps
 * `data_source_id` alone (`z.object` drops the other keys without copying them): the snapshot
 * needs nothing else, and in a sandbox of 1000 sources validating every row in full cost about as
 * much CPU again as parsing the JSON (issue 24).
 */
export const sourceIdListSchema = z.object({
  sources: z.array(z.object({ data_source_id: z.string() })),
});

export interface ListSourcesQuery {
  provider?: string;
  status?: string;
}

/** `DELETE /sources/{id}` answers a StatusResponse whose shape is unconfirmed (reference §7.11). */
export const statusResponseSchema = z.looseObject({
  success: z.boolean().nullish(),
  message: z.string().nullish(),
});
export type StatusResponse = z.infer<typeof statusResponseSchema>;

/** Error envelope: `{error, detail}` for service errors, `{detail: [...]}` for FastAPI 422s. */
export const errorBodySchema = z.looseObject({
  error: z.string().nullish(),
  detail: z.union([z.string(), z.array(z.unknown())]).nullish(),
});

/** Names of the client operations; carried by every error and used by the retry policy. */
export const OPERATIONS = ["register", "patch", "test", "revoke", "get", "list", "delete"] as const;
export type Operation = (typeof OPERATIONS)[number];
