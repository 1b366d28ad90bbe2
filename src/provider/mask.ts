/**
 * How an input that may hold a credential shows when its check fails (issue 22). The engine
 * prints a failure on a property beside the value the program gave it (`property baseUrl value
 * {https://user:password@…} has a problem: …`), in every CI log; a rejected value is often rejected
 * because it carries a credential. So `checkInputs` (schema.ts) reports such a failure on the
 * resource, which the engine prints without a value, and shows the value through its field's mask
 * (`FieldSpec.maskOnFailure`) in the reason: the parts a credential sits in become `***`, the rest
 * stays, so the user still sees what is wrong. Check also returns the refused value masked.
 *
 * Pure, and total: a mask takes any value (a wrong type included) and never throws. A value holding
 * the engine's unknown sentinel is never masked (`checkInputs` skips it): nothing in it is known.
 */

/** What a masked part reads as. */
export const MASK = "***";

/** The whole value hidden, whatever its type: a secret (`token`) in check's answer, a value of a wrong type. */
export function maskWhole(_value: unknown): unknown {
  return MASK;
}

/**
 * A URL with its userinfo, query values and fragment hidden:
 * `https://wikiuser:pw@mcp.example.com/mcp?key=abc#t` → `https://***:***@mcp.example.com/mcp?key=***#***`.
 * Textual where it must be: a URL with a userinfo may not parse (`user:pa/ss@host`), and then the
 * userinfo is everything between `//` (or the start) and the last `@` before the query. A URL that
 * parses without a userinfo keeps its `@` (it is in the path: `https://host/@me/mcp`). A query
 * item without `=` may be a bare token: it is masked whole. The scheme, host and path stay: they
 * are what the failure's reason is about. Only a value the URL rule refuses is ever changed
 * (userinfo, query and fragment are refused, and so is a URL that does not parse).
 */
export function maskUrl(value: unknown): unknown {
  if (typeof value !== "string") return maskWhole(value);
  const queryAt = firstIndexOf(value, ["?", "#"]);
  let head = value.slice(0, queryAt);
  const tail = value.slice(queryAt);
  const at = head.lastIndexOf("@");
  if (at >= 0 && mayHaveUserinfo(value)) {
    const slashes = head.indexOf("//");
    const start = slashes >= 0 && slashes < at ? slashes + 2 : 0;
    const userinfo = head.slice(start, at);
    head = head.slice(0, start) + (userinfo.includes(":") ? `${MASK}:${MASK}` : MASK) + head.slice(at);
  }
  return head + maskQueryAndFragment(tail);
}

/** False only for a URL that parses without a username or password. */
function mayHaveUserinfo(value: string): boolean {
  try {
    const url = new URL(value);
    return url.username !== "" || url.password !== "";
  } catch {
    return true;
  }
}

/** `?a=1&b#frag` → `?a=***&***#***`; "" stays "". */
function maskQueryAndFragment(tail: string): string {
  const hashAt = tail.indexOf("#");
  const query = hashAt >= 0 ? tail.slice(0, hashAt) : tail;
  const fragment = hashAt >= 0 ? tail.slice(hashAt) : "";
  const maskedQuery =
    query === ""
      ? ""
      : "?" +
        query
          .slice(1)
          .split("&")
          .map((item) => (item === "" ? item : item.includes("=") ? `${item.split("=")[0]}=${MASK}` : MASK))
          .join("&");
  const maskedFragment = fragment === "" || fragment === "#" ? fragment : `#${MASK}`;
  return maskedQuery + maskedFragment;
}

function firstIndexOf(text: string, marks: string[]): number {
  const found = marks.map((mark) => text.indexOf(mark)).filter((i) => i >= 0);
  return found.length === 0 ? text.length : Math.min(...found);
}

/** The characters of an HTTP header name (RFC 9110 token). */
const HEADER_NAME_PREFIX = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]*/;

/**
 * A header name kept up to the first character a name cannot hold, the rest hidden: the mistake
 * this catches is a whole header line pasted as the name (`Authorization: Bearer abc` →
 * `Authorization***`), the value being the credential. A valid name (one refused as reserved, or
 * as not allowed with this authKind) stays whole.
 */
export function maskHeaderName(value: unknown): unknown {
  if (typeof value !== "string") return maskWhole(value);
  const name = HEADER_NAME_PREFIX.exec(value)![0];
  return name === value ? value : name + MASK;
}

/**
 * Ingest tool calls with every argument value hidden, keys and tool names kept:
 * `[{ name: "search", arguments: { api_key: "k" } }]` → `[{ name: "search", arguments: { api_key: "***" } }]`.
 * Arguments are free JSON a tool may take a credential in. A key other than `name` and
 * `arguments` is hidden too; an item that is not an object is kept (the usual mistake is a list
 * of tool names, which the reason is about).
 */
export function maskToolCalls(value: unknown): unknown {
  if (!Array.isArray(value)) return isObject(value) ? maskValues(value) : value;
  return value.map((call: unknown) => {
    if (!isObject(call)) return call;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(call)) {
      if (key === "name") out[key] = typeof item === "string" ? item : maskWhole(item);
      else if (key === "arguments" && isObject(item)) out[key] = maskValues(item);
      else out[key] = maskWhole(item);
    }
    return out;
  });
}

/** The object with each value hidden, keys kept. */
function maskValues(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).map(([key, item]) => [key, maskWhole(item)]));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
