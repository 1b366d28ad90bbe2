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

/** Inputs of {@link UserMcpSource} (DESIGN §1). */
export interface UserMcpSourceArgs {
  /** Sandbox the source belongs to. Non-empty. Required. Changing it **replaces** the source. */
  readonly sandboxId: pulumi.Input<string>;
  /** Display name, 1–255 characters. Required. Updated in place. */
  readonly name: pulumi.Input<string>;
  /**
   * URL of the MCP server: absolute `https` URL, no trailing slash, no userinfo; `http` only for
   * loopback hosts. Required. Updated in place, then health is re-tested.
   */
  readonly baseUrl: pulumi.Input<string>;
  /** `bearer`, `header_token` or `none`. Required. Updated in place, then health is re-tested. */
  readonly authKind: pulumi.Input<UserMcpAuthKind>;
  /**
   * Credential for the MCP server. Required when `authKind` is not `none`, forbidden when it is.
   * Always stored as a secret, even when passed as a plain string. Rotating it updates in place,
   * then health is re-tested.
   */
  readonly token?: pulumi.Input<string>;
  /**
   * HTTP header name that carries `token`. Required iff `authKind` is `header_token`. Updated in
   * place, then health is re-tested.
   */
  readonly authHeader?: pulumi.Input<string>;
  /**
   * Tool-name prefix, at most 64 characters of `[A-Za-z0-9_-]`, unique among the sandbox's active
   * sources. Defaults to the source id (chosen by the server). Updated in place.
   */
  readonly appNamespace?: pulumi.Input<string>;
  /** Tools agents may call: unique, non-empty names. Defaults to all tools. Updated in place. */
  readonly allowedTools?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Tool calls run on every `pull()`. Defaults to `[]` (live tools only). Not patchable:
   * changing it **replaces** the source.
   */
  readonly ingestToolCalls?: pulumi.Input<pulumi.Input<UserMcpIngestToolCall>[]>;
  /** Agent tool calls per minute, an integer 1–600. Defaults to 60. Updated in place. */
  readonly rateCapPerMinute?: pulumi.Input<number>;
  /** Webhook deliveries per minute, an integer 1–6000. Defaults to 600. Updated in place. */
  readonly webhookRateCapPerMinute?: pulumi.Input<number>;
  /**
   * `require` (default): a source still unhealthy after `healthTimeoutSeconds` fails the step (it
   * stays in state). `warn`: succeed with a warning and `status: "error"`. `ignore`: record the
   * status only, and health drift plans no update. No API call.
   */
  readonly healthPolicy?: pulumi.Input<UserMcpHealthPolicy>;
  /** Seconds to keep re-testing health under `require`, an integer 0–3600. Defaults to 60. */
  readonly healthTimeoutSeconds?: pulumi.Input<number>;
  /** Whether refresh re-tests health (one extra API call). Defaults to `true`. */
  readonly healthCheckOnRefresh?: pulumi.Input<boolean>;
  /** `revoke` (default) disconnects the source; `delete` also deletes its row. */
  readonly deletionPolicy?: pulumi.Input<UserMcpDeletionPolicy>;
  /**
   * Take over an existing source with the same `appNamespace` (which it then needs) instead of
   * registering a duplicate. Defaults to `false`.
   */
  readonly adoptExisting?: pulumi.Input<boolean>;
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

  constructor(name: string, args: UserMcpSourceArgs, opts?: pulumi.CustomResourceOptions) {
    // A fresh object on every call: the base constructor adds `__provider` to it.
    const props: Record<string, unknown> = {
      sandboxId: args.sandboxId,
      name: args.name,
      baseUrl: args.baseUrl,
      authKind: args.authKind,
      token: args.token === undefined ? undefined : pulumi.secret(args.token),
      authHeader: args.authHeader,
      appNamespace: args.appNamespace,
      allowedTools: args.allowedTools,
      ingestToolCalls: args.ingestToolCalls,
      rateCapPerMinute: args.rateCapPerMinute,
      webhookRateCapPerMinute: args.webhookRateCapPerMinute,
      healthPolicy: args.healthPolicy,
      healthTimeoutSeconds: args.healthTimeoutSeconds,
      healthCheckOnRefresh: args.healthCheckOnRefresh,
      deletionPolicy: args.deletionPolicy,
      adoptExisting: args.adoptExisting,
      // Output-only keys: the SDK creates an output property only for keys present here.
      dataSourceId: undefined,
      status: undefined,
      healthError: undefined,
      ingestionMode: undefined,
    };
    super(
      providerShim,
      name,
      props,
      // Belt and braces with the secret wrapping above: the engine marks the stored `token`
      // output secret whatever the provider returns. The user's own options are kept.
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["token"] }),
      "copass",
      "UserMcpSource",
    );
  }
}
