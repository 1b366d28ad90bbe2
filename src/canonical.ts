/**
 * JSON with object keys sorted at every depth, so `{a, b}` and `{b, a}` compare equal. The diff
 * (provider) and the matching of a listed source against a lost register (client) compare values
 * this way; arrays keep their order (callers that mean a set sort first).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
