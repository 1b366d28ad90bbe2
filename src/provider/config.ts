/**
 * Provider settings (DESIGN §3). `configure` stores the stack config values; the environment
 * fallback is read at call time, so a credential rotated in CI works even for `destroy`, and
 * nothing here is ever captured in the serialized provider or written to state.
 *
 * Settings are resolved only when an API call is needed: `check` and `diff` never need the key.
 */
import { hasBrand, markBrands } from "../brand";
import { urlProblem } from "../client/url";

export const DEFAULT_API_URL = "https://api.copass.id";
const DEFAULT_REQUEST_TIMEOUT_SECONDS = 30;

/** Stack config keys and their environment fallbacks, in one place. */
export const SETTINGS = {
  apiUrl: { config: "copass:apiUrl", env: "COPASS_API_URL" },
  apiKey: { config: "copass:apiKey", env: "COPASS_API_KEY" },
  encryptionToken: { config: "copass:encryptionToken", env: "COPASS_ENCRYPTION_TOKEN" },
  requestTimeoutSeconds: { config: "copass:requestTimeoutSeconds", env: "COPASS_REQUEST_TIMEOUT_SECONDS" },
  // A deliberate move of the stack to apiUrl from this recorded endpoint (location.ts).
  apiUrlMovedFrom: { config: "copass:apiUrlMovedFrom", env: "COPASS_API_URL_MOVED_FROM" },
} as const;

export type SettingName = keyof typeof SETTINGS;

/**
 * The settings that hold a credential: secret in the plugin's schema, and secret in state however
 * the user set them (the plugin's CheckConfig marks them; the engine records provider config).
 */
export const SECRET_SETTINGS: readonly SettingName[] = ["apiKey", "encryptionToken"];
/** The stack config values `configure` saw (undefined = not set). */
export type ConfigValues = Partial<Record<SettingName, string | undefined>>;
export type Env = Readonly<Record<string, string | undefined>>;

export interface ProviderSettings {
  apiUrl: string;
  apiKey: string;
  encryptionToken?: string;
  requestTimeoutMs: number;
  /** The endpoint sources are moving away from (location.ts); absent when no move is under way. */
  apiUrlMovedFrom?: string;
}

/** A provider-configuration problem; the message names the fix and never a value. */
export class ProviderConfigError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, this);
  }

  readonly code = "COPASS_PROVIDER_CONFIG";
  constructor(message: string) {
    super(message);
    markBrands(this, new.target);
    this.name = "ProviderConfigError";
  }
}

/** Reads the stack config keys through Pulumi's `Config.get`. */
export function readConfigValues(config: { get(key: string): string | undefined }): ConfigValues {
  const values: ConfigValues = {};
  for (const name of Object.keys(SETTINGS) as SettingName[]) values[name] = config.get(SETTINGS[name].config);
  return values;
}

function pick(name: SettingName, config: ConfigValues, env: Env): string | undefined {
  // An empty string is "not set": `pulumi config set copass:apiKey ""` or `COPASS_API_KEY=`.
  const fromConfig = config[name];
  if (fromConfig !== undefined && fromConfig !== "") return fromConfig;
  const fromEnv = env[SETTINGS[name].env];
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : undefined;
}

/**
 * Where a face reads its settings, so that a message names only settings it reads: the provider
 * (and `pulumi-copass import` inside a Pulumi project) reads stack config, then the environment;
 * `import` anywhere else reads the environment alone.
 */
export type SettingSources = "config-and-env" | "env";

/** A setting as a message names it: `stack config copass:apiUrl or env COPASS_API_URL`. */
export function settingName(name: SettingName, sources: SettingSources = "config-and-env"): string {
  const env = `env ${SETTINGS[name].env}`;
  return sources === "env" ? env : `stack config ${SETTINGS[name].config} or ${env}`;
}

/**
 * Stack config first, then the environment, then the default. Throws ProviderConfigError when
 * the key is missing or a value is invalid; its message names the settings `sources` holds.
 */
export function resolveSettings(
  config: ConfigValues,
  env: Env,
  sources: SettingSources = "config-and-env",
): ProviderSettings {
  const both = (name: SettingName) => settingName(name, sources);
  const apiUrl = (pick("apiUrl", config, env) ?? DEFAULT_API_URL).replace(/\/+$/, "");
  const problem = urlProblem(`The Copass API URL (${both("apiUrl")})`, apiUrl, DEFAULT_API_URL);
  if (problem) throw new ProviderConfigError(problem);

  const apiKey = pick("apiKey", config, env);
  if (apiKey === undefined) {
    throw new ProviderConfigError(
      sources === "env"
        ? "No Copass API key: export the API key in COPASS_API_KEY, or run inside a Pulumi project whose stack sets copass:apiKey"
        : "No Copass API key: set it with `pulumi config set --secret copass:apiKey <key>` " +
            "or the COPASS_API_KEY environment variable",
    );
  }

  const rawTimeout = pick("requestTimeoutSeconds", config, env);
  let timeoutSeconds = DEFAULT_REQUEST_TIMEOUT_SECONDS;
  if (rawTimeout !== undefined) {
    timeoutSeconds = Number(rawTimeout);
    if (!/^\s*\d+(\.\d+)?\s*$/.test(rawTimeout) || !(timeoutSeconds > 0) || timeoutSeconds > 3600) {
      throw new ProviderConfigError(
        `The request timeout (${both("requestTimeoutSeconds")}) must be a number of seconds above 0 and at most 3600, e.g. 30`,
      );
    }
  }

  const settings: ProviderSettings = { apiUrl, apiKey, requestTimeoutMs: Math.round(timeoutSeconds * 1000) };
  const encryptionToken = pick("encryptionToken", config, env);
  if (encryptionToken !== undefined) settings.encryptionToken = encryptionToken;
  const movedFrom = pick("apiUrlMovedFrom", config, env)?.replace(/\/+$/, "");
  if (movedFrom !== undefined) {
    const bad = urlProblem(
      `The endpoint a move starts from (${both("apiUrlMovedFrom")})`,
      movedFrom,
      DEFAULT_API_URL,
    );
    if (bad) throw new ProviderConfigError(bad);
    settings.apiUrlMovedFrom = movedFrom;
  }
  return settings;
}

/**
 * Everything `resolveSettings` reads, in one list (each setting's config value, then its env
 * value): equal lists resolve to equal settings, so a caller can keep what it resolved from them.
 */
export function settingSources(config: ConfigValues, env: Env): (string | undefined)[] {
  const read: (string | undefined)[] = [];
  for (const name of Object.keys(SETTINGS) as SettingName[]) read.push(config[name], env[SETTINGS[name].env]);
  return read;
}

/** Same settings, same client: compares every field (the key included, kept in memory only). */
export function sameSettings(a: ProviderSettings, b: ProviderSettings): boolean {
  return (
    a.apiUrl === b.apiUrl &&
    a.apiKey === b.apiKey &&
    a.encryptionToken === b.encryptionToken &&
    a.requestTimeoutMs === b.requestTimeoutMs &&
    a.apiUrlMovedFrom === b.apiUrlMovedFrom
  );
}
