/**
 * A failing check never prints a credential (issue 22). The engine prints each failure as
 * `property <name> value {<value>} has a problem: <reason>` with the value `check` returned
 * (test/support/check-line.ts renders that line as the engine does), so the core's `check` returns
 * each failed property that may hold a credential masked (src/provider/mask.ts), and every other
 * value exactly as today. Unit level: the masks, then the core's `provider.check`, the function
 * both faces call. The dynamic face through Pulumi's host: test/host/check-line.test.ts.
 */
import { describe, expect, it } from "vitest";
import { maskHeaderName, maskToolCalls, maskUrl } from "../../src/provider/mask";
import { provider } from "../../src/provider/provider";
import { UNKNOWN } from "../../src/provider/schema";
import { engineCheckLines } from "../support/check-line";

type Props = Record<string, unknown>;

const PASSWORD = "Sup3rS3cretPw_MASK_71c2";
const USER = "wikiuser_MASK_0b4e";
const QUERY_KEY = "qk_MASK_live_9e13d7";
const TOKEN = "tok_MASK_plain_5a0c88";
const ARG_SECRET = "argsecret_MASK_33f1";
const HEADER_SECRET = "hdrsecret_MASK_d07a";
const SECRETS = [PASSWORD, USER, QUERY_KEY, TOKEN, ARG_SECRET, HEADER_SECRET];

const TYPE = "pulumi-nodejs:dynamic/copass:UserMcpSource";

function program(patch: Props = {}): Props {
  return {
    sandboxId: "sb_mask",
    name: "CRM tools",
    baseUrl: "https://mcp.example.com/mcp",
    authKind: "bearer",
    token: "tok_MASK_valid_4e2b",
    __provider: "serialized shim text",
    ...patch,
  };
}

/** The core's check, and the lines the engine prints for its answer. */
async function check(patch: Props) {
  const answer = await provider.check({}, program(patch));
  const inputs = answer.inputs as Props;
  const failures = answer.failures ?? [];
  return { inputs, failures, lines: engineCheckLines(TYPE, "crm", { inputs, failures }) };
}

describe("the masks", () => {
  it.each<[string, string]>([
    // userinfo: the case, then a user alone, then a password that fails the whitespace rule first
    [`https://${USER}:${PASSWORD}@mcp.example.com/mcp`, "https://***:***@mcp.example.com/mcp"],
    [`https://${USER}@mcp.example.com/mcp`, "https://***@mcp.example.com/mcp"],
    [`https://${USER}:pass ${PASSWORD}@mcp.example.com/mcp`, "https://***:***@mcp.example.com/mcp"],
    // no scheme: still a userinfo
    [`${USER}:${PASSWORD}@mcp.example.com/mcp`, "***:***@mcp.example.com/mcp"],
    // a password holding '/', '?'-free: all of it up to the last '@'
    [`https://${USER}:a/b@${PASSWORD}@mcp.example.com/mcp`, "https://***:***@mcp.example.com/mcp"],
    // query values and bare items, keys kept; the fragment whole
    [`https://mcp.example.com/mcp?api_key=${QUERY_KEY}&x=1`, "https://mcp.example.com/mcp?api_key=***&x=***"],
    [`https://mcp.example.com/mcp?${QUERY_KEY}`, "https://mcp.example.com/mcp?***"],
    [`https://mcp.example.com/mcp#access_token=${QUERY_KEY}`, "https://mcp.example.com/mcp#***"],
    [
      `https://${USER}:${PASSWORD}@mcp.example.com/mcp?k=${QUERY_KEY}#${QUERY_KEY}`,
      "https://***:***@mcp.example.com/mcp?k=***#***",
    ],
    // an '@' in the query is the query's, not a userinfo
    [`https://mcp.example.com/mcp?mail=${USER}@example.com`, "https://mcp.example.com/mcp?mail=***"],
    // nothing to hide: kept as it came
    ["http://mcp.example.com/mcp", "http://mcp.example.com/mcp"],
    ["https://mcp.example.com/mcp/", "https://mcp.example.com/mcp/"],
    ["https://mcp.example.com/mcp?", "https://mcp.example.com/mcp?"],
    ["not a url", "not a url"],
  ])("maskUrl(%s) is %s", (raw, masked) => {
    expect(maskUrl(raw)).toBe(masked);
  });

  it("maskUrl hides a value that is not a string whole", () => {
    expect(maskUrl({ url: `https://${USER}:${PASSWORD}@h` })).toBe("***");
  });

  it.each<[unknown, unknown]>([
    [`Authorization: Bearer ${HEADER_SECRET}`, "Authorization***"],
    [`X-Api-Key=${HEADER_SECRET}`, "X-Api-Key***"],
    [` ${HEADER_SECRET}`, "***"],
    ["Cookie", "Cookie"],
    ["X-Api-Key", "X-Api-Key"],
    [42, "***"],
  ])("maskHeaderName(%j) is %j", (raw, masked) => {
    expect(maskHeaderName(raw)).toBe(masked);
  });

  it("maskToolCalls hides argument values and unknown keys' values, keeps tool names and shape", () => {
    const calls = [
      { name: "search", arguments: { api_key: ARG_SECRET, limit: 5 } },
      { arguments: { nested: { key: ARG_SECRET } } },
      { name: "x", extra: ARG_SECRET, arguments: ARG_SECRET },
      "list_docs",
    ];
    expect(maskToolCalls(calls)).toEqual([
      { name: "search", arguments: { api_key: "***", limit: "***" } },
      { arguments: { nested: "***" } },
      { name: "x", extra: "***", arguments: "***" },
      "list_docs",
    ]);
    expect(maskToolCalls({ name: "one", arguments: { k: ARG_SECRET } })).toEqual({
      name: "***",
      arguments: "***",
    });
  });
});

describe("check masks what it refuses, in the line the engine prints", () => {
  it.each<[string, Props, string]>([
    [
      "baseUrl",
      { baseUrl: `https://${USER}:${PASSWORD}@mcp.example.com/mcp` },
      "property baseUrl value {https://***:***@mcp.example.com/mcp} has a problem: baseUrl must not contain credentials",
    ],
    [
      "baseUrl",
      { baseUrl: `https://mcp.example.com/mcp?api_key=${QUERY_KEY}` },
      "property baseUrl value {https://mcp.example.com/mcp?api_key=***} has a problem: baseUrl must not have a query string",
    ],
    [
      "baseUrl",
      { baseUrl: `http://${USER}:${PASSWORD}@mcp.example.com/mcp` },
      "property baseUrl value {http://***:***@mcp.example.com/mcp} has a problem: baseUrl must not contain credentials",
    ],
    // too short for the rule, and a credential all the same
    [
      "token",
      { token: TOKEN.slice(0, 3) },
      "property token value {***} has a problem: token must be at least",
    ],
    [
      "token",
      { authKind: "none", token: TOKEN },
      "property token value {***} has a problem: token must be omitted",
    ],
    [
      "authHeader",
      { authKind: "header_token", authHeader: `Authorization: Bearer ${HEADER_SECRET}` },
      "property authHeader value {Authorization***} has a problem: authHeader must be an HTTP header name",
    ],
    [
      "ingestToolCalls",
      { ingestToolCalls: [{ name: "", arguments: { api_key: ARG_SECRET } }] },
      "property ingestToolCalls value {[{map[arguments:{map[api_key:{***}]} name:{}]}]} has a problem: ingestToolCalls[].name must be a non-empty tool name",
    ],
  ])("a refused %s (%j) is shown masked", async (property, patch, line) => {
    const { failures, lines } = await check(patch);
    expect(failures.map((f) => f.property)).toContain(property);
    // mutation: checkInputs returns news[name] for a failed property (no shownOnFailure) → every row fails
    expect(lines.find((l) => l.includes(`property ${property} `))).toContain(line);
    for (const secret of SECRETS) expect(lines.join("\n")).not.toContain(secret);
  });

  it("keeps the values that pass, exactly as a passing check returns them, beside a masked failure", async () => {
    const good = await check({ ingestToolCalls: [{ name: "list", arguments: { since: ARG_SECRET } }] });
    expect(good.failures).toEqual([]);
    const bad = await check({
      baseUrl: `https://${USER}:${PASSWORD}@mcp.example.com/mcp`,
      ingestToolCalls: [{ name: "list", arguments: { since: ARG_SECRET } }],
      appNamespace: "crm",
    });
    expect(bad.failures.map((f) => f.property)).toEqual(["baseUrl"]);
    // mutation: mask every property of a failed check, not only the failed ones → this fails
    expect(bad.inputs.ingestToolCalls).toEqual(good.inputs.ingestToolCalls);
    expect(bad.inputs.token).toBe("tok_MASK_valid_4e2b");
    expect(bad.inputs.appNamespace).toBe("crm");
  });

  it("returns a passing program unchanged: a baseUrl that passes is never masked", async () => {
    const { inputs, failures } = await check({ baseUrl: "https://mcp.example.com/a@b/mcp" });
    expect(failures).toEqual([]);
    expect(inputs.baseUrl).toBe("https://mcp.example.com/a@b/mcp");
  });

  it("returns an unknown a cross-field rule refuses as the unknown: nothing in it is known", async () => {
    // A token is forbidden with authKind none, known or not; the engine shows an unknown as such.
    const { inputs, failures } = await check({ authKind: "none", token: UNKNOWN });
    expect(failures.map((f) => f.property)).toEqual(["token"]);
    // mutation: shownOnFailure masks values holding an unknown → "***" → this fails
    expect(inputs.token).toBe(UNKNOWN);
  });
});
