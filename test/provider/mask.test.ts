/**
 * A failing check never prints a credential (issue 22). The engine prints a failure on a property
 * beside the value the program gave it (`property <name> value {<value>} has a problem: <reason>`;
 * test/support/check-line.ts renders the line as the Pulumi CLI 3.274.1 does), so the core's check
 * reports a failure whose value may hold a credential on the resource (no value printed), its
 * reason naming the property and showing the value masked (src/provider/mask.ts). It also returns
 * the refused value masked, and every other value exactly as today. Unit level: the masks, then
 * the core's `provider.check`, the function both faces call. The faces: test/host/check-line.test.ts.
 */
import { describe, expect, it } from "vitest";
import { maskHeaderName, maskToolCalls, maskUrl } from "../../src/provider/mask";
import { provider } from "../../src/provider/provider";
import { UNKNOWN } from "../../src/provider/schema";
import { engineCheckLines } from "../support/check-line";
import { secret } from "../support/pulumi-host";

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

/**
 * The core's check of `program(patch)`, and the lines the engine prints for it: beside the values
 * the program registered, `token` as a secret (resource.ts wraps it; the plugin's SDKs too).
 */
async function check(patch: Props) {
  const sent = program(patch);
  const answer = await provider.check({}, sent);
  const failures = answer.failures ?? [];
  const registered = sent.token === undefined ? sent : { ...sent, token: secret(sent.token) };
  return {
    inputs: answer.inputs as Props,
    failures,
    lines: engineCheckLines(TYPE, "crm", registered, failures),
  };
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
    // an '@' in the path of a URL that parses without a userinfo: kept
    ["http://mcp.example.com/a@b/mcp", "http://mcp.example.com/a@b/mcp"],
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

describe("check never hands the engine a credential to print", () => {
  const onResource = `${TYPE} resource 'crm' has a problem: `;
  it.each<[string, Props, string]>([
    [
      "baseUrl with userinfo",
      { baseUrl: `https://${USER}:${PASSWORD}@mcp.example.com/mcp` },
      `${onResource}baseUrl must not contain credentials (userinfo user:password@); remove them ` +
        "(baseUrl as given, credentials masked: https://***:***@mcp.example.com/mcp)",
    ],
    [
      "baseUrl with a query",
      { baseUrl: `https://mcp.example.com/mcp?api_key=${QUERY_KEY}` },
      `${onResource}baseUrl must not have a query string or fragment; remove it ` +
        "(baseUrl as given, credentials masked: https://mcp.example.com/mcp?api_key=***)",
    ],
    [
      "plain-http baseUrl with userinfo",
      { baseUrl: `http://${USER}:${PASSWORD}@mcp.example.com/mcp` },
      `${onResource}baseUrl must not contain credentials`,
    ],
    [
      "authHeader holding a header line",
      { authKind: "header_token", authHeader: `Authorization: Bearer ${HEADER_SECRET}` },
      `${onResource}authHeader must be an HTTP header name (letters, digits and !#$%&'*+-.^_\`|~), e.g. X-Api-Key ` +
        "(authHeader as given, credentials masked: Authorization***)",
    ],
    [
      "ingestToolCalls with arguments",
      { ingestToolCalls: [{ name: "", arguments: { api_key: ARG_SECRET } }] },
      `${onResource}ingestToolCalls[].name must be a non-empty tool name ` +
        '(ingestToolCalls as given, credentials masked: [{"name":"","arguments":{"api_key":"***"}}])',
    ],
    // A secret keeps its property: the program registered it as a secret, printed as [secret].
    [
      "token too short",
      { token: TOKEN.slice(0, 3) },
      `${TYPE} resource 'crm': property token value {[secret]} has a problem: token must be at least`,
    ],
    [
      "token with authKind none",
      { authKind: "none", token: TOKEN },
      `${TYPE} resource 'crm': property token value {[secret]} has a problem: token must be omitted`,
    ],
    // Nothing to hide: the engine prints the value beside the property, as before.
    [
      "plain-http baseUrl with an '@' in its path",
      { baseUrl: "http://mcp.example.com/a@b/mcp" },
      `${TYPE} resource 'crm': property baseUrl value {http://mcp.example.com/a@b/mcp} has a problem: baseUrl uses plain http`,
    ],
    [
      "baseUrl with a trailing slash",
      { baseUrl: "https://mcp.example.com/mcp/" },
      `${TYPE} resource 'crm': property baseUrl value {https://mcp.example.com/mcp/} has a problem: baseUrl must not end with a slash`,
    ],
    [
      "ingestToolCalls without arguments",
      { ingestToolCalls: [{ name: "" }] },
      `${TYPE} resource 'crm': property ingestToolCalls value {[{map[name:{}]}]} has a problem: ingestToolCalls[].name`,
    ],
  ])("%s: the engine prints no credential, and what is wrong", async (_case, patch, line) => {
    const { failures, lines } = await check(patch);
    expect(failures).toHaveLength(1);
    // mutation: failureOf always returns { property, reason } → the engine prints the program's
    // value beside the property → the credential rows fail (the password is in the line)
    expect(lines[0]).toContain(line);
    for (const secret of SECRETS) expect(lines.join("\n")).not.toContain(secret);
  });

  it("returns the refused value masked too, and the values that pass exactly as a passing check does", async () => {
    const good = await check({ ingestToolCalls: [{ name: "list", arguments: { since: ARG_SECRET } }] });
    expect(good.failures).toEqual([]);
    const bad = await check({
      baseUrl: `https://${USER}:${PASSWORD}@mcp.example.com/mcp`,
      ingestToolCalls: [{ name: "list", arguments: { since: ARG_SECRET } }],
      appNamespace: "crm",
    });
    expect(bad.failures.map((f) => f.reason)).toEqual([expect.stringMatching(/^baseUrl must not contain/)]);
    // mutation: checkInputs returns news[name] for a failed property (no shownOnFailure) → this fails
    expect(bad.inputs.baseUrl).toBe("https://***:***@mcp.example.com/mcp");
    // mutation: mask every property of a failed check, not only the failed ones → this fails
    expect(bad.inputs.ingestToolCalls).toEqual(good.inputs.ingestToolCalls);
    expect(bad.inputs.token).toBe("tok_MASK_valid_4e2b");
    expect(bad.inputs.appNamespace).toBe("crm");
  });

  it("returns a refused token hidden whole (the engine prints the program's [secret], not this)", async () => {
    const { inputs, failures } = await check({ token: TOKEN.slice(0, 3) });
    expect(failures.map((f) => f.property)).toEqual(["token"]);
    // mutation: shownOnFailure without the secret default (maskWhole) → the token comes back → this fails
    expect(inputs.token).toBe("***");
  });

  it("returns a passing program unchanged: a baseUrl with an '@' in its path passes and is never masked", async () => {
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
