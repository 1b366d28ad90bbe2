/**
 * `UserMcpSource`: a Copass `user_mcp` source (a tenant's own MCP server registered with a Copass
 * sandbox) as a Pulumi resource. This file runs in the user's program; the logic runs in Pulumi's
 * dynamic-provider host, reached through the serialized shim (src/provider/shim.ts).
 *
 * `pulumi import` does not work for dynamic resources; use `adoptExisting` instead.
 */
import * as pulumi from "@pulumi/pulumi";
// Type-only and zod-free (see ./client/vocabulary): this file's declarations are the public API.
import type { AuthKind, KnownStatus } from "./client/vocabulary";
import { providerShim } from "./provider/shim";
// Plain data generated from the field table, not the table itself: that one holds the zod rules,
// and a program that loaded zod would pay ~60 ms for a validator it never runs (issue 18).
import { FIELD_NAMES, SECRET_FIELDS } from "./field-names";
// The setting names only: config.ts loads no zod and no undici.
import { SETTINGS } from "./provider/config";

/** How Copass authenticates to the MCP server. */
export type UserMcpAuthKind = AuthKind;
/**
 * The source's status: the ones Copass documents, `unknown` when an answer carried none, and any
 * other string a newer API sends (`string & {}` keeps the named ones in editor completion).
 */
export type UserMcpSourceStatus = KnownStatus | "unknown" | (string & {});
/** What a failed health check does to `create` and `update`. */
export type UserMcpHealthPolicy = "require" | "warn" | "ignore";
/** What `delete` does at Copass. */
export type UserMcpDeletionPolicy = "revoke" | "delete";

/** One MCP tool call Copass runs on every `pull()` to ingest data. */
export interface UserMcpIngestToolCall {
  /** Tool name as the MCP server lists it. */
  readonly name: string;
  /** JSON arguments for the call. */
  readonly arguments?: Record<string, unknown>;
}

/**
 * Inputs of {@link UserMcpSource} (DESIGN §1): one member per entry of the field table
 * (src/provider/schema.ts). The JSDoc of each is generated from the table by `npm run docs`.
 */
export interface UserMcpSourceArgs {
  /**
   * Copass sandbox the source belongs to. Rule: non-empty string (a path segment: no whitespace, `/`, `?` or
   * `#`). Required. Changing it **replaces** the source.
   */
  readonly sandboxId: pulumi.Input<string>;
  /** Display name of the source. Rule: 1–255 characters. Required. Updated in place. */
  readonly name: pulumi.Input<string>;
  /**
   * URL of the MCP server (its full MCP endpoint). Rule: absolute https URL, no trailing slash, no userinfo,
   * no query; `http` only for loopback hosts. Required. Updated in place, then health is re-tested.
   */
  readonly baseUrl: pulumi.Input<string>;
  /**
   * How Copass authenticates to the MCP server. Rule: `bearer` | `header_token` | `none`. Required. Updated
   * in place, then health is re-tested.
   */
  readonly authKind: pulumi.Input<UserMcpAuthKind>;
  /**
   * Credential for the MCP server, sent only when it changes. Rule: secret string of at least 4 characters;
   * required iff `authKind != "none"`, forbidden otherwise. Optional. Updated in place, then health is
   * re-tested. Removing it **replaces** the source. Always stored as a secret, even when passed as a plain
   * string.
   */
  readonly token?: pulumi.Input<string>;
  /**
   * Header that carries the token when `authKind` is `header_token`. Rule: HTTP header-name syntax, not a
   * header the HTTP client or the MCP transport sets (`Host`, `Content-Length`, `Transfer-Encoding`,
   * `Cookie`, `Proxy-*`, …); required iff `authKind` is `header_token`. Optional. Updated in place, then
   * health is re-tested. Removing it **replaces** the source.
   */
  readonly authHeader?: pulumi.Input<string>;
  /**
   * Tool-name prefix, unique among the sandbox's active sources; the server uses the source id when absent.
   * Rule: ≤64 chars of `[A-Za-z0-9_-]`. Default: server uses the id. Updated in place. Removing it keeps the
   * server's current value.
   */
  readonly appNamespace?: pulumi.Input<string>;
  /**
   * Tools agents may call; absent means all tools. Rule: unique non-empty strings. Default: all tools.
   * Updated in place. Removing it **replaces** the source. Order does not matter.
   */
  readonly allowedTools?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Tool calls Copass runs on every pull(); `[]` means live tools only. Rule: `{ name, arguments? }[]`.
   * Default: `[]`. Changing it **replaces** the source.
   */
  readonly ingestToolCalls?: pulumi.Input<pulumi.Input<UserMcpIngestToolCall>[]>;
  /**
   * Agent tool calls per minute Copass sends to the server. Rule: integer 1–600. Default: 60. Updated in
   * place.
   */
  readonly rateCapPerMinute?: pulumi.Input<number>;
  /** Inbound webhook deliveries per minute. Rule: integer 1–6000. Default: 600. Updated in place. */
  readonly webhookRateCapPerMinute?: pulumi.Input<number>;
  /**
   * An unhealthy source fails the step (`require`, kept in state), warns (`warn`) or is only recorded
   * (`ignore`). Rule: `require` | `warn` | `ignore`. Default: `require`. Provider-only: a change makes no API
   * call.
   */
  readonly healthPolicy?: pulumi.Input<UserMcpHealthPolicy>;
  /**
   * How long `require` keeps re-testing an unhealthy source, in seconds. 0: no re-test; the one test an
   * update owes is sent once, never retried. Rule: integer 0–3600. Default: 60. Provider-only: a change makes
   * no API call.
   */
  readonly healthTimeoutSeconds?: pulumi.Input<number>;
  /**
   * Whether refresh re-tests health (one more API call). Rule: boolean. Default: `true`. Provider-only: a
   * change makes no API call.
   */
  readonly healthCheckOnRefresh?: pulumi.Input<boolean>;
  /**
   * `revoke` disconnects the source; `delete` also deletes its row. Rule: `revoke` | `delete`. Default:
   * `revoke`. Provider-only: a change makes no API call.
   */
  readonly deletionPolicy?: pulumi.Input<UserMcpDeletionPolicy>;
  /**
   * On create, take over the active source with the same `appNamespace` instead of registering one. Rule:
   * boolean; needs `appNamespace`. Default: `false`. Read on create only: a later change does nothing.
   */
  readonly adoptExisting?: pulumi.Input<boolean>;
}

/** Outputs that are no input (DESIGN §1; apiEndpoint and tenantId: location.ts). */
const OUTPUT_ONLY_KEYS = [
  "dataSourceId",
  "status",
  "healthError",
  "ingestionMode",
  "apiEndpoint",
  "tenantId",
];

/**
 * The credentials among the provider settings. Pulumi records the whole stack config in plaintext,
 * a `--secret` value excepted, in the state of the default provider of every dynamic resource
 * (`pulumi:providers:pulumi-nodejs`; pulumi/pulumi pkg/resource/deploy/target.go
 * `GetPackageConfig`: "For dynamic providers, we always pass the full configuration"), and only
 * the program can tell: the provider receives the values with their secret marks stripped.
 */
const CREDENTIAL_SETTINGS = [SETTINGS.apiKey.config, SETTINGS.encryptionToken.config];

/** How a program asks Pulumi's runtime about its config (`pulumi.runtime`, or a test's stand-in). */
export interface ConfigRuntime {
  getConfig(key: string): string | undefined;
  /** Pulumi's (internal) `runtime.isConfigSecret`, absent from its types; may be missing in a future release. */
  isConfigSecret?: (key: string) => boolean;
}

/**
 * The credential settings set in plaintext in this run's stack config. Empty when Pulumi's runtime
 * cannot tell secret from plain (no `isConfigSecret`): a warning that might be wrong is noise.
 * An empty value is "not set" (config.ts), so nothing to protect.
 */
export function plaintextCredentialSettings(runtime: ConfigRuntime): string[] {
  const isSecret = runtime.isConfigSecret;
  if (typeof isSecret !== "function") return [];
  return CREDENTIAL_SETTINGS.filter((key) => {
    const value = runtime.getConfig(key);
    return value !== undefined && value !== "" && !isSecret(key);
  });
}

/** The warning for `key`, naming the fix; never the value. */
function plaintextCredentialWarning(key: string): string {
  return (
    `${key} is set in plaintext in this stack's config, so Pulumi stores it in plaintext in the ` +
    `state of the dynamic provider UserMcpSource runs under. Set it as a secret: ` +
    `pulumi config set --secret ${key} <value> (and rotate it: earlier state snapshots keep the old value).`
  );
}

let plaintextChecked = false;

/** Warns once per program run (the first UserMcpSource) for each credential set in plaintext. */
function warnPlaintextCredentials(): void {
  if (plaintextChecked) return;
  plaintextChecked = true;
  const runtime = pulumi.runtime as unknown as ConfigRuntime;
  for (const key of plaintextCredentialSettings(runtime))
    void pulumi.log.warn(plaintextCredentialWarning(key));
}

export class UserMcpSource extends pulumi.dynamic.Resource {
  // `declare`, not `public readonly x!`: with class fields defined after super() (ES2022), a
  // field initialiser would overwrite the outputs the SDK just created.
  declare readonly sandboxId: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly baseUrl: pulumi.Output<string>;
  declare readonly authKind: pulumi.Output<UserMcpAuthKind>;
  /** Secret. */
  declare readonly token: pulumi.Output<string | undefined>;
  declare readonly authHeader: pulumi.Output<string | undefined>;
  /** The namespace in effect: the input, or the one the server chose. */
  declare readonly appNamespace: pulumi.Output<string>;
  declare readonly allowedTools: pulumi.Output<string[] | undefined>;
  declare readonly ingestToolCalls: pulumi.Output<UserMcpIngestToolCall[]>;
  declare readonly rateCapPerMinute: pulumi.Output<number>;
  declare readonly webhookRateCapPerMinute: pulumi.Output<number>;
  declare readonly healthPolicy: pulumi.Output<UserMcpHealthPolicy>;
  declare readonly healthTimeoutSeconds: pulumi.Output<number>;
  declare readonly healthCheckOnRefresh: pulumi.Output<boolean>;
  declare readonly deletionPolicy: pulumi.Output<UserMcpDeletionPolicy>;
  declare readonly adoptExisting: pulumi.Output<boolean>;
  /** The Copass `data_source_id` (also the resource id). */
  declare readonly dataSourceId: pulumi.Output<string>;
  /** `active` when the last health check passed; `error`, `disconnected`, … otherwise. */
  declare readonly status: pulumi.Output<UserMcpSourceStatus>;
  /** Why the last health check failed; `null` when healthy. */
  declare readonly healthError: pulumi.Output<string | null>;
  /** How Copass ingests from the source (`user_mcp`); `null` when the server did not say. */
  declare readonly ingestionMode: pulumi.Output<string | null>;
  /**
   * The Copass API endpoint the source lives at (`scheme://host[:port][/base path]`, recorded at
   * create or adoption); refresh, update and destroy refuse to judge it from another one. `null` in
   * state written before it was recorded, until the next refresh or update.
   */
  declare readonly apiEndpoint: pulumi.Output<string | null>;
  /** The Copass tenant (`user_id`) that owns the source; `null` until a refresh or an adoption read it. */
  declare readonly tenantId: pulumi.Output<string | null>;

  constructor(name: string, args: UserMcpSourceArgs, opts?: pulumi.CustomResourceOptions) {
    warnPlaintextCredentials();
    // A fresh object on every call: the base constructor adds `__provider` to it. Every input of
    // the field table, secret ones wrapped (so they are encrypted even when passed as plain strings).
    const props: Record<string, unknown> = {};
    for (const field of FIELD_NAMES) {
      const value: unknown = args[field];
      props[field] = value !== undefined && SECRET_FIELDS.includes(field) ? pulumi.secret(value) : value;
    }
    // Output-only keys: the SDK creates an output property only for keys present here.
    for (const key of OUTPUT_ONLY_KEYS) props[key] = undefined;
    super(
      providerShim,
      name,
      props,
      // Belt and braces with the secret wrapping above: the engine marks the stored secret outputs
      // secret whatever the provider returns. The user's own options are kept.
      pulumi.mergeOptions(opts, { additionalSecretOutputs: [...SECRET_FIELDS] }),
      "copass",
      "UserMcpSource",
    );
  }
}
