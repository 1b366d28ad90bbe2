/**
 * Request validation of the emulator, in two layers that mirror the FastAPI service (reference §0, §6):
 *
 * - `parseRegisterBody` / `parsePatchBody`: the framework layer. A body that is not JSON, not an
 *   object, a field of the wrong JSON type or a missing required field is a 422 whose body is
 *   FastAPI's `{detail: [{type, loc, msg}]}`. Unlike FastAPI it never carries `input`: the input
 *   could be the MCP token.
 * - `checkRegister` / `checkConfig`: the service layer (reference §5), 400 `{error, detail}` with a
 *   stable snake_case code. Details name the field and the fix, never the value.
 *
 * Pure functions: no state, no HTTP.
 */
// Shared with the provider (one definition of each): the provider package's client subpath.
import { AUTH_KINDS, isLoopbackHost, type AuthKind } from "pulumi-copass/client";

export { AUTH_KINDS, type AuthKind };

export interface IngestToolCall {
  name: string;
  arguments?: Record<string, unknown>;
}

/** Register body after the framework layer: types are right, values not yet checked. */
export interface RegisterBody {
  name: string;
  base_url: string;
  auth_kind: string;
  token?: string;
  auth_header?: string;
  app_namespace?: string;
  allowed_tools?: string[];
  ingest_tool_calls?: unknown[];
  rate_cap_per_minute?: number;
  webhook_rate_cap_per_minute?: number;
}

/** PATCH body after the framework layer; a JSON `null` is dropped (null = omitted, reference §7.1). */
export type PatchBody = Partial<Omit<RegisterBody, "ingest_tool_calls">>;

/** One FastAPI-shaped 422 issue. */
export interface FrameworkIssue {
  type: string;
  loc: (string | number)[];
  msg: string;
}

export class FrameworkError extends Error {
  constructor(readonly issues: FrameworkIssue[]) {
    super("request body failed framework validation");
    this.name = "FrameworkError";
  }
}

/** A service-level validation failure: HTTP 400 `{error: code, detail}`. */
export class ValidationError extends Error {
  constructor(
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail);
    this.name = "ValidationError";
  }
}

type FieldType = "string" | "integer" | "list";
const FIELD_TYPES: Record<keyof RegisterBody, FieldType> = {
  name: "string",
  base_url: "string",
  auth_kind: "string",
  token: "string",
  auth_header: "string",
  app_namespace: "string",
  allowed_tools: "list",
  ingest_tool_calls: "list",
  rate_cap_per_minute: "integer",
  webhook_rate_cap_per_minute: "integer",
};
const REQUIRED_ON_REGISTER = ["name", "base_url", "auth_kind"] as const;

/** Parses raw request bytes as a JSON object, or throws the 422 FastAPI gives for it. */
export function parseJsonObject(raw: string): Record<string, unknown> {
  if (raw.trim() === "") {
    throw new FrameworkError([{ type: "missing", loc: ["body"], msg: "Field required" }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new FrameworkError([{ type: "json_invalid", loc: ["body"], msg: "JSON decode error" }]);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FrameworkError([
      { type: "model_attributes_type", loc: ["body"], msg: "Input should be a valid dictionary or object" },
    ]);
  }
  return value as Record<string, unknown>;
}

function typeIssue(field: string, type: FieldType, value: unknown): FrameworkIssue[] {
  if (type === "string") {
    return typeof value === "string"
      ? []
      : [{ type: "string_type", loc: ["body", field], msg: "Input should be a valid string" }];
  }
  if (type === "integer") {
    // Range and integrality are service rules (400); only "not a number at all" is the framework's.
    return typeof value === "number"
      ? []
      : [{ type: "int_type", loc: ["body", field], msg: "Input should be a valid integer" }];
  }
  if (!Array.isArray(value)) {
    return [{ type: "list_type", loc: ["body", field], msg: "Input should be a valid list" }];
  }
  if (field === "allowed_tools") {
    return value.flatMap((item, i) =>
      typeof item === "string"
        ? []
        : [{ type: "string_type", loc: ["body", field, i], msg: "Input should be a valid string" }],
    );
  }
  return [];
}

function pickTyped(body: Record<string, unknown>, fields: readonly (keyof RegisterBody)[]) {
  const issues: FrameworkIssue[] = [];
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const value = body[field];
    if (value === undefined || value === null) continue;
    const found = typeIssue(field, FIELD_TYPES[field], value);
    issues.push(...found);
    if (found.length === 0) out[field] = value;
  }
  return { issues, out };
}

export function parseRegisterBody(body: Record<string, unknown>): RegisterBody {
  const { issues, out } = pickTyped(body, Object.keys(FIELD_TYPES) as (keyof RegisterBody)[]);
  for (const field of REQUIRED_ON_REGISTER) {
    if (body[field] === undefined || body[field] === null) {
      issues.push({ type: "missing", loc: ["body", field], msg: "Field required" });
    }
  }
  if (issues.length > 0) throw new FrameworkError(issues);
  return out as unknown as RegisterBody;
}

/** `ingest_tool_calls` is not in the PATCH schema (reference §1.2): like pydantic, it is ignored. */
export function parsePatchBody(body: Record<string, unknown>): PatchBody {
  const fields = (Object.keys(FIELD_TYPES) as (keyof RegisterBody)[]).filter(
    (f) => f !== "ingest_tool_calls",
  );
  const { issues, out } = pickTyped(body, fields);
  if (issues.length > 0) throw new FrameworkError(issues);
  return out as PatchBody;
}

/** The effective configuration of a source, as checked and stored (token aside, it goes to the vault). */
export interface SourceConfig {
  name: string;
  base_url: string;
  auth_kind: AuthKind;
  auth_header?: string;
  app_namespace?: string;
  allowed_tools?: string[];
  ingest_tool_calls?: IngestToolCall[];
  rate_cap_per_minute: number;
  webhook_rate_cap_per_minute: number;
}

export const DEFAULT_RATE_CAP = 60;
export const DEFAULT_WEBHOOK_RATE_CAP = 600;

/** RFC 7230 `token`: the characters a header field name may use. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const NAMESPACE = /^[A-Za-z0-9_-]{1,64}$/;

export function isHeaderName(name: string): boolean {
  return HEADER_NAME.test(name);
}

/** Checks `base_url`; details describe the defect, never the URL (it could hold userinfo). */
export function checkBaseUrl(raw: string): void {
  const bad = (detail: string) => new ValidationError("invalid_base_url", detail);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad("base_url must be an absolute URL such as https://mcp.example.com/mcp");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw bad("base_url must use https:// (http:// only for a loopback host)");
  }
  if (url.username !== "" || url.password !== "") {
    throw bad("base_url must not contain userinfo (user:password@); pass the credential as token");
  }
  if (raw.includes("?") || raw.includes("#")) {
    throw bad("base_url must not have a query string or fragment");
  }
  if (raw.endsWith("/")) {
    throw bad("base_url must not end with a slash; remove the trailing '/'");
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    throw new ValidationError(
      "insecure_base_url",
      "base_url must use https://; http:// is accepted only for localhost, 127.0.0.0/8 and [::1]",
    );
  }
}

function checkRateCap(
  value: number | undefined,
  max: number,
  field: string,
  code: string,
): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new ValidationError(code, `${field} must be an integer from 1 to ${max}`);
  }
  return value;
}

function checkAllowedTools(tools: string[] | undefined): void {
  if (tools === undefined) return;
  if (tools.some((t) => t.length === 0)) {
    throw new ValidationError("invalid_allowed_tools", "allowed_tools must not contain an empty tool name");
  }
  if (new Set(tools).size !== tools.length) {
    throw new ValidationError("invalid_allowed_tools", "allowed_tools must not list a tool name twice");
  }
}

function checkIngestToolCalls(calls: unknown[] | undefined): IngestToolCall[] | undefined {
  if (calls === undefined) return undefined;
  return calls.map((call, i) => {
    const bad = (what: string) =>
      new ValidationError("invalid_ingest_tool_calls", `ingest_tool_calls[${i}] ${what}`);
    if (typeof call !== "object" || call === null || Array.isArray(call)) {
      throw bad("must be an object {name, arguments?}");
    }
    const { name, arguments: args } = call as Record<string, unknown>;
    if (typeof name !== "string" || name.length === 0) throw bad("needs a non-empty string name");
    if (args === undefined || args === null) return { name };
    if (typeof args !== "object" || Array.isArray(args)) throw bad("arguments must be a JSON object");
    return { name, arguments: args as Record<string, unknown> };
  });
}

/**
 * Checks a complete desired configuration (a register body, or the current config with a PATCH
 * applied) and returns it normalised with defaults. `token` is the credential that would be in
 * the vault afterwards.
 */
export function checkConfig(input: RegisterBody): SourceConfig {
  if (input.name.length < 1 || input.name.length > 255) {
    throw new ValidationError("invalid_name", "name must be 1 to 255 characters");
  }
  checkBaseUrl(input.base_url);
  if (!(AUTH_KINDS as readonly string[]).includes(input.auth_kind)) {
    throw new ValidationError("invalid_auth_kind", "auth_kind must be one of bearer, header_token, none");
  }
  const authKind = input.auth_kind as AuthKind;
  const hasToken = input.token !== undefined && input.token !== "";
  if (authKind === "none" && input.token !== undefined) {
    throw new ValidationError("unexpected_token", "token must be omitted when auth_kind is none");
  }
  if (authKind !== "none" && !hasToken) {
    throw new ValidationError("missing_token", `token is required when auth_kind is ${authKind}`);
  }
  if (authKind === "header_token") {
    if (input.auth_header === undefined || input.auth_header === "") {
      throw new ValidationError(
        "missing_auth_header",
        "auth_header (the header name) is required for header_token",
      );
    }
    if (!isHeaderName(input.auth_header)) {
      throw new ValidationError(
        "invalid_auth_header",
        "auth_header must be an HTTP header name (RFC 7230 token characters, e.g. X-Api-Key)",
      );
    }
  } else if (input.auth_header !== undefined) {
    throw new ValidationError(
      "unexpected_auth_header",
      "auth_header is only allowed when auth_kind is header_token",
    );
  }
  if (input.app_namespace !== undefined && !NAMESPACE.test(input.app_namespace)) {
    throw new ValidationError(
      "invalid_app_namespace",
      "app_namespace must be 1 to 64 characters of A-Z a-z 0-9 _ -",
    );
  }
  checkAllowedTools(input.allowed_tools);
  const ingest = checkIngestToolCalls(input.ingest_tool_calls);
  const rate = checkRateCap(input.rate_cap_per_minute, 600, "rate_cap_per_minute", "invalid_rate_cap");
  const webhook = checkRateCap(
    input.webhook_rate_cap_per_minute,
    6000,
    "webhook_rate_cap_per_minute",
    "invalid_webhook_rate_cap",
  );
  const config: SourceConfig = {
    name: input.name,
    base_url: input.base_url,
    auth_kind: authKind,
    rate_cap_per_minute: rate ?? DEFAULT_RATE_CAP,
    webhook_rate_cap_per_minute: webhook ?? DEFAULT_WEBHOOK_RATE_CAP,
  };
  if (input.auth_header !== undefined) config.auth_header = input.auth_header;
  if (input.app_namespace !== undefined) config.app_namespace = input.app_namespace;
  if (input.allowed_tools !== undefined) config.allowed_tools = [...input.allowed_tools];
  if (ingest !== undefined) config.ingest_tool_calls = ingest;
  return config;
}
