/**
 * The secret-leak scan of the tests (DESIGN §6), in one place: the chaos properties, the provider's
 * scrub tests and the host tests use it. No vitest import, so any layer can.
 *
 * A scan is only as good as its input: it can fail only where something repeats a secret (the
 * emulator's `echoSecrets` faults and `echoCredentialInHealthError` mode exist for that).
 */

export interface ScannedSecrets {
  /** Must never show anywhere. */
  apiKey: string;
  /** May show only as the whole value of a `token` key (the engine keeps that key secret). */
  tokens: readonly string[];
}

/**
 * Every place in `value` where a secret shows where it must not: the API key anywhere, an MCP
 * token anywhere but as the whole value of a `token` key. Errors are walked through their own
 * properties (message, stack, code, id, properties, reasons, cause…), objects and arrays through
 * their entries. Returns the paths, empty when clean.
 */
export function secretLeaks(value: unknown, secrets: ScannedSecrets): string[] {
  const found: string[] = [];
  const seen = new Set<object>();
  const walk = (v: unknown, path: string, key: string | undefined): void => {
    if (typeof v === "string") {
      if (v.includes(secrets.apiKey)) found.push(`${path}: the API key`);
      for (const token of secrets.tokens) {
        if (v.includes(token) && !(key === "token" && v === token)) {
          found.push(`${path}: an MCP token outside a token key`);
        }
      }
      return;
    }
    if (typeof v !== "object" || v === null || seen.has(v)) return;
    seen.add(v);
    const keys = v instanceof Error ? Object.getOwnPropertyNames(v) : Object.keys(v);
    for (const k of keys) walk((v as Record<string, unknown>)[k], `${path}.${k}`, k);
  };
  walk(value, "$", undefined);
  return found;
}
