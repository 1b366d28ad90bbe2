/**
 * What the provider keeps between calls, provider-wide only (never per-resource state): the stack
 * config `configure` stored, the Copass client built from it, and the cancel signal. Its own module
 * so that the operations that call the API (operations.ts, loaded on the first of them) and the
 * calls a preview makes (provider.ts) share it.
 *
 * Nothing is created at load time: the client is built on the first call that needs the API, from
 * the settings `configure` stored plus the environment read at that moment, and reused while those
 * settings stay the same.
 */
import type { CopassApi } from "../client/api";
import type { CopassClient } from "../client/client";
import {
  resolveSettings,
  sameSettings,
  settingSources,
  type ConfigValues,
  type ProviderSettings,
} from "./config";

interface ModuleState {
  /** Stack config values from `configure`; the env fallback is read at call time. */
  config: ConfigValues;
  /** `sources`: what the settings were resolved from (`settingSources`), to skip resolving again. */
  client?: { settings: ProviderSettings; api: CopassClient; sources: (string | undefined)[] };
}

const state: ModuleState = { config: {} };

/**
 * Pulumi's Cancel (the plugin's answer to the first Ctrl-C; the dynamic face's host never sends
 * it): aborted once, for the rest of the process. Every retry wait of the client and every health
 * wait ends at once; a source already registered ends init-failed, kept in state (health-wait.ts
 * `interrupted`).
 */
let interruption = new AbortController();

/** Cancels the work in progress and any that follows (see `interruption`). */
export function cancelProvider(): void {
  interruption.abort();
}

/** The signal `cancelProvider` aborts. */
export function cancelSignal(): AbortSignal {
  return interruption.signal;
}

/** Stores the stack config values of `configure`. */
export function setConfig(config: ConfigValues): void {
  state.config = config;
}

/**
 * The client module, loaded on the first call that needs the API rather than at the top: it
 * brings undici (~110 modules), and check and diff (all of a preview) never call the API, so a
 * preview never pays for loading it.
 */
let clientModule: Promise<typeof import("../client/client")> | undefined;

/** The client for the settings in force now: created on first use, reused while they hold. */
export async function connect(): Promise<{ api: CopassApi; settings: ProviderSettings }> {
  // Awaited first, so that everything below runs in one go: concurrent first calls share a client.
  const { CopassClient } = await (clientModule ??= import("../client/client"));
  // The config and the environment read now: unchanged, so are the settings (resolving them again,
  // URL rule included, was 10–17 µs of every API call's CPU in the host under perf, issue 24).
  const sources = settingSources(state.config, process.env);
  if (state.client && sameSources(state.client.sources, sources)) return state.client;
  const settings = resolveSettings(state.config, process.env);
  if (state.client && sameSettings(state.client.settings, settings)) {
    state.client.sources = sources;
    return state.client;
  }
  // Settings changed (a rotated key, say): release the old client's idle keep-alive sockets.
  closeQuietly(state.client?.api);
  const api = new CopassClient({
    apiUrl: settings.apiUrl,
    apiKey: settings.apiKey,
    encryptionToken: settings.encryptionToken,
    requestTimeoutMs: settings.requestTimeoutMs,
    cancel: interruption.signal,
  });
  state.client = { settings, api, sources };
  return state.client;
}

function sameSources(a: readonly (string | undefined)[], b: readonly (string | undefined)[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** Secrets a message of this call could contain. */
export function secretsOf(...tokens: unknown[]): string[] {
  const settings = state.client?.settings;
  return [settings?.apiKey, settings?.encryptionToken, ...tokens].filter(
    (s): s is string => typeof s === "string",
  );
}

/**
 * Releases a client that is no longer used without waiting for it. `close()` promises never to
 * reject, but an unhandled rejection would end the whole host process, so this does not rely on it.
 */
function closeQuietly(api: CopassClient | undefined): void {
  api?.close().catch(() => undefined);
}

/** For tests: forget the cached client (settings changes are picked up anyway). */
export function resetProviderState(): void {
  closeQuietly(state.client?.api);
  state.config = {};
  state.client = undefined;
  interruption = new AbortController();
}
