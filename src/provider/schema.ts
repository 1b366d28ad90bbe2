/**
 * The one field table of `UserMcpSource` (DESIGN §1). Every input is declared once, here: its zod
 * rule (with a message naming the property, the rule and the fix), API field, where read finds it,
 * change class and special rules (`compare`, `onRemove`, `createOnly`), secret flag, default and
 * description. Everything else reads it: the zod object and its input/output types, `check`, the
 * snake_case request bodies, read's mapping back (outputs.ts), the diff (diff.ts), the resource's
 * secret wrapping and `additionalSecretOutputs` (resource.ts), the README inputs table and the
 * args JSDoc (`npm run docs`, docs.ts; tests fail on drift). docs/development.md "Adding a field" says how to add one.
 *
 * No message ever contains an input value: a token, or a URL with userinfo, could be there. A
 * refused value that may hold one is reported on the resource, which the engine prints without
 * the value, and shown masked in the reason (`failureOf`, `maskOnFailure`).
 *
 * Unknown values: during preview a value computed by another resource arrives as the sentinel
 * string {@link UNKNOWN} whatever its declared type, even nested in arrays or objects. Such a
 * property skips validation (and the cross-field rules that read it) and passes through as-is.
 */
import { isDeepStrictEqual } from "node:util";
// zod/mini, not classic zod (src/zod-mini.ts says why), loaded with the first schema (`zod`).
import type * as Z from "../zod-mini";
// Types only: the client's wire schemas (client/types.ts) are not built in the provider's load.
import type { IngestToolCall, PatchUserMcpRequest, RegisterUserMcpRequest } from "../client/types";
import { AUTH_KINDS } from "../client/vocabulary";
import { urlProblem } from "../client/url";
import { MIN_REDACTABLE_LENGTH } from "../redact";
import { RESERVED_HEADER_MESSAGE, isReservedHeaderName } from "./header-name";
import { maskHeaderName, maskToolCalls, maskUrl, maskWhole } from "./mask";

/** The engine's placeholder for a value not known until apply (pulumi `runtime.unknownValue`). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when `value` is, or contains at any depth, the unknown sentinel. */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (typeof value === "object" && value !== null) return Object.values(value).some(containsUnknown);
  return false;
}

/**
 * zod/mini, required when the first schema is built (`field`, `builtSchemas`), not when the
 * provider loads: nothing else here needs it, and a host that never checks never loads it
 * (issue 24). Every zod call below runs inside a schema's build, after `loadZod`.
 */
let z: typeof Z;
function loadZod(): void {
  z ??= require("../zod-mini") as typeof Z;
}

/**
 * What a change to the field does:
 * - `replace`: not patchable, so a new source is registered;
 * - `update`: PATCHed in place;
 * - `update-then-retest`: PATCHed, then health is re-tested (the connection changed);
 * - `none`: provider-only, no API call (the new value is recorded in state for later operations).
 */
export type ChangeClass = "replace" | "update" | "update-then-retest" | "none";

/** The base type's message: "required" when absent, else the rule and the fix. Never the value. */
function typeError(required: string, wrongType: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? required : wrongType);
}

/** An integer from `min` to `max`, every message naming `name`, the range and so the fix. */
function integerIn(name: string, min: number, max: number) {
  const range = `an integer from ${min} to ${max}`;
  return z
    .number({ error: `${name} must be a number: ${range}` })
    .check(
      z.int({ error: `${name} must be a whole number: ${range}` }),
      z.gte(min, { error: `${name} must be at least ${min}: ${range}` }),
      z.lte(max, { error: `${name} must be at most ${max}: ${range}` }),
    );
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const NAMESPACE = /^[A-Za-z0-9_-]{1,64}$/;
const SANDBOX_ID = /^[^\s/?#]+$/;

/**
 * Where read finds the field's current value:
 * - `source`: the DataSource itself (`source[wire]`);
 * - `adapter_config`: `adapter_config[wire]`; a missing or ill-typed key keeps the prior value (its
 *   keys are undocumented), `null` means the server default (see `onRemove`);
 * - `state`: never returned by the API (a secret, a path segment, a provider-only field): the prior
 *   state keeps it.
 */
export type ReadFrom = "source" | "adapter_config" | "state";

/**
 * What removing an optional field from the program does, when that is not simply "back to the
 * default": `keep` (the API cannot clear it; the server's value stays, no diff), `replace` (PATCH
 * treats `null` as omitted, reference §7.1, so only a new source clears it; the server's `null`
 * reads back as absent).
 */
export type OnRemove = "keep" | "replace";

export interface FieldSpec<S extends Z.ZodMiniType = Z.ZodMiniType> {
  /** API field in register/PATCH bodies and adapter_config; null for provider-only fields. */
  readonly wire: string | null;
  readonly change: ChangeClass;
  /** Stored as a secret: wrapped in `pulumi.secret` and listed in `additionalSecretOutputs`. */
  readonly secret: boolean;
  readonly read: ReadFrom;
  /** Compared as a set (order is not meaningful, a server may reorder it). */
  readonly compare?: "set";
  readonly onRemove?: OnRemove;
  /** Only steers create: a later change to it is no change. */
  readonly createOnly?: true;
  /**
   * How a refused value shows (mask.ts), in the failure's reason and in check's answer; a failure
   * whose value it changes is reported on the resource, so the engine prints no value beside it
   * (`failureOf`). Set where a refused value may carry a credential: `baseUrl` (userinfo, query,
   * fragment), `authHeader` (a header line pasted as the name), `ingestToolCalls` (argument
   * values). A `secret` field needs none: both faces send it as a secret, printed `[secret]`, and
   * check's answer hides it whole. The others show as they came: ids, names, enums, numbers, tool
   * names and the namespace are stored and diffed in plaintext when valid, so a refused one says
   * no more than a valid one would.
   */
  readonly maskOnFailure?: (value: unknown) => unknown;
  /** Normalises the value read from the server to the program's shape. */
  readonly fromWire?: (served: never) => unknown;
  /** Required in the program (no default, not optional). */
  readonly required: boolean;
  /** Filled in by `check` when absent, so diffs are stable. */
  readonly default?: unknown;
  /** The rule, as the README shows it. */
  readonly rule: string;
  /** The default, as the README shows it. */
  readonly defaultDoc: string;
  readonly description: string;
  /** zod rule for a present value. */
  readonly schema: S;
}

/**
 * A field as the table writes it: its zod rule as a function, which `field` calls on the first read
 * of `schema` (the first check, usually), not when the provider loads. Why (issue 24): building the
 * ~90 schemas is a quarter of what `require("pulumi-copass/provider")` cost, and a host that only
 * reads, refreshes or deletes never checks. The first check pays it instead, no more than the load
 * did (bench/cold-start.ts measures the two together).
 */
type FieldEntry = Omit<FieldSpec, "schema"> & { readonly schema: () => Z.ZodMiniType };

/**
 * Keeps each spec's literal types (`required: true`, `default`) so the zod shape can be derived,
 * and builds its `schema` once, on first read.
 */
function field<const F extends FieldEntry>(
  spec: F,
): Omit<F, "schema"> & { readonly schema: ReturnType<F["schema"]> } {
  const { schema: build, ...rest } = spec;
  let built: ReturnType<F["schema"]> | undefined;
  return Object.defineProperty(rest, "schema", {
    enumerable: true,
    get: () => {
      loadZod();
      return (built ??= build() as ReturnType<F["schema"]>);
    },
  }) as Omit<F, "schema"> & { readonly schema: ReturnType<F["schema"]> };
}

const ingestToolCallSchema = () =>
  z.object(
    {
      name: z
        .string({ error: "ingestToolCalls[].name must be a string: the MCP tool to call" })
        .check(z.minLength(1, { error: "ingestToolCalls[].name must be a non-empty tool name" })),
      arguments: z.optional(
        z.record(z.string(), z.unknown(), {
          error: "ingestToolCalls[].arguments must be a JSON object, e.g. { limit: 50 }",
        }),
      ),
    },
    { error: "ingestToolCalls must hold objects { name, arguments? }" },
  );

/** The field table, in the order of DESIGN §1. */
export const FIELDS = {
  sandboxId: field({
    wire: null, // a path segment, not a body field
    read: "state",
    change: "replace",
    secret: false,
    required: true,
    rule: "non-empty string (a path segment: no whitespace, `/`, `?` or `#`)",
    defaultDoc: "required",
    description: "Copass sandbox the source belongs to.",
    schema: () =>
      z
        .string({
          error: typeError(
            "sandboxId is required: set it to the Copass sandbox id, e.g. sb_123",
            "sandboxId must be a string: the Copass sandbox id, e.g. sb_123",
          ),
        })
        .check(
          z.regex(SANDBOX_ID, {
            error: "sandboxId must be a non-empty id without whitespace, '/', '?' or '#', e.g. sb_123",
          }),
        ),
  }),
  name: field({
    wire: "name",
    read: "source",
    change: "update",
    secret: false,
    required: true,
    rule: "1–255 characters",
    defaultDoc: "required",
    description: "Display name of the source.",
    schema: () =>
      z
        .string({
          error: typeError(
            "name is required: set a display name of 1 to 255 characters",
            "name must be a string of 1 to 255 characters",
          ),
        })
        .check(
          z.minLength(1, { error: "name must not be empty: use 1 to 255 characters" }),
          z.maxLength(255, { error: "name is too long: use at most 255 characters" }),
        ),
  }),
  baseUrl: field({
    wire: "base_url",
    read: "adapter_config",
    change: "update-then-retest",
    secret: false,
    required: true,
    rule: "absolute https URL, no trailing slash, no userinfo, no query; `http` only for loopback hosts",
    defaultDoc: "required",
    description: "URL of the MCP server (its full MCP endpoint).",
    maskOnFailure: maskUrl,
    schema: () =>
      z
        .string({
          error: typeError(
            "baseUrl is required: set the MCP server URL, e.g. https://mcp.example.com/mcp",
            "baseUrl must be a string URL, e.g. https://mcp.example.com/mcp",
          ),
        })
        .check(
          z.superRefine((value: string, ctx) => {
            const problem = urlProblem("baseUrl", value, "https://mcp.example.com/mcp");
            if (problem) ctx.addIssue({ code: "custom", message: problem });
          }),
        ),
  }),
  authKind: field({
    wire: "auth_kind",
    read: "adapter_config",
    change: "update-then-retest",
    secret: false,
    required: true,
    rule: "`bearer` \\| `header_token` \\| `none`",
    defaultDoc: "required",
    description: "How Copass authenticates to the MCP server.",
    schema: () =>
      z.enum(AUTH_KINDS, {
        error: typeError(
          'authKind is required: set it to "bearer", "header_token" or "none"',
          'authKind must be one of "bearer", "header_token" or "none"',
        ),
      }),
  }),
  token: field({
    wire: "token",
    read: "state", // the API never returns it
    change: "update-then-retest",
    secret: true,
    required: false,
    // Removed = a switch to authKind none. PATCH cannot delete the vault token (`token: null` is
    // read as omitted, reference §7.1; omitted keeps it, §1.2): only the old source's revoke does
    // (§1.4), so a new source is registered rather than leave the credential in Copass's vault.
    onRemove: "replace",
    rule: 'secret string of at least 4 characters; required iff `authKind != "none"`, forbidden otherwise',
    defaultDoc: "—",
    description: "Credential for the MCP server, sent only when it changes.",
    // Shorter tokens cannot be cut out of the MCP server's error text (redact.ts), so a server that
    // echoes one would put it in healthError in plaintext.
    schema: () =>
      z.string({ error: "token must be a string: the MCP server's credential" }).check(
        z.minLength(MIN_REDACTABLE_LENGTH, {
          error:
            `token must be at least ${MIN_REDACTABLE_LENGTH} characters (a shorter one could not be kept out of ` +
            "error messages and healthError): pass the MCP server's full credential, or use authKind none",
        }),
      ),
  }),
  authHeader: field({
    wire: "auth_header",
    read: "adapter_config",
    change: "update-then-retest",
    secret: false,
    required: false,
    // Removed = a switch from header_token to bearer or none. PATCH cannot clear auth_header
    // (`null` is read as omitted, reference §7.1), and we do not rely on Copass dropping it when
    // auth_kind changes (undocumented): a new source is registered without it.
    onRemove: "replace",
    rule: "HTTP header-name syntax, not a header the HTTP client or the MCP transport sets (`Host`, `Content-Length`, `Transfer-Encoding`, `Cookie`, `Proxy-*`, …); required iff `authKind` is `header_token`",
    defaultDoc: "—",
    description: "Header that carries the token when `authKind` is `header_token`.",
    maskOnFailure: maskHeaderName,
    schema: () =>
      z.string({ error: "authHeader must be a string: an HTTP header name such as X-Api-Key" }).check(
        z.regex(HEADER_NAME, {
          error:
            "authHeader must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~), e.g. X-Api-Key",
        }),
        // Hop-by-hop, framing and transport headers: a token there is dropped or smuggles a request.
        z.refine((name: string) => !isReservedHeaderName(name), { error: RESERVED_HEADER_MESSAGE }),
      ),
  }),
  appNamespace: field({
    wire: "app_namespace",
    read: "adapter_config",
    onRemove: "keep",
    change: "update",
    secret: false,
    required: false,
    rule: "≤64 chars of `[A-Za-z0-9_-]`",
    defaultDoc: "server uses the id",
    description:
      "Tool-name prefix, unique among the sandbox's active sources; the server uses the source id when absent.",
    schema: () =>
      z.string({ error: "appNamespace must be a string of 1 to 64 characters of A-Z a-z 0-9 _ -" }).check(
        z.regex(NAMESPACE, {
          error: "appNamespace must be 1 to 64 characters of A-Z a-z 0-9 _ -, e.g. crm",
        }),
      ),
  }),
  allowedTools: field({
    wire: "allowed_tools",
    read: "adapter_config",
    compare: "set",
    onRemove: "replace",
    change: "update",
    secret: false,
    required: false,
    rule: "unique non-empty strings",
    defaultDoc: "all tools",
    description: "Tools agents may call; absent means all tools.",
    schema: () =>
      z
        .array(
          z
            .string({ error: "allowedTools must hold tool names (strings)" })
            .check(z.minLength(1, { error: "allowedTools must not contain an empty tool name" })),
          { error: 'allowedTools must be a list of tool names, e.g. ["search_accounts"]' },
        )
        .check(
          z.refine((tools: string[]) => new Set(tools).size === tools.length, {
            error: "allowedTools must not list a tool name twice; remove the duplicates",
          }),
        ),
  }),
  ingestToolCalls: field({
    wire: "ingest_tool_calls",
    read: "adapter_config",
    // The server may add keys and send `arguments: null`; the program has `{ name, arguments? }`.
    fromWire: (calls: { name: string; arguments?: Record<string, unknown> | null }[]) =>
      calls.map((call): IngestToolCall => {
        const out: IngestToolCall = { name: call.name };
        if (call.arguments !== undefined && call.arguments !== null) out.arguments = call.arguments;
        return out;
      }),
    change: "replace",
    secret: false,
    required: false,
    default: [],
    rule: "`{ name, arguments? }[]`",
    defaultDoc: "`[]`",
    description: "Tool calls Copass runs on every pull(); `[]` means live tools only.",
    maskOnFailure: maskToolCalls,
    schema: () =>
      z.array(ingestToolCallSchema(), {
        error: 'ingestToolCalls must be a list of { name, arguments? }, e.g. [{ name: "list_docs" }]',
      }),
  }),
  rateCapPerMinute: field({
    wire: "rate_cap_per_minute",
    read: "adapter_config",
    change: "update",
    secret: false,
    required: false,
    default: 60,
    rule: "integer 1–600",
    defaultDoc: "60",
    description: "Agent tool calls per minute Copass sends to the server.",
    schema: () => integerIn("rateCapPerMinute", 1, 600),
  }),
  webhookRateCapPerMinute: field({
    wire: "webhook_rate_cap_per_minute",
    read: "adapter_config",
    change: "update",
    secret: false,
    required: false,
    default: 600,
    rule: "integer 1–6000",
    defaultDoc: "600",
    description: "Inbound webhook deliveries per minute.",
    schema: () => integerIn("webhookRateCapPerMinute", 1, 6000),
  }),
  healthPolicy: field({
    wire: null,
    read: "state",
    change: "none",
    secret: false,
    required: false,
    default: "require",
    rule: "`require` \\| `warn` \\| `ignore`",
    defaultDoc: "`require`",
    description:
      "An unhealthy source fails the step (`require`, kept in state), warns (`warn`) or is only recorded (`ignore`).",
    schema: () =>
      z.enum(["require", "warn", "ignore"], {
        error: 'healthPolicy must be one of "require", "warn" or "ignore"',
      }),
  }),
  healthTimeoutSeconds: field({
    wire: null,
    read: "state",
    change: "none",
    secret: false,
    required: false,
    default: 60,
    rule: "integer 0–3600",
    defaultDoc: "60",
    description:
      "How long `require` keeps re-testing an unhealthy source, in seconds. 0: no re-test; the one test an update owes is sent once, never retried.",
    schema: () => integerIn("healthTimeoutSeconds", 0, 3600),
  }),
  healthCheckOnRefresh: field({
    wire: null,
    read: "state",
    change: "none",
    secret: false,
    required: false,
    default: true,
    rule: "boolean",
    defaultDoc: "`true`",
    description: "Whether refresh re-tests health (one more API call).",
    schema: () => z.boolean({ error: "healthCheckOnRefresh must be true or false" }),
  }),
  deletionPolicy: field({
    wire: null,
    read: "state",
    change: "none",
    secret: false,
    required: false,
    default: "revoke",
    rule: "`revoke` \\| `delete`",
    defaultDoc: "`revoke`",
    description: "`revoke` disconnects the source; `delete` also deletes its row.",
    schema: () => z.enum(["revoke", "delete"], { error: 'deletionPolicy must be "revoke" or "delete"' }),
  }),
  adoptExisting: field({
    wire: null,
    read: "state",
    change: "none",
    secret: false,
    required: false,
    default: false,
    createOnly: true,
    rule: "boolean; needs `appNamespace`",
    defaultDoc: "`false`",
    description:
      "On create, take over the active source with the same `appNamespace` instead of registering one.",
    schema: () => z.boolean({ error: "adoptExisting must be true or false" }),
  }),
} as const;

export type FieldName = keyof typeof FIELDS;
export const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];

/** A field's entry with every attribute visible (optional ones absent from its literal type too). */
export function specOf(name: FieldName): FieldSpec {
  return FIELDS[name];
}

type Fields = typeof FIELDS;
/** The zod shape derived from the table: required, defaulted, or optional. */
type Shape = {
  [K in FieldName]: Fields[K]["required"] extends true
    ? Fields[K]["schema"]
    : Fields[K] extends { default: unknown }
      ? Z.ZodMiniDefault<Fields[K]["schema"]>
      : Z.ZodMiniOptional<Fields[K]["schema"]>;
};

function shapeOf(): Shape {
  const entries = FIELD_NAMES.map((name) => {
    const spec: FieldSpec = FIELDS[name];
    if (spec.required) return [name, spec.schema];
    if ("default" in spec) return [name, z._default(spec.schema, spec.default as never)];
    return [name, z.optional(spec.schema)];
  });
  return Object.fromEntries(entries) as Shape;
}

/** Whether a field's value is usable by a cross-field rule: present and known. */
function known(value: unknown): boolean {
  return !containsUnknown(value);
}

/**
 * Cross-field rules, reported at the field to change. `when: () => true` makes them run even when
 * another field failed, so one `check` reports everything; each rule therefore tests exact values
 * and skips when a field it reads is unknown.
 */
function withCrossFieldRules<T extends Z.ZodMiniObject>(object: T) {
  type V = Record<string, unknown>;
  const always = { when: () => true };
  return object.check(
    z.refine(
      (v: V) =>
        !(v.authKind === "bearer" || v.authKind === "header_token") ||
        v.token !== undefined ||
        !known(v.authKind),
      {
        ...always,
        path: ["token"],
        error: "token is required when authKind is bearer or header_token: pass the MCP server's credential",
      },
    ),
    z.refine((v: V) => !(v.authKind === "none" && v.token !== undefined), {
      ...always,
      path: ["token"],
      error:
        'token must be omitted when authKind is "none": remove it, or set authKind to bearer or header_token',
    }),
    z.refine((v: V) => !(v.authKind === "header_token" && v.authHeader === undefined), {
      ...always,
      path: ["authHeader"],
      error: "authHeader is required when authKind is header_token: set the header name, e.g. X-Api-Key",
    }),
    z.refine((v: V) => !((v.authKind === "bearer" || v.authKind === "none") && v.authHeader !== undefined), {
      ...always,
      path: ["authHeader"],
      error:
        "authHeader is only allowed when authKind is header_token: remove it, or set authKind to header_token",
    }),
    z.refine((v: V) => !(v.adoptExisting === true && v.appNamespace === undefined), {
      ...always,
      path: ["appNamespace"],
      error:
        "adoptExisting needs appNamespace to find the source to take over: set appNamespace, or drop adoptExisting",
    }),
  );
}

/** The object of the table's fields, and the inputs schema: that object with the cross-field rules. */
function buildSchemas() {
  loadZod();
  const base = z.object(shapeOf());
  return { base, inputs: withCrossFieldRules(base) };
}

let schemas: ReturnType<typeof buildSchemas> | undefined;
/** Built on the first check, as the fields' schemas are (see `field`). */
const builtSchemas = () => (schemas ??= buildSchemas());

/** The inputs schema: `z.input` is what a program may pass, `z.output` the normalised state. */
type InputsSchema = ReturnType<typeof buildSchemas>["inputs"];

/** What the program passes (defaults optional). */
export type UserMcpSourceInputs = Z.input<InputsSchema>;
/** Checked inputs: defaults filled in. The shape stored as inputs and the core of the outputs. */
export type NormalizedInputs = Z.output<InputsSchema>;
export type AuthKind = NormalizedInputs["authKind"];
export type HealthPolicy = NormalizedInputs["healthPolicy"];
export type { IngestToolCall };

export interface CheckFailure {
  property: string;
  reason: string;
}

export type CheckOutcome =
  | { ok: true; inputs: NormalizedInputs; failures: [] }
  | { ok: false; inputs: Record<string, unknown>; failures: CheckFailure[] };

/**
 * Drops keys whose value is undefined, at any depth: what the provider returns becomes a protobuf
 * Struct, which rejects `undefined`.
 */
export function stripUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(stripUndefined) as T;
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = stripUndefined(v);
    }
    return out as T;
  }
  return value;
}

/**
 * Validates and normalises program inputs offline. Keys outside the table (such as `__provider`,
 * or the output-only keys the resource seeds) are dropped; the host re-adds `__provider`. A
 * property holding an unknown anywhere skips its rule and is passed through unchanged. Returns at
 * most one failure per property, the first zod reports; one whose value may hold a credential is
 * reported on the resource (`failureOf`). On failure the inputs come back as they came, except
 * each failed property, which comes back through its field's mask (`shownOnFailure`).
 *
 * A property that is `null` at the top level counts as absent: the SDK serializes a secret Output
 * that resolved to `undefined` (the resource wraps every `token` in `pulumi.secret`) as a secret
 * `null`, and the engine hands the provider that `null` in plaintext.
 */
export function checkInputs(raw: Record<string, unknown>): CheckOutcome {
  // A copy only when there is a null to drop (every check and create runs this).
  const news = Object.values(raw).includes(null)
    ? Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== null))
    : raw;
  const key = acceptedKey(news);
  const known = key === undefined ? undefined : accepted.get(key);
  if (known !== undefined) return known;
  const outcome = judgeInputs(news);
  if (outcome.ok && key !== undefined) remember(key, outcome);
  return outcome;
}

/**
 * The inputs `checkInputs` accepted, by their text (`acceptedKey`), with the outcome: the engine
 * checks a resource's inputs, then hands what check returned to create or update, which check it
 * again (operations.ts `checked`), and that second check finds its answer here (issue 24: ~40 µs
 * of an update's CPU in the host). Checked inputs are their own check's answer (no rule transforms
 * a value, and the defaults are in), so an outcome is kept under the text of what it was given and
 * of what it returns. Frozen: every caller shares it. In memory only, as the inputs themselves
 * (tokens included) are; cleared when full (a program's sources, not more, are checked at a time).
 */
const accepted = new Map<string, CheckOutcome>();
const MAX_ACCEPTED = 1024;

function remember(key: string, outcome: CheckOutcome & { ok: true }): void {
  if (accepted.size >= MAX_ACCEPTED) accepted.clear();
  deepFreeze(outcome);
  accepted.set(key, outcome);
  const own = acceptedKey(outcome.inputs as Record<string, unknown>);
  if (own !== undefined) accepted.set(own, outcome);
}

/**
 * The table's fields of `news` as JSON, or undefined when that text could stand for inputs with
 * another outcome: JSON writes NaN and ±Infinity as `null`, so no text holding `null` is a key (top-
 * level nulls were dropped before: they count as absent). Keys outside the table are left out, as
 * check drops them (`__provider`: 2 KB of the dynamic face's every call).
 */
function acceptedKey(news: Record<string, unknown>): string | undefined {
  const fields: Record<string, unknown> = {};
  for (const name of FIELD_NAMES) if (news[name] !== undefined) fields[name] = news[name];
  const key = JSON.stringify(fields);
  return key.includes("null") ? undefined : key;
}

/** For tests: forget every accepted input (the next check of each runs in full). */
export function forgetAcceptedInputs(): void {
  accepted.clear();
}

function deepFreeze(value: unknown): void {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
}

/** `checkInputs` itself: zod, the cross-field rules, and the failures as the engine shows them. */
function judgeInputs(news: Record<string, unknown>): CheckOutcome {
  const unknownKeys = FIELD_NAMES.filter((name) => containsUnknown(news[name]));
  const { base, inputs } = builtSchemas();
  const schema =
    unknownKeys.length === 0
      ? inputs
      : withCrossFieldRules(z.extend(base, Object.fromEntries(unknownKeys.map((k) => [k, z.any()]))));
  const result = schema.safeParse(news);
  if (result.success) {
    return { ok: true, inputs: stripUndefined(result.data) as NormalizedInputs, failures: [] };
  }
  const failures: CheckFailure[] = [];
  const seen = new Set<string>();
  for (const issue of result.error.issues) {
    const property = String(issue.path[0] ?? "");
    if (seen.has(property)) continue;
    seen.add(property);
    failures.push(failureOf(property, issue.message, news[property]));
  }
  const passthrough: Record<string, unknown> = {};
  for (const name of FIELD_NAMES) {
    if (news[name] === undefined) continue;
    passthrough[name] = seen.has(name) ? shownOnFailure(name, news[name]) : news[name];
  }
  return { ok: false, inputs: passthrough, failures };
}

/**
 * A failure as the engine will print it. The engine prints a failure on a property beside the
 * value the program gave it (`property baseUrl value {…} has a problem: …`): the Pulumi CLI 3.274.1
 * prints the goal's inputs and only then takes check's (pkg/resource/deploy/step_generator.go,
 * `issueCheckErrors` before `new.Inputs = inputs`), so no value check returns can hide a
 * credential there. A failure whose value its field's mask changes is therefore reported on the
 * resource (property ""), which the engine prints without a value; the reason still names the
 * property and shows the value masked, so the user sees what is wrong. A secret field keeps its
 * property: both faces send it as a secret, which the engine prints as `[secret]`.
 */
function failureOf(property: string, reason: string, value: unknown): CheckFailure {
  const mask = isFieldName(property) ? specOf(property).maskOnFailure : undefined;
  if (mask === undefined || value === undefined || containsUnknown(value)) return { property, reason };
  const masked = mask(value);
  if (isDeepStrictEqual(masked, value)) return { property, reason };
  const shown = typeof masked === "string" ? masked : JSON.stringify(masked);
  return { property: "", reason: `${reason} (${property} as given, credentials masked: ${shown})` };
}

function isFieldName(name: string): name is FieldName {
  return (FIELD_NAMES as string[]).includes(name);
}

/**
 * A failed property's value as `check` returns it: masked when the field may hold a credential
 * (`maskOnFailure`; a secret field whole). The engine does not print it (see `failureOf`); masked
 * all the same, so no copy of the refused credential leaves check. A value holding an unknown is
 * kept: nothing in it is known.
 */
function shownOnFailure(name: FieldName, value: unknown): unknown {
  const spec = specOf(name);
  const mask = spec.maskOnFailure ?? (spec.secret ? maskWhole : undefined);
  return mask === undefined || containsUnknown(value) ? value : mask(value);
}

/** The API fields of `inputs` that have a wire name (not sandboxId: it is a path segment). */
function wireEntries(inputs: Partial<NormalizedInputs>, include: (name: FieldName) => boolean) {
  const body: Record<string, unknown> = {};
  for (const name of FIELD_NAMES) {
    const wire = FIELDS[name].wire;
    const value = inputs[name];
    if (wire === null || value === undefined || !include(name)) continue;
    body[wire] = value;
  }
  return body;
}

/** Register body: every API field that has a value. */
export function registerBody(inputs: NormalizedInputs): RegisterUserMcpRequest {
  return wireEntries(inputs, () => true) as unknown as RegisterUserMcpRequest;
}

/**
 * PATCH body holding `fields` of `inputs`, whatever changed (the not-patchable `replace` fields
 * never go in). Adoption PATCHes every field; an update, only the changed ones (diff.ts `updatePlan`).
 */
export function patchBodyForFields(
  inputs: Partial<NormalizedInputs>,
  fields: readonly FieldName[],
): PatchUserMcpRequest {
  return wireEntries(
    inputs,
    (name) => fields.includes(name) && FIELDS[name].change !== "replace",
  ) as unknown as PatchUserMcpRequest;
}

/** The fields stored as secrets (the resource wraps them and lists them in additionalSecretOutputs). */
export const SECRET_FIELDS: readonly FieldName[] = FIELD_NAMES.filter((name) => FIELDS[name].secret);
