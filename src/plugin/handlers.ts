/**
 * The plugin's face on the core: each ResourceProvider call translated to the very function the
 * dynamic provider calls (src/provider/provider.ts `provider`), and its answer translated back.
 * Nothing here decides anything about a source; it only translates:
 *
 * - secrets: Pulumi's envelopes are unwrapped before the core sees a value and put back on the way
 *   out (secrets.ts), `token` always;
 * - ids: the plugin's resource id is `<sandboxId>/<dataSourceId>`, so that `pulumi import` can name a
 *   source with nothing else (the dynamic face keeps the bare `dataSourceId`, its state unchanged);
 * - config: the provider's inputs (`copass:apiUrl`, …) become the core's `configure` call.
 *
 * The core module (and zod with it) loads on the first call that needs it, not at start: Configure
 * and GetSchema, which every `pulumi preview` makes first, do not.
 */
import { SECRET_SETTINGS, type ConfigValues, type SettingName } from "../provider/config";
import { canonicalJson } from "../canonical";
import { parsePluginId, pluginId } from "./ids";
import { secretKeysOf, unwrapSecrets, wrapSecrets } from "./secrets";

type Props = Record<string, unknown>;
/** The provider inputs of the last Configure, handed to the core on the next call that uses it. */
interface ProviderInputs {
  args: Props | undefined;
  variables: Record<string, string>;
}

let core:
  | Promise<{
      provider: (typeof import("../provider/provider"))["provider"];
      SourceInitError: (typeof import("../provider/provider"))["SourceInitError"];
      cancel: (typeof import("../provider/provider"))["cancelProvider"];
      unscrubbableKeys: (typeof import("../provider/health-wait"))["unscrubbableKeys"];
      diff: typeof import("../provider/diff");
      settings: (typeof import("../provider/config"))["SETTINGS"];
    }>
  | undefined;
let pending: ProviderInputs | undefined;

/** The core, loaded once on first use, configured with the latest provider inputs. */
async function loadCore() {
  core ??= Promise.all([
    import("../provider/provider"),
    import("../provider/diff"),
    import("../provider/config"),
    import("../provider/health-wait"),
  ]).then(([p, d, c, h]) => ({
    provider: p.provider,
    SourceInitError: p.SourceInitError,
    cancel: p.cancelProvider,
    unscrubbableKeys: h.unscrubbableKeys,
    diff: d,
    settings: c.SETTINGS,
  }));
  const loaded = await core;
  if (pending !== undefined) {
    const values = configValuesOf(pending, Object.keys(loaded.settings) as SettingName[]);
    pending = undefined;
    await loaded.provider.configure({
      config: { get: (key: string) => values[key.replace(/^copass:/, "") as SettingName] },
    });
  }
  return loaded;
}

/** The plugin's answer to a step that registered or adopted a source but failed after. */
export class PluginInitError extends Error {
  constructor(
    readonly id: string,
    readonly properties: Props,
    readonly reasons: string[],
  ) {
    super(reasons.join("; "));
    this.name = "PluginInitError";
  }
}

/** Runs a core step that may end init-failed, translating that answer (id and secrets) for the engine. */
async function keepingInitFailure<T>(secretKeys: Set<string>, step: () => Promise<T>): Promise<T> {
  const { SourceInitError } = await loadCore();
  try {
    return await step();
  } catch (error) {
    if (!(error instanceof SourceInitError)) throw error;
    const properties = error.properties as Props;
    throw new PluginInitError(
      pluginId(properties.sandboxId, error.id),
      wrapSecrets(properties, secretKeys),
      error.reasons,
    );
  }
}

/**
 * The provider's inputs as `configure` reads them. The engine sends them typed (a number for
 * requestTimeoutSeconds) and, secrets accepted, in envelopes; the core wants the strings
 * `pulumi config` holds.
 */
export function configValuesOf(inputs: ProviderInputs, names: readonly SettingName[]): ConfigValues {
  const { plain } = unwrapSecrets(inputs.args);
  const { variables } = inputs;
  const values: ConfigValues = {};
  for (const name of names) {
    // `variables` (copass:config:apiUrl) is what an engine without `args` sends.
    const raw = name in plain ? plain[name] : variables[`copass:config:${name}`];
    if (raw !== undefined && raw !== null) values[name] = typeof raw === "string" ? raw : JSON.stringify(raw);
  }
  return values;
}

/** The plugin's resource id as `pulumi import` must give it, for a message that names the format. */
const ID_FORMAT = "<sandboxId>/<dataSourceId> (for example sb_123/ds_abc)";

export const handlers = {
  /**
   * The provider inputs as the engine records them (it stores provider config in state): the
   * credentials secret however the user set them (`pulumi config set` takes a plain
   * `copass:apiKey`), as bridged providers do. Values are not judged here: a bad URL or a missing
   * key fails the first call that needs it, naming the setting (config.ts), and the environment may
   * still supply the key then.
   */
  checkConfig(news: Props): Props {
    const { plain, secretKeys } = unwrapSecrets(news);
    return wrapSecrets(plain, new Set([...secretKeys, ...SECRET_SETTINGS]));
  },

  /** The provider inputs that differ (secrets compared opened), in name order. */
  configChanged(olds: Props, news: Props): string[] {
    const before = unwrapSecrets(olds).plain;
    const after = unwrapSecrets(news).plain;
    const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return names.filter((name) => canonicalJson(before[name]) !== canonicalJson(after[name]));
  },

  /** Kept for the core's first use: a preview's Configure loads nothing (issue 18). */
  configure(args: Props | undefined, variables: Record<string, string>): void {
    pending = { args, variables };
  },

  async check(news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
    const wanted = unwrapSecrets(news);
    const { provider } = await loadCore();
    const result = await provider.check({}, wanted.plain);
    return { inputs: wrapSecrets(result.inputs ?? {}, wanted.secretKeys), failures: result.failures ?? [] };
  },

  /** The core's diff, and per property what it found (`propertyChanges`, the same plan). */
  async diff(olds: Props, news: Props) {
    const before = unwrapSecrets(olds).plain;
    const after = unwrapSecrets(news).plain;
    const { provider, diff } = await loadCore();
    const result = await provider.diff("", before, after);
    return { ...result, properties: diff.propertyChanges(before, after) };
  },

  async create(news: Props): Promise<{ id: string; outs: Props }> {
    const wanted = unwrapSecrets(news);
    const { provider } = await loadCore();
    const created = await keepingInitFailure(wanted.secretKeys, () => provider.create(wanted.plain));
    return {
      id: pluginId(created.outs.sandboxId, created.id),
      outs: wrapSecrets(created.outs, wanted.secretKeys),
    };
  },

  /**
   * Refresh, or `pulumi import` (no prior state: the id alone names the source). An empty id back
   * means gone, as the core judged it.
   */
  async read(
    id: string,
    props: Props,
    inputs: Props,
  ): Promise<{ id: string; props?: Props; inputs?: Props }> {
    const state = unwrapSecrets(props);
    const stored = unwrapSecrets(inputs);
    const { sandboxId, dataSourceId } = parsePluginId(id);
    const imported = Object.keys(state.plain).length === 0;
    if (imported && sandboxId === undefined) {
      throw new Error(
        `pulumi import of a copass:index:UserMcpSource needs the id ${ID_FORMAT}; ` +
          `got ${JSON.stringify(id)}. pulumi-copass import lists a sandbox's sources with their ids`,
      );
    }
    const prior = imported ? { sandboxId } : state.plain;
    const { provider, unscrubbableKeys } = await loadCore();
    const result = await provider.read(dataSourceId, prior);
    if (!result.id) return { id: "" };
    const outs = result.props ?? {};
    // An import knows no token, so a health error that repeats it cannot be scrubbed: keep it secret.
    const secretKeys = new Set([...secretKeysOf(state, stored), ...unscrubbableKeys(outs)]);
    return {
      id: pluginId(outs.sandboxId ?? sandboxId, result.id),
      props: wrapSecrets(outs, secretKeys),
      inputs: wrapSecrets(result.inputs ?? {}, secretKeys),
    };
  },

  async update(id: string, olds: Props, news: Props): Promise<Props> {
    const before = unwrapSecrets(olds);
    const wanted = unwrapSecrets(news);
    const secretKeys = secretKeysOf(before, wanted);
    const { provider } = await loadCore();
    const { dataSourceId } = parsePluginId(id);
    const result = await keepingInitFailure(secretKeys, () =>
      provider.update(dataSourceId, before.plain, wanted.plain),
    );
    return wrapSecrets(result.outs ?? {}, secretKeys);
  },

  /** Pulumi's Cancel (the first Ctrl-C): every wait and retry ends at once (provider/session.ts `cancelProvider`). */
  async cancel(): Promise<void> {
    (await loadCore()).cancel();
  },

  async delete(id: string, props: Props): Promise<void> {
    const { provider } = await loadCore();
    await provider.delete(parsePluginId(id).dataSourceId, unwrapSecrets(props).plain);
  },
};
