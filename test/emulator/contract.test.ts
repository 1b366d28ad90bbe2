/**
 * The HTTP contract of the emulator as a table (json-server's app.test.ts): one row per
 * method, path and expected status, run in order against one emulator. `:id` is a live source,
 * `:revoked` a revoked one, `:doomed` one that a row deletes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../packages/emulator/src";
import { API_KEY, base, call, registerBody, startTestEmulator, TOKEN } from "./helpers";

let emulator: Emulator;
const ids: Record<string, string> = {};

beforeAll(async () => {
  emulator = await startTestEmulator();
  for (const name of ["id", "revoked", "doomed"]) {
    const res = await call(emulator, "POST", `${base()}/user-mcp`, { body: registerBody({ name }) });
    ids[name] = res.body.data_source_id;
  }
  await call(emulator, "POST", `${base()}/${ids.revoked}/user-mcp/revoke`);
});
afterAll(() => emulator.close());

const S = base();
interface Row {
  method: string;
  path: string;
  status: number;
  body?: unknown;
  key?: string | null;
}
const rows: Row[] = [
  { method: "POST", path: `${S}/user-mcp`, status: 200, body: registerBody() },
  { method: "GET", path: S, status: 200 },
  { method: "GET", path: `${S}?provider=user_mcp&status=error`, status: 200 },
  { method: "GET", path: `${S}/:id`, status: 200 },
  { method: "GET", path: `${S}/ds_missing`, status: 404 },
  { method: "PATCH", path: `${S}/:id/user-mcp`, status: 200, body: { name: "renamed" } },
  { method: "PATCH", path: `${S}/ds_missing/user-mcp`, status: 404, body: { name: "x" } },
  { method: "POST", path: `${S}/:id/user-mcp/test`, status: 200 },
  { method: "POST", path: `${S}/ds_missing/user-mcp/test`, status: 404 },
  { method: "POST", path: `${S}/:id/user-mcp/revoke`, status: 200 },
  { method: "POST", path: `${S}/:revoked/user-mcp/revoke`, status: 200 },
  { method: "POST", path: `${S}/ds_missing/user-mcp/revoke`, status: 404 },
  { method: "POST", path: `${S}/:revoked/user-mcp/test`, status: 400 },
  { method: "PATCH", path: `${S}/:revoked/user-mcp`, status: 400, body: { name: "x" } },
  { method: "DELETE", path: `${S}/:doomed`, status: 200 },
  { method: "DELETE", path: `${S}/:doomed`, status: 404 },
  { method: "GET", path: `${S}/:doomed`, status: 404 },
  { method: "DELETE", path: `${S}/ds_missing`, status: 404 },
  { method: "GET", path: S, status: 401, key: null },
  { method: "GET", path: S, status: 401, key: "olk_not_a_key" },
  { method: "POST", path: `${S}/user-mcp`, status: 401, key: null, body: registerBody() },
  // Unknown routes and methods: no auth needed to learn that a route does not exist.
  { method: "GET", path: "/", status: 404 },
  { method: "GET", path: "/api/v1/storage/sandboxes", status: 404 },
  { method: "GET", path: `${S}/:id/user-mcp/nope`, status: 404 },
  { method: "POST", path: "/api/v1/storage/sandboxes/sb_test/sources", status: 405 },
  { method: "PUT", path: `${S}/:id`, status: 405 },
  { method: "GET", path: `${S}/:id/user-mcp/test`, status: 405 },
  { method: "GET", path: "/_emulator/requests", status: 401 },
];

describe("HTTP contract", () => {
  it.each(rows)("$method $path → $status", async (row) => {
    const path = row.path.replace(/:(id|revoked|doomed)/, (_m, name: string) => ids[name] ?? "");
    const res = await call(emulator, row.method, path, { body: row.body, key: row.key });
    expect(res.status).toBe(row.status);
    expect(res.text).not.toContain(TOKEN);
    if (row.status >= 400 && row.status !== 422) {
      expect(res.body).toEqual({ error: expect.any(String), detail: expect.any(String) });
    }
  });
});

describe("response shapes", () => {
  it("returns the outcome object from register with exactly the documented keys", async () => {
    const res = await call(emulator, "POST", `${S}/user-mcp`, { body: registerBody({ name: "shape" }) });
    expect(Object.keys(res.body).sort()).toEqual([
      "data_source_id",
      "health_error",
      "ingestion_mode",
      "name",
      "status",
    ]);
  });

  it("returns a flat DataSource with defaults applied, Python isoformat timestamps and no token", async () => {
    const reg = await call(emulator, "POST", `${S}/user-mcp`, { body: registerBody({ name: "flat" }) });
    const id = reg.body.data_source_id;
    const res = await call(emulator, "GET", `${S}/${id}`);
    expect(res.body).toMatchObject({
      data_source_id: id,
      sandbox_id: "sb_test",
      provider: "user_mcp",
      ingestion_mode: "user_mcp",
      kind: "durable",
      status: "error",
      adapter_config: {
        base_url: "http://127.0.0.1:2/mcp",
        auth_kind: "bearer",
        auth_header: null,
        app_namespace: id,
        allowed_tools: null,
        ingest_tool_calls: [],
        rate_cap_per_minute: 60,
        webhook_rate_cap_per_minute: 600,
        vault_ref: `user_mcp/${id}/auth`,
      },
    });
    expect(res.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    expect(res.body.updated_at).toMatch(/\+00:00$/);
    expect(res.body.user_id).not.toContain(API_KEY);
    expect(res.text).not.toContain(TOKEN);
  });

  it("filters the list by provider and status and counts what it returns", async () => {
    const all = await call(emulator, "GET", S);
    const disconnected = await call(emulator, "GET", `${S}?status=disconnected`);
    const other = await call(emulator, "GET", `${S}?provider=slack`);
    expect(all.body.count).toBe(all.body.sources.length);
    expect(disconnected.body.sources.map((s: { status: string }) => s.status)).toEqual(
      Array(disconnected.body.count).fill("disconnected"),
    );
    expect(disconnected.body.count).toBeGreaterThanOrEqual(2);
    expect(other.body).toEqual({ sources: [], count: 0 });
  });

  it("answers DELETE with a StatusResponse {success, message}", async () => {
    const reg = await call(emulator, "POST", `${S}/user-mcp`, { body: registerBody({ name: "bye" }) });
    const res = await call(emulator, "DELETE", `${S}/${reg.body.data_source_id}`);
    expect(res.body).toEqual({ success: true, message: expect.stringContaining(reg.body.data_source_id) });
  });

  it("accepts and ignores X-Encryption-Token and X-Encryption-Key", async () => {
    const res = await call(emulator, "GET", S, {
      headers: { "x-encryption-token": "c2Vzc2lvbg==", "x-encryption-key": "ZGVr" },
    });
    expect(res.status).toBe(200);
  });
});
