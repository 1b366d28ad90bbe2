/**
 * "A create is never duplicated" (src/client/create-once.ts): against a scripted HTTP server (exact
 * answers), the real emulator (committed-then-lost and late-committing registers), and — only for
 * failures a loopback socket cannot produce on demand and then recover from — a fake `CopassApi`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { CopassClient } from "../../src/client/client";
import type { CopassApi, CopassClientOptions } from "../../src/client/api";
import { CLOCK_SKEW_MS, createOnce, createdBefore, sameAsRequest } from "../../src/client/create-once";
import {
  CopassNetworkError,
  CopassRateLimitedError,
  CopassServerError,
  CopassTimeoutError,
  fateOf,
  type CopassError,
} from "../../src/client/errors";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../../src/client/retry";
import type { DataSource, RegisterUserMcpRequest, UserMcpResult } from "../../src/client/types";
import { failure } from "./failure";
import { drop, json, scriptedServer, type Script, type ScriptedServer } from "./scripted-server";

const API_KEY = "olk_create_once_key_0a1b2c3d";
const MCP_TOKEN = "mcp_create_once_token_9e8d7c";
const FAST: RetryPolicy = { ...DEFAULT_RETRY_POLICY, minDelayMs: 1, maxDelayMs: 20 };

const REGISTER: RegisterUserMcpRequest = {
  name: "crm",
  base_url: "https://mcp.example.com/mcp",
  auth_kind: "bearer",
  token: MCP_TOKEN,
  rate_cap_per_minute: 60,
  webhook_rate_cap_per_minute: 600,
};
const row = (
  id: string,
  config: Record<string, unknown> = {},
  over: Partial<DataSource> = {},
): DataSource => ({
  data_source_id: id,
  provider: "user_mcp",
  name: "crm",
  status: "active",
  adapter_config: {
    base_url: "https://mcp.example.com/mcp",
    auth_kind: "bearer",
    auth_header: null,
    app_namespace: id,
    allowed_tools: null,
    ingest_tool_calls: [],
    rate_cap_per_minute: 60,
    webhook_rate_cap_per_minute: 600,
    ...config,
  },
  ...over,
});
const OUTCOME = { data_source_id: "ds_1", status: "active", name: "crm", ingestion_mode: "user_mcp" };

describe("sameAsRequest: a listed row matches on every field Copass returns", () => {
  it.each<[string, DataSource, RegisterUserMcpRequest, boolean]>([
    ["the same configuration (server defaults filled in)", row("ds_1"), REGISTER, true],
    ["another name", row("ds_1", {}, { name: "billing" }), REGISTER, false],
    ["another base_url", row("ds_1", { base_url: "https://other/mcp" }), REGISTER, false],
    ["another auth_kind", row("ds_1", { auth_kind: "none" }), REGISTER, false],
    ["another rate cap", row("ds_1", { rate_cap_per_minute: 61 }), REGISTER, false],
    ["another webhook rate cap", row("ds_1", { webhook_rate_cap_per_minute: 1 }), REGISTER, false],
    ["an allowlist where the request has none", row("ds_1", { allowed_tools: ["a"] }), REGISTER, false],
    [
      "the allowlist in another order",
      row("ds_1", { allowed_tools: ["b", "a"] }),
      { ...REGISTER, allowed_tools: ["a", "b"] },
      true,
    ],
    [
      "other ingest tool calls",
      row("ds_1", { ingest_tool_calls: [{ name: "pull", arguments: null }] }),
      REGISTER,
      false,
    ],
    [
      "ingest tool calls with null arguments for omitted ones",
      row("ds_1", { ingest_tool_calls: [{ name: "pull", arguments: null }] }),
      { ...REGISTER, ingest_tool_calls: [{ name: "pull" }] },
      true,
    ],
    ["an auth_header the request lacks", row("ds_1", { auth_header: "X-Key" }), REGISTER, false],
    [
      "a row that omits keys (undocumented adapter_config)",
      row("ds_1", {}, { adapter_config: {} }),
      REGISTER,
      true,
    ],
    [
      "the requested namespace",
      row("ds_1", { app_namespace: "crm" }),
      { ...REGISTER, app_namespace: "crm" },
      true,
    ],
    ["another namespace", row("ds_1", { app_namespace: "x" }), { ...REGISTER, app_namespace: "crm" }, false],
    [
      "no namespace on the row",
      row("ds_1", {}, { adapter_config: {} }),
      { ...REGISTER, app_namespace: "crm" },
      false,
    ],
  ])("%s → %s", (_name, source, request, expected) => {
    expect(sameAsRequest(source, request)).toBe(expected);
  });
});

describe("fateOf: what a failed register proves", () => {
  const net = (code: string) =>
    new CopassNetworkError("x", { operation: "register", cause: Object.assign(new Error(code), { code }) });
  it.each<[string, CopassError, string]>([
    ["connection refused", net("ECONNREFUSED"), "not-processed"],
    ["DNS failure", net("ENOTFOUND"), "not-processed"],
    [
      "connect timeout",
      new CopassTimeoutError("x", {
        operation: "register",
        cause: Object.assign(new Error("c"), { code: "UND_ERR_CONNECT_TIMEOUT" }),
      }),
      "not-processed",
    ],
    ["429", new CopassRateLimitedError("x", { operation: "register", status: 429 }), "not-processed"],
    ["a reset after sending", net("ECONNRESET"), "may-have-committed"],
    ["a closed socket", net("UND_ERR_SOCKET"), "may-have-committed"],
    [
      "a response timeout",
      new CopassTimeoutError("x", {
        operation: "register",
        cause: Object.assign(new Error("h"), { code: "UND_ERR_HEADERS_TIMEOUT" }),
      }),
      "may-have-committed",
    ],
    ["a 500", new CopassServerError("x", { operation: "register", status: 500 }), "may-have-committed"],
    ["a 503", new CopassServerError("x", { operation: "register", status: 503 }), "may-have-committed"],
  ])("%s → %s", (_name, error, fate) => {
    expect(fateOf(error)).toBe(fate);
  });
});

describe("createOnce over HTTP (scripted server)", () => {
  let server: ScriptedServer | undefined;
  let client: CopassClient | undefined;
  afterEach(async () => {
    await client?.close();
    await server?.close();
    client = server = undefined;
  });
  async function setup(script: Script, options: Partial<CopassClientOptions> = {}) {
    server = await scriptedServer(script);
    client = new CopassClient({ apiUrl: server.url, apiKey: API_KEY, retry: FAST, ...options });
    return { server, client };
  }
  const methods = () => server!.seen.map((r) => r.method);

  it("finds the committed source after a dropped POST instead of posting again (namespace)", async () => {
    const { client } = await setup((_n, req, res) => {
      if (req.method === "POST") return drop(res);
      const listed = row("ds_1", { app_namespace: "crm" }, { status: "error", health_error: "boom" });
      return json(res, 200, { sources: [listed], count: 1 });
    });
    const out = await createOnce(client, "sb_1", { ...REGISTER, app_namespace: "crm" }, { policy: FAST });
    expect(out.id).toBe("ds_1");
    expect(out.outcome).toMatchObject({ data_source_id: "ds_1", status: "error", health_error: "boom" });
    expect(methods()).toEqual(["POST", "GET"]);
  });

  it("with a namespace, posts again after a 503 when the listing shows no holder", async () => {
    const events: boolean[] = [];
    const { client } = await setup((n, req, res) => {
      if (req.method === "GET") return json(res, 200, { sources: [], count: 0 });
      return n === 1 ? json(res, 503, {}) : json(res, 200, OUTCOME);
    });
    const out = await createOnce(
      client,
      "sb_1",
      { ...REGISTER, app_namespace: "crm" },
      { policy: FAST, onAttempt: (e) => events.push(e.decision.retry) },
    );
    expect(out.id).toBe("ds_1");
    expect(methods()).toEqual(["POST", "GET", "POST"]);
    expect(events).toEqual([true]);
  });

  it("without a namespace, never posts twice after a 503: none listed fails as 'may have been created'", async () => {
    const { client } = await setup((_n, req, res) =>
      req.method === "GET" ? json(res, 200, { sources: [], count: 0 }) : json(res, 503, {}),
    );
    const err = await failure(createOnce(client, "sb_1", REGISTER, { policy: FAST }));
    expect(err.code).toBe("COPASS_CREATE_UNCERTAIN");
    expect(err.message).toContain("may have been created");
    expect(err.message).toContain("set appNamespace");
    expect(err.message).not.toContain(MCP_TOKEN);
    expect(methods()).toEqual(["GET", "POST", "GET"]);
  });

  it("without a namespace, several new exact matches fail naming them (never 'the newest')", async () => {
    const { client } = await setup((n, req, res) => {
      if (req.method === "POST") return drop(res);
      const sources = n === 1 ? [] : [row("ds_a"), row("ds_b", {}, { created_at: "2030-01-01T00:00:00Z" })];
      return json(res, 200, { sources, count: sources.length });
    });
    const err = await failure(createOnce(client, "sb_1", REGISTER, { policy: FAST }));
    expect(err.code).toBe("COPASS_CREATE_UNCERTAIN");
    expect(err.message).toContain("ds_a");
    expect(err.message).toContain("ds_b");
    expect(methods()).toEqual(["GET", "POST", "GET"]);
  });

  it("without a namespace, a single new exact match is the source; old and differing rows are not", async () => {
    const { client } = await setup((n, req, res) => {
      if (req.method === "POST") return drop(res);
      const old = row("ds_old");
      const sources =
        n === 1
          ? [old]
          : [old, row("ds_other", { rate_cap_per_minute: 5 }), row("ds_new", { app_namespace: "ds_new" })];
      return json(res, 200, { sources, count: sources.length });
    });
    const out = await createOnce(client, "sb_1", REGISTER, { policy: FAST });
    expect(out.id).toBe("ds_new");
    expect(methods()).toEqual(["GET", "POST", "GET"]);
  });

  it("does not retry a plain validation error", async () => {
    const { client } = await setup((_n, _req, res) => json(res, 400, { error: "invalid_base_url" }));
    const err = await failure(createOnce(client, "sb_1", { ...REGISTER, app_namespace: "crm" }));
    expect(err.code).toBe("COPASS_VALIDATION");
    expect(methods()).toEqual(["POST"]);
  });

  it("keeps a register failure (ambiguous) when the reconciling listing fails too", async () => {
    const { client } = await setup((_n, _req, res) => drop(res), {
      retry: { maxAttempts: 2, minDelayMs: 1 },
    });
    const policy = { ...FAST, maxAttempts: 2 };
    const err = await failure(createOnce(client, "sb_1", { ...REGISTER, app_namespace: "crm" }, { policy }));
    expect(err.code).toBe("COPASS_NETWORK");
    expect(err.operation).toBe("register");
    expect(err.message).toMatch(
      /the source may have been created, and the listing that would tell failed too \(list failed: /,
    );
    expect(err.message.match(/Copass/g)).toHaveLength(1); // one subject, no stutter
    // maxAttempts 2: two rounds of the reconciling listing, each a list with its own 2 attempts.
    expect(methods()).toEqual(["POST", "GET", "GET", "GET", "GET"]);
  });

  it("lists instead of losing the id when a register 2xx has an empty body", async () => {
    const { client } = await setup((_n, req, res) => {
      if (req.method === "POST") return res.writeHead(200).end();
      return json(res, 200, { sources: [row("ds_1", { app_namespace: "crm" })], count: 1 });
    });
    const out = await createOnce(client, "sb_1", { ...REGISTER, app_namespace: "crm" });
    expect(out).toMatchObject({ id: "ds_1", outcome: { status: "active" } });
    expect(methods()).toEqual(["POST", "GET"]);
  });

  it("reconciles a register 2xx whose body is not JSON, and never POSTs it again", async () => {
    const { client } = await setup((_n, req, res) => {
      if (req.method === "POST") return res.writeHead(200).end("<html>ok</html>");
      return json(res, 200, { sources: [], count: 0 });
    });
    const err = await failure(createOnce(client, "sb_1", { ...REGISTER, app_namespace: "crm" }));
    expect(err.code).toBe("COPASS_BAD_RESPONSE");
    expect(methods()).toEqual(["POST", "GET"]);
  });

  it("reconciles a register whose answer is not valid HTTP (the server may have committed)", async () => {
    const { client } = await setup((_n, req, res) => {
      if (req.method === "POST") {
        res.socket?.end("HTTP/1.1 2OO OK\r\n\r\n");
        return;
      }
      return json(res, 200, { sources: [row("ds_1", { app_namespace: "crm" })], count: 1 });
    });
    const out = await createOnce(client, "sb_1", { ...REGISTER, app_namespace: "crm" });
    expect(out.id).toBe("ds_1");
    expect(methods()).toEqual(["POST", "GET"]);
  });

  it("with a namespace, a holder that differs after a lost POST is a conflict, never ours and never re-POSTed", async () => {
    const foreign = row("ds_x", { base_url: "https://other/mcp", app_namespace: "crm" });
    const { client } = await setup((_n, req, res) => {
      if (req.method === "GET") return json(res, 200, { sources: [foreign], count: 1 });
      return drop(res);
    });
    const err = await failure(
      createOnce(client, "sb_1", { ...REGISTER, app_namespace: "crm" }, { policy: FAST }),
    );
    expect(err.code).toBe("COPASS_CONFLICT");
    expect(err.message).toContain("held by source ds_x");
    expect(methods()).toEqual(["POST", "GET"]);
  });

  it("with a namespace, an identical holder that existed before the lost POST is a conflict, never ours (another stack's copy)", async () => {
    // A copy of the project: every field Copass shows equals the request; only the token (never
    // shown) differs. Created an hour before our POST, it cannot be our POST's source.
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const other = row("ds_a", { app_namespace: "crm" }, { created_at: hourAgo });
    const { client } = await setup((_n, req, res) => {
      if (req.method === "GET") return json(res, 200, { sources: [other], count: 1 });
      return drop(res);
    });
    const err = await failure(
      createOnce(client, "sb_1", { ...REGISTER, app_namespace: "crm" }, { policy: FAST }),
    );
    expect(err.code).toBe("COPASS_CONFLICT");
    expect(err.message).toContain("held by source ds_a");
    expect(err.message).not.toContain(MCP_TOKEN);
    expect(methods()).toEqual(["POST", "GET"]);
  });

  it("with a namespace, an identical holder created after the POST was sent is ours", async () => {
    const justNow = new Date().toISOString();
    const mine = row("ds_1", { app_namespace: "crm" }, { created_at: justNow });
    const { client } = await setup((_n, req, res) => {
      if (req.method === "GET") return json(res, 200, { sources: [mine], count: 1 });
      return drop(res);
    });
    const out = await createOnce(client, "sb_1", { ...REGISTER, app_namespace: "crm" }, { policy: FAST });
    expect(out.id).toBe("ds_1");
    expect(methods()).toEqual(["POST", "GET"]);
  });
});

describe("createdBefore: a row older than the first POST (beyond clock skew) is not that POST's", () => {
  const sent = Date.parse("2026-11-27T12:00:00Z");
  it.each<[string, string | null | undefined, boolean]>([
    ["an hour before", "2026-11-27T11:00:00.000000+00:00", true],
    ["just beyond the skew allowance", new Date(sent - CLOCK_SKEW_MS - 1).toISOString(), true],
    ["within the skew allowance", new Date(sent - CLOCK_SKEW_MS + 1_000).toISOString(), false],
    ["after the POST", "2026-11-27T12:00:01.5+00:00", false],
    ["no timestamp", undefined, false],
    ["an unreadable timestamp", "yesterday", false],
  ])("%s -> %s", (_name, createdAt, expected) => {
    expect(createdBefore(row("ds_1", {}, { created_at: createdAt }), sent)).toBe(expected);
  });
});

describe("createOnce re-sends only after failures that prove nothing was processed (fake CopassApi)", () => {
  // A fake: a loopback port cannot refuse a connection and then accept the retry on demand.
  function fakeApi(failures: CopassError[]): { api: CopassApi; calls: string[] } {
    const calls: string[] = [];
    const api = {
      async registerUserMcp(): Promise<UserMcpResult> {
        calls.push("register");
        const next = failures.shift();
        if (next) throw next;
        return OUTCOME;
      },
      async listSources() {
        calls.push("list");
        return { sources: [], count: 0 };
      },
    } as unknown as CopassApi;
    return { api, calls };
  }
  const refused = () =>
    new CopassNetworkError("Copass register failed: connection error (ECONNREFUSED)", {
      operation: "register",
      cause: Object.assign(new Error("refused"), { code: "ECONNREFUSED" }),
    });

  it.each([
    ["connection refused", refused()],
    [
      "429",
      new CopassRateLimitedError("Copass register failed: HTTP 429", {
        operation: "register",
        status: 429,
        retryAfterMs: 1,
      }),
    ],
  ])("%s: sends the register again without listing first (no namespace)", async (_name, error) => {
    const { api, calls } = fakeApi([error]);
    const out = await createOnce(api, "sb_1", REGISTER, { policy: FAST });
    expect(out.id).toBe("ds_1");
    expect(calls).toEqual(["list", "register", "register"]);
  });
});

describe("createOnce against the emulator", () => {
  let emulator: Emulator;
  let mcp: SampleMcpServer;
  let client: CopassClient;
  const made: CopassClient[] = [];
  let counter = 0;
  const newSandbox = () => `sb_once_${++counter}`;
  const registration = (over: Partial<RegisterUserMcpRequest> = {}): RegisterUserMcpRequest => ({
    ...REGISTER,
    base_url: mcp.url,
    ...over,
  });
  const ops = (sb: string) =>
    emulator
      .requestLog()
      .filter((e) => e.path.includes(`/${sb}/`))
      .map((e) => (e.fault ? `${e.operation}:${e.fault}` : e.operation));
  const makeClient = (options: Partial<CopassClientOptions> = {}) => {
    const c = new CopassClient({ apiUrl: emulator.url, apiKey: API_KEY, retry: FAST, ...options });
    made.push(c);
    return c;
  };
  /** Waits (bounded) until the emulator has finished `count` registers in `sb`. */
  async function registersDone(sb: string, count: number): Promise<void> {
    for (let i = 0; i < 200 && ops(sb).filter((o) => o.startsWith("register")).length < count; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    mcp = await startMcpServer({ auth: { kind: "bearer", token: MCP_TOKEN } });
    emulator = await startEmulator({ apiKeys: [API_KEY] });
    client = makeClient();
  });
  afterEach(() => emulator.faults.reset());
  afterAll(async () => {
    for (const c of made) await c.close();
    await emulator?.close();
    await mcp?.close();
  });

  it.each([
    {
      name: "with an explicit app_namespace",
      ns: "crm-lost" as string | undefined,
      calls: ["register:commit-then-drop", "list"],
    },
    { name: "without an app_namespace", ns: undefined, calls: ["list", "register:commit-then-drop", "list"] },
  ])("commit-then-drop $name leaves exactly one source, the one returned", async ({ ns, calls }) => {
    const sb = newSandbox();
    emulator.faults.inject({ operation: "register", action: { kind: "commit-then-drop" } });
    const out = await createOnce(client, sb, registration(ns ? { app_namespace: ns } : {}), { policy: FAST });
    expect(out.outcome).toMatchObject({ status: "active", name: "crm" });
    expect(ops(sb)).toEqual(calls);
    const { sources } = await client.listSources(sb);
    expect(sources.map((s) => s.data_source_id)).toEqual([out.id]);
  });

  it("keeps listing through server errors to find a committed register (a 500 is not retried elsewhere)", async () => {
    const sb = newSandbox();
    emulator.faults.inject({ operation: "register", action: { kind: "commit-then-drop" } });
    emulator.faults.inject({ operation: "list", action: { kind: "status", status: 500 }, times: 2 });
    const out = await createOnce(client, sb, registration({ app_namespace: "crm-list-500" }), {
      policy: FAST,
    });
    expect(ops(sb)).toEqual(["register:commit-then-drop", "list:status", "list:status", "list"]);
    expect((await client.listSources(sb)).sources.map((s) => s.data_source_id)).toEqual([out.id]);
  });

  it("a dropped POST that did not commit is sent again with a namespace, once", async () => {
    const sb = newSandbox();
    emulator.faults.inject({ operation: "register", action: { kind: "drop" } });
    const out = await createOnce(client, sb, registration({ app_namespace: "crm-drop" }), { policy: FAST });
    expect(out.outcome.status).toBe("active");
    expect(ops(sb)).toEqual(["register:drop", "list", "register"]);
    expect((await client.listSources(sb)).sources).toHaveLength(1);
  });

  it("a dropped POST without a namespace is never sent again: it fails as 'may have been created'", async () => {
    const sb = newSandbox();
    emulator.faults.inject({ operation: "register", action: { kind: "drop" } });
    const err = await failure(createOnce(client, sb, registration(), { policy: FAST }));
    expect(err.code).toBe("COPASS_CREATE_UNCERTAIN");
    expect(ops(sb)).toEqual(["list", "register:drop", "list"]);
  });

  it("costs one call on the happy path with a namespace, two without", async () => {
    const a = newSandbox();
    await createOnce(client, a, registration({ app_namespace: "happy" }));
    expect(ops(a)).toEqual(["register"]);
    const b = newSandbox();
    await createOnce(client, b, registration());
    expect(ops(b)).toEqual(["list", "register"]);
  });

  it("a late commit without a namespace (timeout 1 s, commit at 2.5 s) leaves at most one source", async () => {
    // The POST reaches the emulator, which commits only after the client gave up and listed. The
    // old code then POSTed again: two sources. Now the create fails "may have been created".
    const sb = newSandbox();
    emulator.faults.inject({ operation: "register", action: { kind: "delay", ms: 2_500 } });
    const slow = makeClient({ requestTimeoutMs: 1_000 });
    const err = await failure(createOnce(slow, sb, registration(), { policy: FAST }));
    expect(err.code).toBe("COPASS_CREATE_UNCERTAIN");
    expect(err.message).toContain("may have been created");
    await registersDone(sb, 1);
    expect(ops(sb).filter((o) => o.startsWith("register"))).toHaveLength(1);
    expect((await client.listSources(sb)).sources).toHaveLength(1);
  });

  it("a late commit with a namespace: the retry meets its own source's conflict and finds it", async () => {
    // The first POST is slow: the client times out and lists before the server commits at 2.5 s,
    // so the listing proves nothing; the retry, 2 s later, hits the namespace the first POST took.
    const sb = newSandbox();
    emulator.faults.inject({ operation: "register", action: { kind: "delay", ms: 2_500 } });
    const slow = makeClient({ requestTimeoutMs: 1_000 });
    const policy = { ...FAST, minDelayMs: 2_000, maxDelayMs: 2_000, jitter: "none" as const };
    const out = await createOnce(slow, sb, registration({ app_namespace: "slow" }), { policy });
    const { sources } = await client.listSources(sb);
    expect(sources.map((s) => s.data_source_id)).toEqual([out.id]);
  });

  it("reports a conflict with somebody else's source instead of taking it", async () => {
    const sb = newSandbox();
    await client.registerUserMcp(sb, registration({ app_namespace: "taken", name: "billing" }));
    const before = ops(sb).length;
    const err = await failure(createOnce(client, sb, registration({ app_namespace: "taken" })));
    expect(err.code).toBe("COPASS_CONFLICT");
    expect(ops(sb).slice(before)).toEqual(["register"]);
  });
});
