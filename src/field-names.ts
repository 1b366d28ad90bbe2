// Generated from the field table (src/provider/schema.ts) by `npm run docs`: do not edit.
// test/field-names.test.ts fails when it differs from the table.

/**
 * The inputs of `UserMcpSource` in table order, and the ones stored as secrets: plain data for
 * the program side (resource.ts), which needs the names, not the validator. Importing this loads
 * nothing, so `require("pulumi-copass")` does not load zod (test/package/lean-start.test.ts).
 */
export const FIELD_NAMES = [
  "sandboxId",
  "name",
  "baseUrl",
  "authKind",
  "token",
  "authHeader",
  "appNamespace",
  "allowedTools",
  "ingestToolCalls",
  "rateCapPerMinute",
  "webhookRateCapPerMinute",
  "healthPolicy",
  "healthTimeoutSeconds",
  "healthCheckOnRefresh",
  "deletionPolicy",
  "adoptExisting",
] as const;

export type FieldName = (typeof FIELD_NAMES)[number];

export const SECRET_FIELDS: readonly FieldName[] = ["token"];
