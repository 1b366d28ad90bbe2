/**
 * Every validation rule of reference §5, one row each: a 400 `{error, detail}` with a stable code,
 * and nothing changed afterwards. Framework errors (FastAPI's layer) are 422 `{detail: [...]}`
 * and never echo an input value.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../packages/emulator/src";
import { base, call, countSources, registerBody, startTestEmulator, TOKEN } from "./helpers";

let emulator: Emulator;
/** A bearer source holding namespace "crm", a none source, and a header_token source. */
let bearerId: string;
let noneId: string;
let headerId: string;

beforeAll(async () => {
  emulator = await startTestEmulator();
  const reg = (body: Record<string, unknown>) =>
    call(emulator, "POST", `${base()}/user-mcp`, { body: registerBody(body) }).then(
      (r) => r.body.data_source_id,
    );
  bearerId = await reg({ app_namespace: "crm" });
  noneId = await reg({ auth_kind: "none", token: undefined, app_namespace: "open" });
  headerId = await reg({ auth_kind: "header_token", auth_header: "X-Api-Key" });
});
afterAll(() => emulator.close());

const registerRows: [string, Record<string, unknown>, string][] = [
  ["rejects an empty name with invalid_name", { name: "" }, "invalid_name"],
  ["rejects a 256-character name with invalid_name", { name: "n".repeat(256) }, "invalid_name"],
  [
    "rejects a base_url that is not a URL with invalid_base_url",
    { base_url: "not a url" },
    "invalid_base_url",
  ],
  [
    "rejects a relative base_url with invalid_base_url",
    { base_url: "mcp.example.com/mcp" },
    "invalid_base_url",
  ],
  [
    "rejects a non-http scheme with invalid_base_url",
    { base_url: "ftp://mcp.example.com/mcp" },
    "invalid_base_url",
  ],
  [
    "rejects userinfo in base_url with invalid_base_url",
    { base_url: "https://u:p@mcp.example.com/mcp" },
    "invalid_base_url",
  ],
  [
    "rejects a trailing slash with invalid_base_url",
    { base_url: "https://mcp.example.com/mcp/" },
    "invalid_base_url",
  ],
  [
    "rejects a bare host with a trailing slash with invalid_base_url",
    { base_url: "https://mcp.example.com/" },
    "invalid_base_url",
  ],
  [
    "rejects a query string with invalid_base_url",
    { base_url: "https://mcp.example.com/mcp?a=1" },
    "invalid_base_url",
  ],
  [
    "rejects a fragment with invalid_base_url",
    { base_url: "https://mcp.example.com/mcp#x" },
    "invalid_base_url",
  ],
  [
    "rejects an http base_url for a non-loopback host with insecure_base_url",
    { base_url: "http://mcp.example.com/mcp" },
    "insecure_base_url",
  ],
  [
    "rejects http to a private (non-loopback) address with insecure_base_url",
    { base_url: "http://10.0.0.1/mcp" },
    "insecure_base_url",
  ],
  [
    "rejects http to a host that only starts with localhost with insecure_base_url",
    { base_url: "http://localhost.evil.example/mcp" },
    "insecure_base_url",
  ],
  ["rejects an unknown auth_kind with invalid_auth_kind", { auth_kind: "basic" }, "invalid_auth_kind"],
  ["rejects bearer without token with missing_token", { token: undefined }, "missing_token"],
  ["rejects bearer with an empty token with missing_token", { token: "" }, "missing_token"],
  [
    "rejects header_token without token with missing_token",
    { auth_kind: "header_token", auth_header: "X-Key", token: undefined },
    "missing_token",
  ],
  ["rejects a token with auth_kind none with unexpected_token", { auth_kind: "none" }, "unexpected_token"],
  [
    "rejects header_token without auth_header with missing_auth_header",
    { auth_kind: "header_token" },
    "missing_auth_header",
  ],
  [
    "rejects an auth_header with a space with invalid_auth_header",
    { auth_kind: "header_token", auth_header: "X Api Key" },
    "invalid_auth_header",
  ],
  [
    "rejects an auth_header with a colon with invalid_auth_header",
    { auth_kind: "header_token", auth_header: "X-Key:" },
    "invalid_auth_header",
  ],
  [
    "rejects auth_header with bearer with unexpected_auth_header",
    { auth_header: "X-Key" },
    "unexpected_auth_header",
  ],
  [
    "rejects auth_header with none with unexpected_auth_header",
    { auth_kind: "none", token: undefined, auth_header: "X-Key" },
    "unexpected_auth_header",
  ],
  [
    "rejects a 65-character app_namespace with invalid_app_namespace",
    { app_namespace: "a".repeat(65) },
    "invalid_app_namespace",
  ],
  [
    "rejects an app_namespace with a space with invalid_app_namespace",
    { app_namespace: "crm tools" },
    "invalid_app_namespace",
  ],
  [
    "rejects an empty app_namespace with invalid_app_namespace",
    { app_namespace: "" },
    "invalid_app_namespace",
  ],
  [
    "rejects an app_namespace used by an active source with namespace_conflict",
    { app_namespace: "crm" },
    "namespace_conflict",
  ],
  [
    "rejects duplicate allowed_tools with invalid_allowed_tools",
    { allowed_tools: ["a", "a"] },
    "invalid_allowed_tools",
  ],
  [
    "rejects an empty tool name in allowed_tools with invalid_allowed_tools",
    { allowed_tools: [""] },
    "invalid_allowed_tools",
  ],
  [
    "rejects an ingest tool call without name with invalid_ingest_tool_calls",
    { ingest_tool_calls: [{}] },
    "invalid_ingest_tool_calls",
  ],
  [
    "rejects an ingest tool call with an empty name with invalid_ingest_tool_calls",
    { ingest_tool_calls: [{ name: "" }] },
    "invalid_ingest_tool_calls",
  ],
  [
    "rejects ingest tool call arguments that are a list with invalid_ingest_tool_calls",
    { ingest_tool_calls: [{ name: "x", arguments: [1] }] },
    "invalid_ingest_tool_calls",
  ],
  [
    "rejects an ingest tool call that is a string with invalid_ingest_tool_calls",
    { ingest_tool_calls: ["x"] },
    "invalid_ingest_tool_calls",
  ],
  ["rejects rate_cap_per_minute 0 with invalid_rate_cap", { rate_cap_per_minute: 0 }, "invalid_rate_cap"],
  ["rejects rate_cap_per_minute 601 with invalid_rate_cap", { rate_cap_per_minute: 601 }, "invalid_rate_cap"],
  [
    "rejects a fractional rate_cap_per_minute with invalid_rate_cap",
    { rate_cap_per_minute: 1.5 },
    "invalid_rate_cap",
  ],
  [
    "rejects webhook_rate_cap_per_minute 0 with invalid_webhook_rate_cap",
    { webhook_rate_cap_per_minute: 0 },
    "invalid_webhook_rate_cap",
  ],
  [
    "rejects webhook_rate_cap_per_minute 6001 with invalid_webhook_rate_cap",
    { webhook_rate_cap_per_minute: 6001 },
    "invalid_webhook_rate_cap",
  ],
];

describe("register: service validation (400)", () => {
  it.each(registerRows)("%s", async (_name, overrides, code) => {
    const before = await countSources(emulator);
    const res = await call(emulator, "POST", `${base()}/user-mcp`, { body: registerBody(overrides) });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: code, detail: expect.any(String) });
    expect(res.text).not.toContain(TOKEN);
    expect(await countSources(emulator)).toBe(before);
  });

  it.each([
    ["http://localhost:2/mcp"],
    ["http://127.0.0.2:2/mcp"],
    ["http://[::1]:2/mcp"],
    ["https://127.0.0.1:2/mcp"],
  ])("accepts %s (loopback http, or https)", async (url) => {
    const res = await call(emulator, "POST", `${base()}/user-mcp`, { body: registerBody({ base_url: url }) });
    expect(res.status).toBe(200);
  });

  it("accepts the boundaries: 255-char name, 64-char namespace, caps 1/600 and 1/6000", async () => {
    for (const body of [
      {
        name: "n".repeat(255),
        app_namespace: "a".repeat(64),
        rate_cap_per_minute: 600,
        webhook_rate_cap_per_minute: 6000,
      },
      { rate_cap_per_minute: 1, webhook_rate_cap_per_minute: 1, allowed_tools: ["a", "b"] },
      { ingest_tool_calls: [{ name: "list_recent_docs", arguments: { limit: 50 } }, { name: "ping" }] },
    ]) {
      const res = await call(emulator, "POST", `${base()}/user-mcp`, { body: registerBody(body) });
      expect(res.status).toBe(200);
    }
  });

  it("frees a namespace on revoke so that a new source may take it", async () => {
    const first = await call(emulator, "POST", `${base()}/user-mcp`, {
      body: registerBody({ app_namespace: "reuse" }),
    });
    await call(emulator, "POST", `${base()}/${first.body.data_source_id}/user-mcp/revoke`);
    const second = await call(emulator, "POST", `${base()}/user-mcp`, {
      body: registerBody({ app_namespace: "reuse" }),
    });
    expect(second.status).toBe(200);
  });

  it("scopes namespace uniqueness to the sandbox", async () => {
    const res = await call(emulator, "POST", `${base("sb_other")}/user-mcp`, {
      body: registerBody({ app_namespace: "crm" }),
    });
    expect(res.status).toBe(200);
  });
});

describe("patch: service validation (400), validated as on create", () => {
  const patchRows: [string, () => string, Record<string, unknown>, string][] = [
    [
      "rejects an http base_url for a non-loopback host",
      () => bearerId,
      { base_url: "http://example.com/mcp" },
      "insecure_base_url",
    ],
    [
      "rejects a trailing slash",
      () => bearerId,
      { base_url: "https://example.com/mcp/" },
      "invalid_base_url",
    ],
    ["rejects an empty name", () => bearerId, { name: "" }, "invalid_name"],
    ["rejects an unknown auth_kind", () => bearerId, { auth_kind: "oauth" }, "invalid_auth_kind"],
    [
      "rejects switching to header_token without auth_header",
      () => bearerId,
      { auth_kind: "header_token" },
      "missing_auth_header",
    ],
    [
      "rejects switching to none while sending a token",
      () => bearerId,
      { auth_kind: "none", token: TOKEN },
      "unexpected_token",
    ],
    ["rejects a token on a none source", () => noneId, { token: TOKEN }, "unexpected_token"],
    [
      "rejects switching a none source to bearer without a token",
      () => noneId,
      { auth_kind: "bearer" },
      "missing_token",
    ],
    [
      "rejects an auth_header on a bearer source",
      () => bearerId,
      { auth_header: "X-Key" },
      "unexpected_auth_header",
    ],
    [
      "rejects an invalid auth_header on a header_token source",
      () => headerId,
      { auth_header: "Bad Header" },
      "invalid_auth_header",
    ],
    [
      "rejects another active source's namespace",
      () => noneId,
      { app_namespace: "crm" },
      "namespace_conflict",
    ],
    ["rejects an invalid namespace", () => bearerId, { app_namespace: "a/b" }, "invalid_app_namespace"],
    [
      "rejects duplicate allowed_tools",
      () => bearerId,
      { allowed_tools: ["x", "x"] },
      "invalid_allowed_tools",
    ],
    ["rejects rate_cap_per_minute 601", () => bearerId, { rate_cap_per_minute: 601 }, "invalid_rate_cap"],
    [
      "rejects webhook_rate_cap_per_minute 0",
      () => bearerId,
      { webhook_rate_cap_per_minute: 0 },
      "invalid_webhook_rate_cap",
    ],
  ];

  it.each(patchRows)("%s", async (_name, id, patch, code) => {
    const path = `${base()}/${id()}`;
    const before = await call(emulator, "GET", path);
    const res = await call(emulator, "PATCH", `${path}/user-mcp`, { body: patch });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: code, detail: expect.any(String) });
    expect(res.text).not.toContain(TOKEN);
    expect((await call(emulator, "GET", path)).body).toEqual(before.body);
  });

  it("lets a source keep its own namespace", async () => {
    const res = await call(emulator, "PATCH", `${base()}/${bearerId}/user-mcp`, {
      body: { app_namespace: "crm" },
    });
    expect(res.status).toBe(200);
  });
});

describe("framework validation (422, FastAPI-shaped, never echoing input)", () => {
  const rows: [string, string, string | Record<string, unknown>, string, (string | number)[]][] = [
    ["a body that is not JSON", "POST", "{not json", "json_invalid", ["body"]],
    ["an empty body", "POST", "", "missing", ["body"]],
    ["a JSON array body", "POST", "[]", "model_attributes_type", ["body"]],
    ["a JSON string body", "POST", JSON.stringify(TOKEN), "model_attributes_type", ["body"]],
    ["a missing name", "POST", registerBody({ name: undefined }), "missing", ["body", "name"]],
    ["a missing base_url", "POST", registerBody({ base_url: undefined }), "missing", ["body", "base_url"]],
    ["a missing auth_kind", "POST", registerBody({ auth_kind: undefined }), "missing", ["body", "auth_kind"]],
    ["a numeric name", "POST", registerBody({ name: 5 }), "string_type", ["body", "name"]],
    [
      "a token that is an object",
      "POST",
      registerBody({ token: { value: TOKEN } }),
      "string_type",
      ["body", "token"],
    ],
    [
      "a string rate cap",
      "POST",
      registerBody({ rate_cap_per_minute: "60" }),
      "int_type",
      ["body", "rate_cap_per_minute"],
    ],
    [
      "allowed_tools that is a string",
      "POST",
      registerBody({ allowed_tools: "a" }),
      "list_type",
      ["body", "allowed_tools"],
    ],
    [
      "a number inside allowed_tools",
      "POST",
      registerBody({ allowed_tools: [1] }),
      "string_type",
      ["body", "allowed_tools", 0],
    ],
    [
      "ingest_tool_calls that is an object",
      "POST",
      registerBody({ ingest_tool_calls: {} }),
      "list_type",
      ["body", "ingest_tool_calls"],
    ],
    ["a PATCH body that is not JSON", "PATCH", "nope", "json_invalid", ["body"]],
    ["a PATCH token that is a number", "PATCH", { token: 12345 }, "string_type", ["body", "token"]],
  ];

  it.each(rows)("answers 422 for %s", async (_name, method, body, type, loc) => {
    const before = await countSources(emulator);
    const path = method === "POST" ? `${base()}/user-mcp` : `${base()}/${bearerId}/user-mcp`;
    const res = await call(emulator, method, path, typeof body === "string" ? { rawBody: body } : { body });
    expect(res.status).toBe(422);
    expect(res.body.detail).toContainEqual({ type, loc, msg: expect.any(String) });
    for (const issue of res.body.detail) expect(Object.keys(issue).sort()).toEqual(["loc", "msg", "type"]);
    expect(res.text).not.toContain(TOKEN);
    expect(await countSources(emulator)).toBe(before);
  });

  it("reports every framework issue of a body at once", async () => {
    const res = await call(emulator, "POST", `${base()}/user-mcp`, { body: { name: 1, auth_kind: 2 } });
    expect(res.body.detail.map((d: { loc: string[] }) => d.loc[1]).sort()).toEqual([
      "auth_kind",
      "base_url",
      "name",
    ]);
  });

  it("treats JSON null in a PATCH as omitted", async () => {
    const before = await call(emulator, "GET", `${base()}/${bearerId}`);
    const res = await call(emulator, "PATCH", `${base()}/${bearerId}/user-mcp`, {
      body: { name: null, base_url: null, token: null, rate_cap_per_minute: null },
    });
    expect(res.status).toBe(200);
    const after = await call(emulator, "GET", `${base()}/${bearerId}`);
    expect(after.body.adapter_config).toEqual(before.body.adapter_config);
    expect(after.body.name).toBe(before.body.name);
  });
});
