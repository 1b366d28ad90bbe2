/**
 * Which header may carry the MCP token under `authKind: "header_token"` (issue 15 §4), pure.
 *
 * Copass's HTTP client sends the token as `<authHeader>: <token>` to the tenant's MCP server. Some
 * names belong to the HTTP client and the connection, not to the request's author: a token there
 * is dropped, replaced, or (framing headers) makes the client emit a request a proxy and a server
 * read differently — request smuggling. So `check` refuses, case-insensitively:
 * - the Fetch standard's forbidden request-header names (https://fetch.spec.whatwg.org/#forbidden-request-header):
 *   the list browsers refuse to let a script set for exactly this reason. It holds the hop-by-hop
 *   headers of RFC 9110 §7.6.1 (Connection, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade),
 *   the framing and routing ones (Content-Length, Host, Expect, Via), the cookies, and every
 *   `Proxy-*` (Proxy-Authorization, Proxy-Connection) and `Sec-*` name;
 * - the headers the MCP streamable-HTTP transport sets on every request (Content-Type, Accept,
 *   Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID): a token there breaks the handshake, and
 *   the health check would fail with a reason that points nowhere near the cause.
 * `Authorization` stays allowed: servers that read a raw token from it are common.
 */

/** Exact names refused, lower-case (HTTP field names are case-insensitive). */
export const RESERVED_HEADER_NAMES: readonly string[] = [
  // Fetch's forbidden request-header names.
  "accept-charset",
  "accept-encoding",
  "access-control-request-headers",
  "access-control-request-method",
  "connection",
  "content-length",
  "cookie",
  "cookie2",
  "date",
  "dnt",
  "expect",
  "host",
  "keep-alive",
  "origin",
  "referer",
  "set-cookie",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "via",
  // Set by the MCP streamable-HTTP transport on every request.
  "accept",
  "content-type",
  "last-event-id",
  "mcp-protocol-version",
  "mcp-session-id",
];

/** Prefixes refused (Fetch): proxy credentials and connection hints, and browser-owned `Sec-*`. */
export const RESERVED_HEADER_PREFIXES: readonly string[] = ["proxy-", "sec-"];

/** Whether `name` is a header the HTTP client or the MCP transport owns (see the header comment). */
export function isReservedHeaderName(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_HEADER_NAMES.includes(lower) || RESERVED_HEADER_PREFIXES.some((p) => lower.startsWith(p));
}

/**
 * The message of the rule: property, rule and fix. It names the rule's own examples, never the
 * value (an input may hold something pasted into the wrong field).
 */
export const RESERVED_HEADER_MESSAGE =
  "authHeader must not be a header that the HTTP client or the MCP transport sets itself (hop-by-hop, " +
  "framing or cookie headers such as Host, Content-Length, Transfer-Encoding, Connection, Cookie, " +
  "Proxy-* or Sec-*, and Content-Type, Accept, Mcp-Session-Id): a token there is dropped or splits " +
  "the request. Use the header your MCP server reads the token from, e.g. X-Api-Key";
