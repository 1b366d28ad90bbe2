/**
 * The three parts of undici the client uses (the keep-alive `Agent`, the retry interceptor and the
 * `request` API), loaded from undici's own files rather than its entry point. `require("undici")`
 * loads all of undici (fetch, WebSocket, the cache, mocks: 110 modules, ~95 ms CPU here); these three
 * bring 27 (~30 ms), which is most of what the first API call pays for loading the client
 * (docs/performance.md, issue 18). Same undici, the installed one: nothing is copied or bundled,
 * so `npm audit fix` and dedupe work as for any dependency.
 *
 * undici 7 has no `exports` map, so these paths are reachable; they are not its documented API.
 * If an undici release moves one, `loadUndici` falls back to the entry point: slower, never broken.
 * test/client/undici.test.ts holds both ways, test/package/lean-start.test.ts that the packed
 * client takes the lean one.
 */
import type * as Undici from "undici";

export interface UndiciParts {
  Agent: typeof Undici.Agent;
  retry: typeof Undici.interceptors.retry;
  /** `dispatcher.request(options)`, which only undici's entry point attaches to dispatchers. */
  request(
    dispatcher: Undici.Dispatcher,
    options: Undici.Dispatcher.RequestOptions,
  ): Promise<Undici.Dispatcher.ResponseData>;
  /** Which way they were loaded: `parts` (the lean one) or `entry` (the fallback). */
  via: "parts" | "entry";
}

type RequestFn = (
  this: Undici.Dispatcher,
  options: Undici.Dispatcher.RequestOptions,
) => Promise<Undici.Dispatcher.ResponseData>;

/**
 * Node's `require` of the four names below, each written out, so a bundler follows them (the
 * release executable bundles undici: DESIGN §4 "One bundle, nothing beside it").
 */
function requireUndici(id: string): unknown {
  switch (id) {
    case "undici/lib/dispatcher/agent":
      return require("undici/lib/dispatcher/agent");
    case "undici/lib/interceptor/retry":
      return require("undici/lib/interceptor/retry");
    case "undici/lib/api/api-request":
      return require("undici/lib/api/api-request");
    case "undici":
      return require("undici");
    default:
      throw new Error(`loadUndici: no require written out for ${id}`);
  }
}

/** undici's parts through `load` (Node's `require`; tests pass another to play a moved file). */
export function loadUndici(load: (id: string) => unknown = requireUndici): UndiciParts {
  let parts: { Agent: unknown; retry: unknown; request: unknown } | undefined;
  try {
    parts = {
      Agent: load("undici/lib/dispatcher/agent"),
      retry: load("undici/lib/interceptor/retry"),
      request: load("undici/lib/api/api-request"),
    };
  } catch (error) {
    if ((error as { code?: unknown }).code !== "MODULE_NOT_FOUND") throw error;
  }
  if (parts && Object.values(parts).every((part) => typeof part === "function")) {
    const request = parts.request as RequestFn;
    return {
      Agent: parts.Agent as typeof Undici.Agent,
      retry: parts.retry as typeof Undici.interceptors.retry,
      request: (dispatcher, options) => request.call(dispatcher, options),
      via: "parts",
    };
  }
  const undici = load("undici") as typeof Undici;
  return {
    Agent: undici.Agent,
    retry: undici.interceptors.retry,
    request: (dispatcher, options) => dispatcher.request(options),
    via: "entry",
  };
}
