/**
 * The `UserMcpSource` provider (DESIGN §2), called by the serialized shim (shim.ts) as
 * `require("pulumi-copass/provider").provider.<method>(…)` inside Pulumi's dynamic-provider host.
 * Plain JSON in and out. What a preview calls is here: `configure` (session.ts keeps the settings),
 * `check` (schema.ts) and `diff` (diff.ts), which never touch the API or the settings, and never
 * load the client module (undici): test/host/preview-loads.test.ts holds that. The operations
 * that call the API (create, read, update, delete) are in operations.ts, loaded on the first of
 * them, so loading the provider does not load them (issue 24).
 */
import type * as pulumi from "@pulumi/pulumi";
import { readConfigValues } from "./config";
import { diff } from "./diff";
import { checkInputs } from "./schema";
import { setConfig } from "./session";

export { SourceInitError, type InitFailedProperties } from "./errors";
export { cancelProvider, resetProviderState } from "./session";

type Props = Record<string, unknown>;

/**
 * The operations that call the API (operations.ts), loaded on the first of them: a preview
 * (configure, check, diff) never loads them (issue 24, test/package/lean-start.test.ts).
 */
let operationsModule: Promise<typeof import("./operations")> | undefined;
const operations = async () => (await (operationsModule ??= import("./operations"))).operations;

type Provider = Required<pulumi.dynamic.ResourceProvider>;

export const provider = {
  /** Stores the stack config (`copass:*`); the env fallback is read at call time. */
  async configure(req: { config: { get(key: string): string | undefined } }): Promise<void> {
    setConfig(readConfigValues(req.config));
  },

  /** Offline validation and defaults; unknowns pass. `__provider` is dropped (the host re-adds it). */
  async check(_olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
    const result = checkInputs(news ?? {});
    // A copy: the host adds `__provider` to what check returns, and an accepted outcome is shared
    // and frozen (schema.ts `accepted`).
    return { inputs: { ...result.inputs }, failures: result.failures };
  },

  /** Pure (diff.ts): no API call, no settings. `olds` are the previous outputs. */
  async diff(_id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    return diff(olds ?? {}, news ?? {});
  },

  /** operations.ts `create`. */
  async create(raw: Props): Promise<pulumi.dynamic.CreateResult> {
    return (await operations()).create(raw);
  },

  /** operations.ts `read`. */
  async read(id: string, props?: Props): Promise<pulumi.dynamic.ReadResult> {
    return (await operations()).read(id, props);
  },

  /** operations.ts `update`. */
  async update(id: string, olds: Props, raw: Props): Promise<pulumi.dynamic.UpdateResult> {
    return (await operations()).update(id, olds, raw);
  },

  /** operations.ts `delete`. */
  async delete(id: string, props: Props): Promise<void> {
    return (await operations()).delete(id, props);
  },
} satisfies Provider;
