/**
 * The client against the real emulator (packages/emulator) and a real sample MCP server: every
 * endpoint, every error subtype as the emulator produces it, tenant isolation, secrets, health,
 * persistence. "Create is never duplicated" is test/client/create-once.test.ts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { CopassClient } from "../../src/client/client";
import type { CopassClientOptions } from "../../src/client/api";
import { failure } from "./failure";
import type { RegisterUserMcpRequest } from "../../src/client/types";

const KEY_A = "olk_tenant_a_0123456789";
const KEY_B = "olk_tenant_b_9876543210";
const MCP_TOKEN = "mcp_secret_token_5f1d2c";

let emulator: Emulator;
let mcp: SampleMcpServer;
let client: CopassClient;
const clients: CopassClient[] = [];
let sandboxCounter = 0;
/** A fresh sandbox per test keeps tests independent inside one emulator. */
const newSandbox = () => `sb_client_${++sandboxCounter}`;

function makeClient(options: Partial<CopassClientOptions> = {}, url = emulator.url): CopassClient {
  const c = new CopassClient({
    apiUrl: url,
    apiKey: KEY_A,
    retry: { minDelayMs: 10, maxDelayMs: 200 },
    ...options,
  });
  clients.push(c);
  return c;
}

function registration(over: Partial<RegisterUserMcpRequest> = {}): RegisterUserMcpRequest {
  return { name: "crm", base_url: mcp.url, auth_kind: "bearer", token: MCP_TOKEN, ...over };
}

/**
 * Operations the emulator logged, as `op` or `op:fault`. A request a test gave up on (a delay
 * fault) is logged when the emulator finishes it, possibly during a later test; `sb` keeps only
 * one sandbox's requests.
 */
const ops = (sb?: string) =>
  emulator
    .requestLog()
    .filter((e) => sb === undefined || e.path.includes(`/${sb}/`))
    .map((e) => (e.fault ? `${e.operation}:${e.fault}` : e.operation));

beforeAll(async () => {
  mcp = await startMcpServer({ auth: { kind: "bearer", token: MCP_TOKEN } });
  emulator = await startEmulator({ apiKeys: [KEY_A, KEY_B] });
  client = makeClient();
});
afterEach(() => {
  emulator.faults.reset();
  emulator.clearRequestLog();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await emulator?.close();
  await mcp?.close();
});

describe("every endpoint through the client", () => {
  it("registers, reads, lists, patches, tests, revokes and deletes a source", async () => {
    const sb = newSandbox();
    // Register: the one-shot health check against the live MCP server passes.
    const created = await client.registerUserMcp(
      sb,
      registration({ app_namespace: "crm", allowed_tools: ["get_account"] }),
    );
    expect(created).toMatchObject({ status: "active", name: "crm", ingestion_mode: "user_mcp" });
    const id = created.data_source_id!;

    // Read it back: the desired config is on adapter_config.
    const source = await client.getSource(sb, id);
    expect(source).toMatchObject({ data_source_id: id, provider: "user_mcp", status: "active" });
    expect(source.adapter_config).toMatchObject({
      base_url: mcp.url,
      app_namespace: "crm",
      allowed_tools: ["get_account"],
    });

    // List with and without filters.
    expect((await client.listSources(sb)).sources).toHaveLength(1);
    expect((await client.listSources(sb, { provider: "user_mcp", status: "active" })).count).toBe(1);
    expect((await client.listSources(sb, { provider: "slack" })).sources).toHaveLength(0);

    // Patch, then test health.
    expect(await client.patchUserMcp(sb, id, { name: "crm tools", rate_cap_per_minute: 120 })).toMatchObject({
      name: "crm tools",
    });
    expect((await client.getSource(sb, id)).adapter_config).toMatchObject({ rate_cap_per_minute: 120 });
    expect(await client.testUserMcp(sb, id)).toMatchObject({ status: "active" });

    // Revoke (twice: a second revoke is still a revoke), then delete.
    expect(await client.revokeUserMcp(sb, id)).toMatchObject({ status: "disconnected" });
    expect((await client.getSource(sb, id)).status).toBe("disconnected");
    await client.deleteSource(sb, id);
    expect((await failure(client.getSource(sb, id))).code).toBe("COPASS_NOT_FOUND");
    expect(ops()).toEqual([
      "register",
      "get",
      "list",
      "list",
      "list",
      "patch",
      "get",
      "test",
      "revoke",
      "get",
      "delete",
      "get",
    ]);
  });
});

describe("the ids-only listing (create's snapshot)", () => {
  it("lists the same rows as the full listing, with the same filters", async () => {
    const sb = newSandbox();
    const a = await client.registerUserMcp(sb, registration({ app_namespace: "ids_a" }));
    const b = await client.registerUserMcp(sb, registration({ app_namespace: "ids_b" }));
    const full = (await client.listSources(sb, { provider: "user_mcp" })).sources.map(
      (s) => s.data_source_id,
    );
    expect(await client.listSourceIds(sb, { provider: "user_mcp" })).toEqual(full);
    expect([...full].sort()).toEqual([a.data_source_id, b.data_source_id].sort());
    expect(await client.listSourceIds(sb, { provider: "slack" })).toEqual([]);
  });
});

describe("each error subtype as the emulator produces it", () => {
  it("validation: a plain-http non-loopback base_url", async () => {
    const err = await failure(
      client.registerUserMcp(newSandbox(), registration({ base_url: "http://mcp.example.com/mcp" })),
    );
    expect(err.code).toBe("COPASS_VALIDATION");
    expect(err.status).toBe(400);
    expect(err.apiError).toBe("insecure_base_url");
    expect(err.message).toMatch(/^Copass register failed: HTTP 400 insecure_base_url: /);
  });

  it("validation: a FastAPI-style 422 for a wrongly typed field", async () => {
    const body = { ...registration(), rate_cap_per_minute: "fast" } as unknown as RegisterUserMcpRequest;
    const err = await failure(client.registerUserMcp(newSandbox(), body));
    expect(err.code).toBe("COPASS_VALIDATION");
    expect(err.message).toContain("rate_cap_per_minute");
  });

  it("conflict: a second live source with the same app_namespace", async () => {
    const sb = newSandbox();
    await client.registerUserMcp(sb, registration({ app_namespace: "dup" }));
    const err = await failure(client.registerUserMcp(sb, registration({ app_namespace: "dup" })));
    expect(err.code).toBe("COPASS_CONFLICT");
    expect(err.apiError).toBe("namespace_conflict");
  });

  it("not found: an unknown source", async () => {
    const err = await failure(client.getSource(newSandbox(), "ds_missing"));
    expect(err.code).toBe("COPASS_NOT_FOUND");
    expect(err.status).toBe(404);
  });

  it("auth: an API key the emulator does not know, never echoed", async () => {
    const stranger = makeClient({ apiKey: "olk_unknown_key_000000" });
    const err = await failure(stranger.listSources(newSandbox()));
    expect(err.code).toBe("COPASS_AUTH");
    expect(err.status).toBe(401);
    expect(err.message).not.toContain("olk_unknown_key_000000");
  });

  it("rate limited: 429 with Retry-After until the retries run out", async () => {
    emulator.faults.inject({
      operation: "list",
      action: { kind: "status", status: 429, retryAfterSeconds: 0 },
      times: Infinity,
    });
    const err = await failure(makeClient({ retry: { maxAttempts: 3 } }).listSources(newSandbox()));
    expect(err.code).toBe("COPASS_RATE_LIMITED");
    expect(err.retryAfterMs).toBe(0);
    expect(err.attempts).toBe(3);
    expect(ops()).toEqual(["list:status", "list:status", "list:status"]);
  });

  it("rate limited once, then the retry succeeds", async () => {
    emulator.faults.inject({
      operation: "list",
      action: { kind: "status", status: 429, retryAfterSeconds: 0 },
    });
    await expect(client.listSources(newSandbox())).resolves.toMatchObject({ count: 0 });
    expect(ops()).toEqual(["list:status", "list"]);
  });

  it("server: 503 on every attempt", async () => {
    emulator.faults.inject({ operation: "get", action: { kind: "status", status: 503 }, times: Infinity });
    const err = await failure(makeClient({ retry: { maxAttempts: 2 } }).getSource(newSandbox(), "ds_x"));
    expect(err.code).toBe("COPASS_SERVER");
    expect(err.attempts).toBe(2);
  });

  it("network: every connection dropped", async () => {
    emulator.faults.inject({ operation: "list", action: { kind: "drop" }, times: Infinity });
    const err = await failure(makeClient({ retry: { maxAttempts: 2 } }).listSources(newSandbox()));
    expect(err.code).toBe("COPASS_NETWORK");
    expect(ops()).toEqual(["list:drop", "list:drop"]);
  });

  it("timeout: an answer slower than requestTimeoutMs", async () => {
    emulator.faults.inject({ operation: "list", action: { kind: "delay", ms: 2_000 } });
    const t0 = performance.now();
    const err = await failure(
      makeClient({ requestTimeoutMs: 400, retry: { maxAttempts: 1 } }).listSources(newSandbox()),
    );
    expect(err.code).toBe("COPASS_TIMEOUT");
    expect(performance.now() - t0).toBeLessThan(1_900);
    // The emulator still finishes the abandoned request; wait for it so that it is not logged
    // during the next test.
    await expect.poll(() => emulator.requestLog().length, { timeout: 5_000 }).toBe(1);
  });
});

describe("tenancy and secrets", () => {
  it("keeps one key's sandbox invisible to another key", async () => {
    const sb = newSandbox();
    const { data_source_id: id } = await client.registerUserMcp(sb, registration());
    const other = makeClient({ apiKey: KEY_B });
    expect((await failure(other.getSource(sb, id!))).code).toBe("COPASS_NOT_FOUND");
    expect((await failure(other.listSources(sb))).code).toBe("COPASS_NOT_FOUND");
    expect((await failure(other.revokeUserMcp(sb, id!))).code).toBe("COPASS_NOT_FOUND");
    expect((await client.getSource(sb, id!)).status).toBe("active");
  });

  it("never returns the MCP token in any result, nor logs it", async () => {
    const sb = newSandbox();
    const results: unknown[] = [];
    const created = await client.registerUserMcp(sb, registration({ app_namespace: "secret" }));
    const id = created.data_source_id!;
    results.push(created);
    results.push(await client.getSource(sb, id));
    results.push(await client.listSources(sb));
    results.push(await client.patchUserMcp(sb, id, { token: MCP_TOKEN }));
    results.push(await client.testUserMcp(sb, id));
    results.push(await client.revokeUserMcp(sb, id));
    results.push(await client.getSource(sb, id));
    const text = JSON.stringify([results, emulator.requestLog()]);
    expect(text).not.toContain(MCP_TOKEN);
    expect(text).not.toContain(KEY_A);
  });
});

describe("health", () => {
  it("goes active → error while the MCP server is down → active again after start and test", async () => {
    const sb = newSandbox();
    const own = await startMcpServer({ auth: { kind: "bearer", token: MCP_TOKEN } });
    try {
      const { data_source_id: id, status } = await client.registerUserMcp(
        sb,
        registration({ base_url: own.url }),
      );
      expect(status).toBe("active");
      await own.stop();
      const down = await client.testUserMcp(sb, id!);
      expect(down.status).toBe("error");
      expect(down.health_error).toBeTruthy();
      expect((await client.getSource(sb, id!)).status).toBe("error");
      await own.start();
      expect(await client.testUserMcp(sb, id!)).toMatchObject({ status: "active", health_error: null });
    } finally {
      await own.close();
    }
  });

  it("registers with status error (still a 2xx) when the MCP server refuses the token", async () => {
    const out = await client.registerUserMcp(newSandbox(), registration({ token: "wrong_token_12345" }));
    expect(out.status).toBe("error");
    expect(out.data_source_id).toBeTruthy();
    expect(out.health_error).toBeTruthy();
  });
});

describe("persistence", () => {
  it("keeps sources across an emulator restart on the same dataFile", async () => {
    const dir = mkdtempSync(join(tmpdir(), "copass-client-"));
    const dataFile = join(dir, "state.json");
    const sb = newSandbox();
    try {
      const first = await startEmulator({ apiKeys: [KEY_A], dataFile });
      const c1 = makeClient({}, first.url);
      const { data_source_id: id } = await c1.registerUserMcp(sb, registration({ app_namespace: "kept" }));
      await c1.close();
      await first.close();

      const second = await startEmulator({ apiKeys: [KEY_A], dataFile });
      const c2 = makeClient({}, second.url);
      try {
        expect(await c2.getSource(sb, id!)).toMatchObject({ data_source_id: id, status: "active" });
        // The vault came back too: a health test still authenticates to the MCP server.
        expect(await c2.testUserMcp(sb, id!)).toMatchObject({ status: "active" });
      } finally {
        await c2.close();
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
