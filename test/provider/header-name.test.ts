/**
 * `authHeader` refuses headers the HTTP client or the MCP transport owns (issue 15 §4;
 * src/provider/header-name.ts says why each is on the list), through `check` as the engine calls it.
 */
import { describe, expect, it } from "vitest";
import { checkInputs } from "../../src/provider/schema";
import { RESERVED_HEADER_NAMES, isReservedHeaderName } from "../../src/provider/header-name";

const TOKEN = "tok-header-name-7b3e1f";
const headerToken = (authHeader: string) => ({
  sandboxId: "sb_1",
  name: "Docs",
  baseUrl: "https://mcp.example.com/mcp",
  authKind: "header_token",
  token: TOKEN,
  authHeader,
});

describe("check: authHeader refuses hop-by-hop, framing and transport headers", () => {
  // mutation: drop the `.refine(… isReservedHeaderName …)` from FIELDS.authHeader in schema.ts →
  // every row here passes check and this test fails.
  it.each([
    // Request smuggling: two framings of one body, or a second Host for the proxy and the server.
    "Content-Length",
    "Transfer-Encoding",
    "Host",
    "Expect",
    // Hop-by-hop (RFC 9110 §7.6.1): consumed by the next hop, never reach the MCP server.
    "Connection",
    "Keep-Alive",
    "TE",
    "Trailer",
    "Upgrade",
    "Proxy-Authorization",
    "Proxy-Connection",
    // A session credential, and a browser-owned prefix.
    "Cookie",
    "Sec-Fetch-Mode",
    // The MCP streamable-HTTP transport's own headers.
    "Content-Type",
    "Accept",
    "Mcp-Session-Id",
  ])("refuses %s, in any case, on authHeader with the rule and the fix", (name) => {
    for (const spelling of [name, name.toLowerCase(), name.toUpperCase()]) {
      const result = checkInputs(headerToken(spelling));
      expect(result.ok, spelling).toBe(false);
      expect(result.failures).toHaveLength(1);
      const [failure] = result.failures;
      expect(failure!.property).toBe("authHeader");
      expect(failure!.reason).toMatch(/^authHeader must not be a header that the HTTP client/);
      expect(failure!.reason).toContain("e.g. X-Api-Key");
      expect(failure!.reason).not.toContain(TOKEN);
    }
  });

  it.each(["X-Api-Key", "Authorization", "X-Host", "Hosting", "Content-Lengthy", "Api-Key", "X-Proxy-Token"])(
    "accepts %s (only the exact names and the Proxy-/Sec- prefixes are refused)",
    (name) => {
      expect(checkInputs(headerToken(name)).failures).toEqual([]);
    },
  );

  it("keeps the list lower-case, so the case-insensitive match cannot miss an entry", () => {
    for (const name of RESERVED_HEADER_NAMES) {
      expect(name).toBe(name.toLowerCase());
      expect(isReservedHeaderName(name.toUpperCase())).toBe(true);
    }
  });
});
