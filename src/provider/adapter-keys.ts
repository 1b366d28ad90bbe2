/**
 * The type each `adapter_config` key must have for read to believe it (outputs.ts `served`): the
 * same rules as the client's `userMcpAdapterConfigSchema` (client/types.ts), as plain predicates.
 * Why not that schema: building the client's wire schemas was ~4 ms of every provider start, and a
 * preview never reads a source (issue 18). `adapter_config` comes from a JSON body, and on JSON
 * values each predicate accepts exactly what the schema's key accepts once `null` (handled by
 * `served` before) is set aside; test/provider/adapter-keys.test.ts holds the two equal, key by
 * key, on generated JSON, and fails when the schema gains a key this table lacks.
 */
import { AUTH_KINDS } from "../client/vocabulary";

type Check = (value: unknown) => boolean;

const isString: Check = (value) => typeof value === "string";
/** zod's `.int()`: a safe integer (it rejects larger ones as "too big"). */
const isInteger: Check = (value) => Number.isSafeInteger(value);
/** zod's object and record input on JSON values: an object that is not an array. */
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isNullish = (value: unknown) => value === null || value === undefined;

/** `{ name: string, arguments?: record | null }`, other keys allowed (`z.looseObject`). */
const isIngestToolCall: Check = (call) =>
  isObject(call) && isString(call.name) && (isNullish(call.arguments) || isObject(call.arguments));

export const ADAPTER_KEY_CHECKS: Readonly<Record<string, Check>> = {
  base_url: isString,
  auth_kind: (value) => (AUTH_KINDS as readonly unknown[]).includes(value),
  auth_header: isString,
  app_namespace: isString,
  allowed_tools: (value) => Array.isArray(value) && value.every(isString),
  ingest_tool_calls: (value) => Array.isArray(value) && value.every(isIngestToolCall),
  rate_cap_per_minute: isInteger,
  webhook_rate_cap_per_minute: isInteger,
};
