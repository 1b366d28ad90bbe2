import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { provider } from "../../src/provider/provider";
import {
  FIELDS,
  FIELD_NAMES,
  UNKNOWN,
  checkInputs,
  forgetAcceptedInputs,
  patchBodyForFields,
  registerBody,
} from "../../src/provider/schema";
import { inputsMarkdownTable } from "../../src/provider/docs";
import { arbProgram } from "./fixtures";

const TOKEN = "mcp-secret-token-1234";
const valid = {
  sandboxId: "sb_123",
  name: "CRM tools",
  baseUrl: "https://mcp.example.com/mcp",
  authKind: "bearer",
  token: TOKEN,
};

describe("check: defaults", () => {
  it("fills every default so diffs are stable", () => {
    const result = checkInputs(valid);
    expect(result.ok).toBe(true);
    expect(result.inputs).toEqual({
      ...valid,
      ingestToolCalls: [],
      rateCapPerMinute: 60,
      webhookRateCapPerMinute: 600,
      healthPolicy: "require",
      healthTimeoutSeconds: 60,
      healthCheckOnRefresh: true,
      deletionPolicy: "revoke",
      adoptExisting: false,
    });
  });

  it("drops __provider and keys outside the table, and never returns undefined", () => {
    const result = checkInputs({ ...valid, __provider: "code", status: undefined, authHeader: undefined });
    expect(Object.keys(result.inputs)).not.toContain("__provider");
    expect(Object.keys(result.inputs)).not.toContain("status");
    expect(Object.values(result.inputs)).not.toContain(undefined);
    expect(Object.keys(result.inputs)).not.toContain("authHeader");
  });

  it("takes a top-level null as absent (a secret Output that resolved to undefined arrives as null)", () => {
    const none = checkInputs({ ...valid, authKind: "none", token: null, appNamespace: null });
    expect(none.failures).toEqual([]);
    expect(Object.keys(none.inputs)).not.toContain("token");
    expect(Object.keys(none.inputs)).not.toContain("appNamespace");
    // Absent, so the bearer rule names what is missing rather than a type error.
    expect(checkInputs({ ...valid, token: null }).failures).toEqual([
      { property: "token", reason: expect.stringContaining("token is required when authKind is bearer") },
    ]);
  });

  it("accepts http for loopback hosts", () => {
    for (const baseUrl of [
      "http://localhost:8080/mcp",
      "http://127.0.0.1:3000",
      "http://127.1.2.3/mcp",
      "http://[::1]:9/mcp",
    ]) {
      expect(checkInputs({ ...valid, baseUrl }).failures).toEqual([]);
    }
  });

  it("accepts a token of 4 characters, the shortest redact can cut out of a message", () => {
    expect(checkInputs({ ...valid, token: "abcd" }).failures).toEqual([]);
    const short = checkInputs({ ...valid, token: "abc" }).failures;
    expect(short).toEqual([{ property: "token", reason: expect.stringContaining("at least 4 characters") }]);
    expect(short[0]!.reason).toContain("healthError");
    expect(short[0]!.reason).not.toContain("abc");
  });

  it("accepts header_token with a header name, and none without a token", () => {
    expect(checkInputs({ ...valid, authKind: "header_token", authHeader: "X-Api-Key" }).failures).toEqual([]);
    expect(checkInputs({ ...valid, authKind: "none", token: undefined }).failures).toEqual([]);
  });
});

/**
 * A failure whose value may hold a credential is reported on the resource (property ""), which
 * the engine prints without the value (schema.ts `failureOf`; test/provider/mask.test.ts).
 */
const ON_RESOURCE = true;

// Each row: one bad input → exactly one failure, on `property` (or on the resource, for a value that
// may hold a credential), whose reason names the property.
const bad: [string, Record<string, unknown>, string, boolean?][] = [
  ["sandboxId missing", { sandboxId: undefined }, "sandboxId"],
  ["sandboxId empty", { sandboxId: "" }, "sandboxId"],
  ["sandboxId with a slash", { sandboxId: "sb/../x" }, "sandboxId"],
  ["name missing", { name: undefined }, "name"],
  ["name empty", { name: "" }, "name"],
  ["name too long", { name: "n".repeat(256) }, "name"],
  ["name not a string", { name: 5 }, "name"],
  ["baseUrl missing", { baseUrl: undefined }, "baseUrl"],
  ["baseUrl relative", { baseUrl: "/relative-endpoint" }, "baseUrl"],
  ["baseUrl trailing slash", { baseUrl: "https://mcp.example.com/mcp/" }, "baseUrl"],
  ["baseUrl with userinfo", { baseUrl: `https://user:${TOKEN}@mcp.example.com/mcp` }, "baseUrl", ON_RESOURCE],
  ["baseUrl http non-loopback", { baseUrl: "http://mcp.example.com/mcp" }, "baseUrl"],
  ["baseUrl ftp", { baseUrl: "ftp://mcp.example.com/mcp" }, "baseUrl"],
  ["baseUrl with query", { baseUrl: `https://mcp.example.com/mcp?key=${TOKEN}` }, "baseUrl", ON_RESOURCE],
  ["authKind missing", { authKind: undefined }, "authKind"],
  ["authKind unknown", { authKind: "basic" }, "authKind"],
  ["token missing for bearer", { token: undefined }, "token"],
  ["token empty", { token: "" }, "token"],
  // Shorter than redact can cut out of an MCP server's error text (src/redact.ts).
  ["token of 3 characters", { token: "abc" }, "token"],
  ["token not a string", { token: 42 }, "token"],
  ["token with authKind none", { authKind: "none" }, "token"],
  ["authHeader missing for header_token", { authKind: "header_token" }, "authHeader"],
  ["authHeader with bearer", { authHeader: "X-Api-Key" }, "authHeader"],
  [
    "authHeader bad syntax",
    { authKind: "header_token", authHeader: "X Api: Key" },
    "authHeader",
    ON_RESOURCE,
  ],
  ["appNamespace too long", { appNamespace: "a".repeat(65) }, "appNamespace"],
  ["appNamespace bad chars", { appNamespace: "crm.tools" }, "appNamespace"],
  ["allowedTools duplicate", { allowedTools: ["a", "a"] }, "allowedTools"],
  ["allowedTools empty name", { allowedTools: ["a", ""] }, "allowedTools"],
  ["allowedTools not a list", { allowedTools: "a" }, "allowedTools"],
  ["ingestToolCalls without name", { ingestToolCalls: [{ arguments: {} }] }, "ingestToolCalls"],
  [
    "ingestToolCalls arguments not an object",
    { ingestToolCalls: [{ name: "x", arguments: [1] }] },
    "ingestToolCalls",
    ON_RESOURCE,
  ],
  ["rateCapPerMinute 0", { rateCapPerMinute: 0 }, "rateCapPerMinute"],
  ["rateCapPerMinute 601", { rateCapPerMinute: 601 }, "rateCapPerMinute"],
  ["rateCapPerMinute fractional", { rateCapPerMinute: 1.5 }, "rateCapPerMinute"],
  ["webhookRateCapPerMinute 6001", { webhookRateCapPerMinute: 6001 }, "webhookRateCapPerMinute"],
  ["healthPolicy unknown", { healthPolicy: "strict" }, "healthPolicy"],
  ["healthTimeoutSeconds negative", { healthTimeoutSeconds: -1 }, "healthTimeoutSeconds"],
  ["healthTimeoutSeconds too long", { healthTimeoutSeconds: 3601 }, "healthTimeoutSeconds"],
  ["healthCheckOnRefresh not boolean", { healthCheckOnRefresh: "yes" }, "healthCheckOnRefresh"],
  ["deletionPolicy unknown", { deletionPolicy: "purge" }, "deletionPolicy"],
  ["adoptExisting without appNamespace", { adoptExisting: true }, "appNamespace"],
];

const ENUM_WORDS = new Set(["bearer", "header_token", "none"]);

describe("check: one failure per bad property", () => {
  it.each(bad)("%s → a failure on %s", (_case, patch, property, onResource) => {
    const result = checkInputs({ ...valid, ...patch });
    expect(result.ok).toBe(false);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]!.property).toBe(onResource ? "" : property);
    expect(result.failures[0]!.reason).toContain(property);
  });

  it.each(bad)("%s → the message carries no input value", (_case, patch) => {
    const result = checkInputs({ ...valid, ...patch });
    const text = JSON.stringify(result.failures);
    expect(text).not.toContain(TOKEN);
    for (const value of Object.values(patch)) {
      // Enum words ("header_token") are part of the rule, not user data.
      if (typeof value === "string" && value.length > 3 && !ENUM_WORDS.has(value)) {
        expect(text).not.toContain(value);
      }
    }
  });

  it("reports every bad property in one pass, cross-field rules included", () => {
    const result = checkInputs({
      sandboxId: "",
      name: "",
      baseUrl: "http://x.com/",
      authKind: "none",
      token: TOKEN,
    });
    expect(result.failures.map((f) => f.property).sort()).toEqual(["baseUrl", "name", "sandboxId", "token"]);
    expect(JSON.stringify(result)).not.toContain(`"reason":"${TOKEN}`);
  });
});

describe("check: unknowns (preview of values computed elsewhere)", () => {
  it.each([
    ["a top-level string", { baseUrl: UNKNOWN }],
    ["a number field", { rateCapPerMinute: UNKNOWN }],
    ["a boolean field", { healthCheckOnRefresh: UNKNOWN }],
    ["an array field", { allowedTools: UNKNOWN }],
    ["inside an array", { allowedTools: ["a", UNKNOWN] }],
    ["inside an object", { ingestToolCalls: [{ name: "x", arguments: { since: UNKNOWN } }] }],
    ["the token", { token: UNKNOWN }],
    ["the authKind (cross-field rules skip)", { authKind: UNKNOWN, authHeader: "X-Key" }],
  ])("%s passes through unvalidated", (_case, patch) => {
    const result = checkInputs({ ...valid, ...patch });
    expect(result.failures).toEqual([]);
    for (const [key, value] of Object.entries(patch))
      expect(result.inputs[key as keyof typeof result.inputs]).toEqual(value);
  });
});

describe("wire bodies", () => {
  it("register: snake_case, every field with a value, sandboxId not in the body", () => {
    const inputs = checkInputs({ ...valid, appNamespace: "crm", allowedTools: ["a"] });
    expect(inputs.ok).toBe(true);
    if (!inputs.ok) return;
    expect(registerBody(inputs.inputs)).toEqual({
      name: "CRM tools",
      base_url: "https://mcp.example.com/mcp",
      auth_kind: "bearer",
      token: TOKEN,
      app_namespace: "crm",
      allowed_tools: ["a"],
      ingest_tool_calls: [],
      rate_cap_per_minute: 60,
      webhook_rate_cap_per_minute: 600,
    });
  });

  it("patch: only the fields asked for, never ingest_tool_calls", () => {
    const inputs = checkInputs(valid);
    if (!inputs.ok) throw new Error("valid");
    expect(patchBodyForFields(inputs.inputs, ["name", "ingestToolCalls", "healthPolicy"])).toEqual({
      name: "CRM tools",
    });
  });
});

describe("the field table", () => {
  it("declares every DESIGN §1 input once, with a change class and a description", () => {
    expect(FIELD_NAMES).toEqual([
      "sandboxId",
      "name",
      "baseUrl",
      "authKind",
      "token",
      "authHeader",
      "appNamespace",
      "allowedTools",
      "ingestToolCalls",
      "rateCapPerMinute",
      "webhookRateCapPerMinute",
      "healthPolicy",
      "healthTimeoutSeconds",
      "healthCheckOnRefresh",
      "deletionPolicy",
      "adoptExisting",
    ]);
    // A description says what the field is; what a change, a removal or secrecy does comes from the
    // table's attributes (argDoc, the README), so prose repeating it could only drift from them.
    for (const name of FIELD_NAMES) {
      const description: string = FIELDS[name].description;
      expect(description, name).toMatch(/^[A-Z`][^]*\.$/);
      expect(description, name).not.toMatch(/replace|secret|in place|removing|patchable/i);
    }
    expect(FIELD_NAMES.filter((n) => FIELDS[n].secret)).toEqual(["token"]);
    expect(FIELD_NAMES.filter((n) => FIELDS[n].change === "replace")).toEqual([
      "sandboxId",
      "ingestToolCalls",
    ]);
  });

  it("renders the inputs table of docs/usage.md, one row per field", () => {
    const table = inputsMarkdownTable();
    const lines = table.split("\n");
    expect(lines).toHaveLength(2 + FIELD_NAMES.length);
    expect(lines[2]).toContain("| `sandboxId` | path `sandbox_id` |");
    expect(table).toContain("| `token` | `token` |");
    expect(table).toContain("**replace**");
  });
});

describe("check: accepted inputs answered from memory (issue 24)", () => {
  const program = {
    sandboxId: "sb_1",
    name: "CRM",
    baseUrl: "https://mcp.example.com/mcp",
    authKind: "bearer",
    token: "tok-memo-123456",
  };

  it("create's and update's re-check of check's answer is that answer, __provider aside", () => {
    forgetAcceptedInputs();
    const first = checkInputs(program);
    if (!first.ok) throw new Error(JSON.stringify(first.failures));
    // What the engine hands create or update: check's answer, with the host's __provider added.
    expect(checkInputs({ ...first.inputs, __provider: "exports.handler = …" })).toBe(first);
  });

  it("property: checked inputs are their own check's answer (what the memory relies on)", () => {
    fc.assert(
      fc.property(arbProgram, (raw) => {
        forgetAcceptedInputs();
        const first = checkInputs(raw);
        if (!first.ok) throw new Error(JSON.stringify(first.failures));
        forgetAcceptedInputs();
        expect(checkInputs(first.inputs)).toEqual(first);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
  ])("a %s is not taken for the null of inputs accepted before (JSON writes both as null)", (_n, value) => {
    forgetAcceptedInputs();
    const call = (limit: unknown) => ({
      ...program,
      ingestToolCalls: [{ name: "pull", arguments: { limit } }],
    });
    expect(checkInputs(call(null)).ok).toBe(true);
    const outcome = checkInputs(call(value));
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
    expect(outcome.inputs.ingestToolCalls[0]!.arguments!.limit).toBe(value);
  });

  it("the shared answer is frozen, and check hands the host a copy it may add __provider to", async () => {
    forgetAcceptedInputs();
    const shared = checkInputs({ ...program, allowedTools: ["search"] });
    expect(Object.isFrozen(shared.inputs)).toBe(true);
    expect(Object.isFrozen((shared.inputs as { allowedTools: string[] }).allowedTools)).toBe(true);
    const answer = await provider.check({}, { ...program, allowedTools: ["search"] });
    expect(() => Object.assign(answer.inputs!, { __provider: "exports.handler = …" })).not.toThrow();
  });
});
