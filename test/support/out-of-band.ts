/**
 * Calls straight to the emulator's Copass API, as another tool or a person acting out of band
 * would: how the tests change or inspect a source behind the provider's back. No vitest import,
 * so any test layer can use it.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON straight from the emulator
export type Json = any;

export interface OutOfBandAnswer {
  status: number;
  /** The parsed JSON body; undefined when the answer had none. */
  body: Json;
}

export type OutOfBandCall = (method: string, path: string, body?: unknown) => Promise<OutOfBandAnswer>;

/**
 * A caller of `<apiUrl>/api/v1/storage/sandboxes<path>` with `apiKey`. `apiUrl` is read on each
 * call (the emulator usually starts in a `beforeAll`, after this is built). Never throws on a status.
 */
export function outOfBand(apiUrl: () => string, apiKey: string): OutOfBandCall {
  return async (method, path, body) => {
    const res = await fetch(`${apiUrl()}/api/v1/storage/sandboxes${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : undefined };
  };
}
