/**
 * API keys and sandbox isolation: a sandbox belongs to the first key that uses it; another key
 * sees 404 for it and for each of its sources, and cannot change them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../packages/emulator/src";
import { base, call, countSources, OTHER_KEY, registerBody, startTestEmulator } from "./helpers";

let emulator: Emulator;
let id: string;
const SB = "sb_tenant_a";

beforeAll(async () => {
  emulator = await startTestEmulator();
  const res = await call(emulator, "POST", `${base(SB)}/user-mcp`, { body: registerBody() });
  id = res.body.data_source_id;
});
afterAll(() => emulator.close());

describe("another tenant's key", () => {
  it.each([
    ["GET", () => base(SB), undefined],
    ["GET", () => `${base(SB)}/${id}`, undefined],
    ["PATCH", () => `${base(SB)}/${id}/user-mcp`, { name: "hijacked" }],
    ["POST", () => `${base(SB)}/${id}/user-mcp/test`, undefined],
    ["POST", () => `${base(SB)}/${id}/user-mcp/revoke`, undefined],
    ["DELETE", () => `${base(SB)}/${id}`, undefined],
    ["POST", () => `${base(SB)}/user-mcp`, registerBody()],
  ])("gets 404 for %s on the owner's sandbox (%#)", async (method, path, body) => {
    const res = await call(emulator, method, path(), { body, key: OTHER_KEY });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: "not_found", detail: expect.any(String) });
  });

  it("left the owner's source untouched", async () => {
    const res = await call(emulator, "GET", `${base(SB)}/${id}`);
    expect(res.body).toMatchObject({ name: "CRM tools", status: "error" });
    expect(await countSources(emulator, SB)).toBe(1);
  });

  it("cannot reach a source through its own sandbox either", async () => {
    await call(emulator, "GET", base("sb_tenant_b"), { key: OTHER_KEY });
    const res = await call(emulator, "GET", `${base("sb_tenant_b")}/${id}`, { key: OTHER_KEY });
    expect(res.status).toBe(404);
  });
});

describe("missing or invalid API key", () => {
  it.each([
    ["no Authorization header", {}],
    ["an unknown key", { authorization: "Bearer olk_unknown" }],
    ["an empty bearer", { authorization: "Bearer " }],
    ["a Basic scheme", { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` }],
  ])("answers 401 unauthorized for %s", async (_name, headers) => {
    const res = await fetch(`${emulator.url}${base(SB)}`, { headers });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "unauthorized", detail: expect.any(String) });
  });
});
