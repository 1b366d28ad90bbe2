/**
 * The store's rules without HTTP: PATCH semantics, the vault, revoke, tenancy. The probe is a
 * recording stub (a mock, said so here), so each test sees exactly which credential would be sent.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { ProbeResult, ProbeTarget } from "../../packages/emulator/src/probe";
import { memoryPersistence, type Persistence } from "../../packages/emulator/src/persistence";
import { isoformat, Store, StoreError } from "../../packages/emulator/src/store";
import { redact } from "../../src/redact";
import { API_KEY, OTHER_KEY, ROTATED_TOKEN, TOKEN } from "./helpers";

const SB = "sb_1";
let probes: ProbeTarget[];
let nextResult: ProbeResult;
let persistence: Persistence;
let store: Store;

const body = (extra: Record<string, unknown> = {}) => ({
  name: "crm",
  base_url: "https://mcp.example.com/mcp",
  auth_kind: "bearer",
  token: TOKEN,
  ...extra,
});

beforeEach(() => {
  probes = [];
  nextResult = { ok: true, tools: ["a"] };
  persistence = memoryPersistence();
  store = new Store({
    probe: async (target) => {
      probes.push(target);
      return nextResult;
    },
    persistence,
  });
});

function vaultOf(): Record<string, string> {
  return persistence.load()?.vault ?? {};
}

describe("register with a stub probe", () => {
  it("probes with the registered credential and stores the outcome", async () => {
    const out = await store.register(API_KEY, SB, body());
    expect(out.status).toBe("active");
    expect(probes).toEqual([{ baseUrl: "https://mcp.example.com/mcp", authKind: "bearer", token: TOKEN }]);
    expect(vaultOf()).toEqual({ [`user_mcp/${out.data_source_id}/auth`]: TOKEN });
  });

  it("redacts the token from a failure reason before storing it", async () => {
    nextResult = {
      ok: false,
      reason: `server said: bad token ${TOKEN} (${encodeURIComponent(TOKEN + "/x")})`,
    };
    const out = await store.register(API_KEY, SB, body());
    expect(out.status).toBe("error");
    expect(out.health_error).not.toContain(TOKEN);
    expect(out.health_error).toContain("[redacted]");
  });

  it("records a thrown probe as an error status instead of failing the request", async () => {
    const throwing = new Store({
      probe: async () => {
        throw new Error("kaboom");
      },
    });
    const out = await throwing.register(API_KEY, SB, body());
    expect(out).toMatchObject({ status: "error", health_error: "kaboom" });
  });
});

describe("patch", () => {
  it("does not re-run the probe and returns the current status", async () => {
    const { data_source_id: id } = await store.register(API_KEY, SB, body());
    const out = store.patch(API_KEY, SB, id, { name: "renamed", base_url: "https://other.example.com/mcp" });
    expect(probes).toHaveLength(1);
    expect(out).toMatchObject({ status: "active", name: "renamed" });
    expect(store.get(API_KEY, SB, id).adapter_config.base_url).toBe("https://other.example.com/mcp");
  });

  it("rotates the token in the vault, and the next test uses it", async () => {
    const { data_source_id: id } = await store.register(API_KEY, SB, body());
    store.patch(API_KEY, SB, id, { token: ROTATED_TOKEN });
    expect(vaultOf()[`user_mcp/${id}/auth`]).toBe(ROTATED_TOKEN);
    await store.test(API_KEY, SB, id);
    expect(probes.at(-1)?.token).toBe(ROTATED_TOKEN);
  });

  it("keeps the stored token when the PATCH omits it", async () => {
    const { data_source_id: id } = await store.register(API_KEY, SB, body());
    store.patch(API_KEY, SB, id, { auth_kind: "header_token", auth_header: "X-Key" });
    await store.test(API_KEY, SB, id);
    expect(probes.at(-1)).toEqual({
      baseUrl: "https://mcp.example.com/mcp",
      authKind: "header_token",
      authHeader: "X-Key",
      token: TOKEN,
    });
  });

  it("drops the vault token and the auth_header when switching to none", async () => {
    const { data_source_id: id } = await store.register(
      API_KEY,
      SB,
      body({ auth_kind: "header_token", auth_header: "X-Key" }),
    );
    store.patch(API_KEY, SB, id, { auth_kind: "none" });
    const row = store.get(API_KEY, SB, id);
    expect(row.adapter_config).toMatchObject({ auth_kind: "none", auth_header: null, vault_ref: null });
    expect(vaultOf()).toEqual({});
  });

  it("drops auth_header when switching from header_token to bearer", async () => {
    const { data_source_id: id } = await store.register(
      API_KEY,
      SB,
      body({ auth_kind: "header_token", auth_header: "X-Key" }),
    );
    store.patch(API_KEY, SB, id, { auth_kind: "bearer" });
    expect(store.get(API_KEY, SB, id).adapter_config).toMatchObject({
      auth_kind: "bearer",
      auth_header: null,
    });
  });

  it("ignores ingest_tool_calls, which is not patchable", async () => {
    const calls = [{ name: "pull_docs" }];
    const { data_source_id: id } = await store.register(API_KEY, SB, body({ ingest_tool_calls: calls }));
    store.patch(API_KEY, SB, id, { ingest_tool_calls: [{ name: "other" }] });
    expect(store.get(API_KEY, SB, id).adapter_config.ingest_tool_calls).toEqual(calls);
  });

  it("bumps updated_at and keeps created_at", async () => {
    let t = Date.parse("2026-01-01T00:00:00Z");
    const clocked = new Store({
      probe: async () => ({ ok: true, tools: [] }),
      now: () => new Date((t += 1000)),
    });
    const { data_source_id: id } = await clocked.register(API_KEY, SB, body());
    const before = clocked.get(API_KEY, SB, id);
    clocked.patch(API_KEY, SB, id, { name: "x" });
    const after = clocked.get(API_KEY, SB, id);
    expect(after.created_at).toBe(before.created_at);
    expect(after.updated_at > before.updated_at).toBe(true);
  });
});

describe("revoke", () => {
  it("deletes the vault entry, disconnects, and a second revoke answers the same", async () => {
    const { data_source_id: id } = await store.register(API_KEY, SB, body());
    expect(store.revoke(API_KEY, SB, id).status).toBe("disconnected");
    expect(vaultOf()).toEqual({});
    expect(store.revoke(API_KEY, SB, id)).toMatchObject({ status: "disconnected", health_error: null });
  });

  it("wins over a probe that was still running", async () => {
    let release: (r: ProbeResult) => void = () => undefined;
    const slow = new Store({ probe: () => new Promise((resolve) => (release = resolve)) });
    const pending = slow.register(API_KEY, SB, body());
    const [row] = slow.list(API_KEY, SB, {});
    slow.revoke(API_KEY, SB, row?.data_source_id ?? "");
    release({ ok: true, tools: [] });
    expect((await pending).status).toBe("disconnected");
  });
});

describe("a probe still running when the token is rotated", () => {
  it("does not overwrite the status with a result obtained with the old token", async () => {
    let release: (r: ProbeResult) => void = () => undefined;
    const slow = new Store({ probe: () => new Promise((resolve) => (release = resolve)) });
    const pending = slow.register(API_KEY, SB, body());
    const [row] = slow.list(API_KEY, SB, {});
    const id = row?.data_source_id ?? "";
    slow.patch(API_KEY, SB, id, { token: ROTATED_TOKEN });
    release({ ok: false, reason: "MCP server answered HTTP 401" });
    await pending;
    expect(slow.get(API_KEY, SB, id).health_error).not.toBe("MCP server answered HTTP 401");
  });
});

describe("tenancy", () => {
  it("gives a sandbox to the first key that uses it and hides it from the others", async () => {
    const { data_source_id: id } = await store.register(API_KEY, SB, body());
    const err = (() => {
      try {
        store.get(OTHER_KEY, SB, id);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ status: 404, code: "not_found" });
    expect(() => store.list(OTHER_KEY, SB, {})).toThrow(StoreError);
  });

  it("never stores the API key itself", async () => {
    await store.register(API_KEY, SB, body());
    expect(JSON.stringify(persistence.load())).not.toContain(API_KEY);
  });
});

describe("helpers", () => {
  it.each([
    ["2026-04-30T14:25:18.123Z", "2026-04-30T14:25:18.123000+00:00"],
    ["2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000000+00:00"],
  ])("isoformat(%s) → %s", (input, expected) => {
    expect(isoformat(new Date(input))).toBe(expected);
  });

  it("redact leaves text alone when there is no secret", () => {
    expect(redact("connection refused", [undefined])).toBe("connection refused");
  });
});
