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
import { createOnce } from "../../src/client/create-once";
import { CopassNetworkError, CopassRateLimitedError, type CopassError } from "../../src/client/errors";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../../src/client/retry";
import type { DataSource, RegisterUserMcpRequest, UserMcpResult } from "../../src/client/types";
import { differingFields } from "../../src/provider/diff";
import { checkInputs } from "../../src/provider/schema";
import { userMcpRow } from "../support/rows";
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
const row = userMcpRow;
const OUTCOME = { data_source_id: "ds_1", status: "active", name: "crm", ingestion_mode: "user_mcp" };

/**
 * The matcher the provider passes (src/provider/provider.ts): the field table's comparator, fed with
 * the inputs that `request` was built from. Tests of the loop use the real rule, not a copy.
 */
function matching(request: RegisterUserMcpRequest): (row: DataSource) => boolean {
  const checked = checkInputs({
    sandboxId: "sb_any",
    name: request.name,
    baseUrl: request.base_url,
    authKind: request.auth_kind,
    token: request.token,
    authHeader: request.auth_header,
    appNamespace: request.app_namespace,
    allowedTools: request.allowed_tools,
    ingestToolCalls: request.ingest_tool_calls,
    rateCapPerMinute: request.rate_cap_per_minute,
    webhookRateCapPerMinute: request.webhook_rate_cap_per_minute,
  });
  if (!checked.ok) throw new Error(`test request does not check: ${JSON.stringify(checked.failures)}`);
  return (row) => differingFields(row, checked.inputs).length === 0;
}
/** createOnce as the provider calls it: the comparator for `request`, plus `extra` options. */
const once = (
  api: CopassApi,
  sb: string,
  request: RegisterUserMcpRequest,
  extra: { policy?: RetryPolicy } = {},
) => createOnce(api, sb, request, { matches: matching(request), ...extra });

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

  /** Lists `first` for the snapshot (the first request), `later` afterwards; POSTs get `post`. */
  const listing =
    (first: DataSource[], later: DataSource[], post: Script): Script =>
    (n, req, res) => {
      if (req.method === "POST") return post(n, req, res);
      const sources = n === 1 ? first : later;
      return json(res, 200, { sources, count: sources.length });
    };
  const NS = { ...REGISTER, app_namespace: "crm" };

  it("finds the committed source after a dropped POST instead of posting again (namespace)", async () => {
    const listed = row("ds_1", { app_namespace: "crm" }, { status: "error", health_error: "boom" });
    const { client } = await setup(listing([], [listed], (_n, _req, res) => drop(res)));
    const out = await once(client, "sb_1", NS, { policy: FAST });
    expect(out.id).toBe("ds_1");
    expect(out.outcome).toMatchObject({ data_source_id: "ds_1", status: "error", health_error: "boom" });
    expect(methods()).toEqual(["GET", "POST", "GET"]);
  });

  it("with a namespace, posts again after a 503 when the listing shows no holder", async () => {
    const events: boolean[] = [];
    const { client } = await setup(
      listing([], [], (n, _req, res) => (n === 2 ? json(res, 503, {}) : json(res, 200, OUTCOME))),
    );
    const out = await createOnce(client, "sb_1", NS, {
      matches: matching(NS),
      policy: FAST,
      onAttempt: (e) => events.push(e.decision.retry),
    });
    expect(out.id).toBe("ds_1");
    expect(methods()).toEqual(["GET", "POST", "GET", "POST"]);
    expect(events).toEqual([true]);
  });

  it("without a namespace, never posts twice after a 503: none listed fails as 'may have been created'", async () => {
    const { client } = await setup(listing([], [], (_n, _req, res) => json(res, 503, {})));
    const err = await failure(once(client, "sb_1", REGISTER, { policy: FAST }));
    expect(err.code).toBe("COPASS_CREATE_UNCERTAIN");
    expect(err.message).toContain("may have been created");
    expect(err.message).toContain("set appNamespace");
    expect(err.message).not.toContain(MCP_TOKEN);
    expect(methods()).toEqual(["GET", "POST", "GET"]);
  });

  it("without a namespace, several new exact matches fail naming them (never 'the newest')", async () => {
    const later = [row("ds_a"), row("ds_b", {}, { created_at: "2030-01-01T00:00:00Z" })];
    const { client } = await setup(listing([], later, (_n, _req, res) => drop(res)));
    const err = await failure(once(client, "sb_1", REGISTER, { policy: FAST }));
    expect(err.code).toBe("COPASS_CREATE_UNCERTAIN");
    expect(err.message).toContain("ds_a");
    expect(err.message).toContain("ds_b");
    expect(methods()).toEqual(["GET", "POST", "GET"]);
  });

  it("without a namespace, a single new exact match is the source; old and differing rows are not", async () => {
    const old = row("ds_old");
    const later = [
      old,
      row("ds_other", { rate_cap_per_minute: 5 }),
      row("ds_new", { app_namespace: "ds_new" }),
    ];
    const { client } = await setup(listing([old], later, (_n, _req, res) => drop(res)));
    const out = await once(client, "sb_1", REGISTER, { policy: FAST });
    expect(out.id).toBe("ds_new");
    expect(methods()).toEqual(["GET", "POST", "GET"]);
  });

  it("does not retry a plain validation error", async () => {
    const { client } = await setup(
      listing([], [], (_n, _req, res) => json(res, 400, { error: "invalid_base_url" })),
    );
    const err = await failure(once(client, "sb_1", NS));
    expect(err.code).toBe("COPASS_VALIDATION");
    expect(methods()).toEqual(["GET", "POST"]);
  });

  it("fails before any POST when the snapshot cannot be listed (nothing was sent that could commit)", async () => {
    const { client } = await setup((_n, _req, res) => drop(res), {
      retry: { maxAttempts: 2, minDelayMs: 1 },
    });
    const err = await failure(once(client, "sb_1", NS, { policy: FAST }));
    expect(err.operation).toBe("list");
    expect(methods()).toEqual(["GET", "GET"]);
  });

  it("keeps a register failure (ambiguous) when the reconciling listing fails too", async () => {
    const { client } = await setup(
      (n, _req, res) => (n === 1 ? json(res, 200, { sources: [], count: 0 }) : drop(res)),
      { retry: { maxAttempts: 2, minDelayMs: 1 } },
    );
    const policy = { ...FAST, maxAttempts: 2 };
    const err = await failure(once(client, "sb_1", NS, { policy }));
    expect(err.code).toBe("COPASS_NETWORK");
    expect(err.operation).toBe("register");
    expect(err.message).toMatch(
      /the source may have been created, and the listing that would tell failed too \(list failed: /,
    );
    expect(err.message.match(/Copass/g)).toHaveLength(1); // one subject, no stutter
    // The snapshot, then maxAttempts 2: two rounds of the reconciling listing, each with 2 attempts.
    expect(methods()).toEqual(["GET", "POST", "GET", "GET", "GET", "GET"]);
  });

  it("lists instead of losing the id when a register 2xx has an empty body", async () => {
    const { client } = await setup(
      listing([], [row("ds_1", { app_namespace: "crm" })], (_n, _req, res) => res.writeHead(200).end()),
    );
    const out = await once(client, "sb_1", NS);
    expect(out).toMatchObject({ id: "ds_1", outcome: { status: "active" } });
    expect(methods()).toEqual(["GET", "POST", "GET"]);
  });

  it("reconciles a register 2xx whose body is not JSON, and never POSTs it again", async () => {
    const { client } = await setup(
      listing([], [], (_n, _req, res) => res.writeHead(200).end("<html>ok</html>")),
    );
    const err = await failure(once(client, "sb_1", NS));
    expect(err.code).toBe("COPASS_BAD_RESPONSE");
    expect(methods()).toEqual(["GET", "POST", "GET"]);
  });

  it("reconciles a register whose answer is not valid HTTP (the server may have committed)", async () => {
    const { client } = await setup(
      listing([], [row("ds_1", { app_namespace: "crm" })], (_n, _req, res) => {
        res.socket?.end("HTTP/1.1 2OO OK\r\n\r\n");
      }),
    );
    const out = await once(client, "sb_1", NS);
    expect(out.id).toBe("ds_1");
    expect(methods()).toEqual(["GET", "POST", "GET"]);
  });

  it("with a namespace, a new holder that differs after a lost POST is a conflict, never ours and never re-POSTed", async () => {
    const foreign = row("ds_x", { base_url: "https://other/mcp", app_namespace: "crm" });
    const { client } = await setup(listing([], [foreign], (_n, _req, res) => drop(res)));
    const err = await failure(once(client, "sb_1", NS, { policy: FAST }));
    expect(err.code).toBe("COPASS_CONFLICT");
    expect(err.message).toContain("held by source ds_x");
    expect(methods()).toEqual(["GET", "POST", "GET"]);
  });

  // Issue 15 §2: a copy of the project (stack B, its own token) whose POST gets a 502 from a proxy.
  // Stack A's source equals B's request in every field Copass shows; only the never-shown token
  // differs. Whatever its timestamp says (minted after the POST by a clock ahead of ours, or
  // without an offset, which reads as the runner's local time), the snapshot listed it first.
  // mutation: drop `!before.has(row.data_source_id)` in register-fate.ts reconcile → these pass A's id
  // to B as its own, and fail.
  it.each([
    ["no timestamp", undefined],
    ["a timestamp after our POST (a clock ahead of ours)", new Date(Date.now() + 3_600_000).toISOString()],
    ["a timestamp without an offset", new Date().toISOString().replace(/Z$/, "")],
  ])(
    "with a namespace, an identical holder listed before the lost POST is never ours (%s)",
    async (_name, createdAt) => {
      const twin = row("ds_a", { app_namespace: "crm" }, { created_at: createdAt });
      const { client } = await setup(listing([twin], [twin], (_n, _req, res) => json(res, 502, {})));
      const err = await failure(once(client, "sb_1", NS, { policy: FAST }));
      expect(err.code).toBe("COPASS_CONFLICT");
      expect(err.message).toContain("held by source ds_a");
      expect(err.message).not.toContain(MCP_TOKEN);
      expect(methods()).toEqual(["GET", "POST", "GET"]);
    },
  );

  it("with a namespace, an identical holder that appeared after the snapshot is ours", async () => {
    const mine = row("ds_1", { app_namespace: "crm" }, { created_at: "2001-01-01T00:00:00Z" });
    const { client } = await setup(listing([], [mine], (_n, _req, res) => drop(res)));
    const out = await once(client, "sb_1", NS, { policy: FAST });
    expect(out.id).toBe("ds_1");
    expect(methods()).toEqual(["GET", "POST", "GET"]);
  });

  it("a register 2xx carrying both an error and a data_source_id is a created, unhealthy source (issue 15 §4)", async () => {
    // Copass writes the row before its health check: an id means the source exists, token and all.
    // mutation: answerFate returns "refused" whenever `error` is set → a plain validation error, and
    // the source (and its vaulted token) is orphaned: this test fails.
    const answer = {
      data_source_id: "ds_1",
      name: "crm",
      error: "health_check_failed",
      detail: `server said: bad token ${MCP_TOKEN}`,
    };
    const { client } = await setup(listing([], [], (_n, _req, res) => json(res, 200, answer)));
    const out = await once(client, "sb_1", NS, { policy: FAST });
    expect(out.id).toBe("ds_1");
    expect(out.outcome.status).toBe("error");
    expect(out.outcome.health_error).toContain("health_check_failed: server said: bad token");
    expect(out.outcome.health_error).not.toContain(MCP_TOKEN);
    expect(methods()).toEqual(["GET", "POST"]);
  });

  it("a namespace_conflict answer that names an id is a refusal: that id is the holder, never ours", async () => {
    const answer = { data_source_id: "ds_holder", error: "namespace_conflict", detail: "crm is taken" };
    const { client } = await setup(listing([], [], (_n, _req, res) => json(res, 200, answer)));
    const err = await failure(once(client, "sb_1", NS, { policy: FAST }));
    expect(err.code).toBe("COPASS_CONFLICT");
    expect(methods()).toEqual(["GET", "POST"]);
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
      async listSourceIds() {
        calls.push("list");
        return [];
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
  ])("%s: sends the register again without listing again (no namespace)", async (_name, error) => {
    const { api, calls } = fakeApi([error]);
    const out = await once(api, "sb_1", REGISTER, { policy: FAST });
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
      calls: ["list", "register:commit-then-drop", "list"],
    },
    { name: "without an app_namespace", ns: undefined, calls: ["list", "register:commit-then-drop", "list"] },
  ])("commit-then-drop $name leaves exactly one source, the one returned", async ({ ns, calls }) => {
    const sb = newSandbox();
    emulator.faults.inject({ operation: "register", action: { kind: "commit-then-drop" } });
    const out = await once(client, sb, registration(ns ? { app_namespace: ns } : {}), { policy: FAST });
    expect(out.outcome).toMatchObject({ status: "active", name: "crm" });
    expect(ops(sb)).toEqual(calls);
    const { sources } = await client.listSources(sb);
    expect(sources.map((s) => s.data_source_id)).toEqual([out.id]);
  });

  it("keeps listing through server errors to find a committed register (a 500 is not retried elsewhere)", async () => {
    const sb = newSandbox();
    emulator.faults.inject({ operation: "register", action: { kind: "commit-then-drop" } });
    emulator.faults.inject({ operation: "list", action: { kind: "status", status: 500 }, times: 2 });
    // The sandbox is new: an empty snapshot is the truth, and the faults then hit the reconciling list.
    const request = registration({ app_namespace: "crm-list-500" });
    const out = await createOnce(client, sb, request, {
      matches: matching(request),
      snapshot: [],
      policy: FAST,
    });
    expect(ops(sb)).toEqual(["register:commit-then-drop", "list:status", "list:status", "list"]);
    expect((await client.listSources(sb)).sources.map((s) => s.data_source_id)).toEqual([out.id]);
  });

  it("a dropped POST that did not commit is sent again with a namespace, once", async () => {
    const sb = newSandbox();
    emulator.faults.inject({ operation: "register", action: { kind: "drop" } });
    const out = await once(client, sb, registration({ app_namespace: "crm-drop" }), { policy: FAST });
    expect(out.outcome.status).toBe("active");
    expect(ops(sb)).toEqual(["list", "register:drop", "list", "register"]);
    expect((await client.listSources(sb)).sources).toHaveLength(1);
  });

  it("a dropped POST without a namespace is never sent again: it fails as 'may have been created'", async () => {
    const sb = newSandbox();
    emulator.faults.inject({ operation: "register", action: { kind: "drop" } });
    const err = await failure(once(client, sb, registration(), { policy: FAST }));
    expect(err.code).toBe("COPASS_CREATE_UNCERTAIN");
    expect(ops(sb)).toEqual(["list", "register:drop", "list"]);
  });

  it("costs two calls on the happy path, with a namespace or without (the snapshot, then the POST)", async () => {
    const a = newSandbox();
    await once(client, a, registration({ app_namespace: "happy" }));
    expect(ops(a)).toEqual(["list", "register"]);
    const b = newSandbox();
    await once(client, b, registration());
    expect(ops(b)).toEqual(["list", "register"]);
  });

  it("a late commit without a namespace (timeout 1 s, commit at 2.5 s) leaves at most one source", async () => {
    // The POST reaches the emulator, which commits only after the client gave up and listed. The
    // old code then POSTed again: two sources. Now the create fails "may have been created".
    const sb = newSandbox();
    emulator.faults.inject({ operation: "register", action: { kind: "delay", ms: 2_500 } });
    const slow = makeClient({ requestTimeoutMs: 1_000 });
    const err = await failure(once(slow, sb, registration(), { policy: FAST }));
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
    const out = await once(slow, sb, registration({ app_namespace: "slow" }), { policy });
    const { sources } = await client.listSources(sb);
    expect(sources.map((s) => s.data_source_id)).toEqual([out.id]);
  });

  it("reports a conflict with somebody else's source instead of taking it", async () => {
    const sb = newSandbox();
    await client.registerUserMcp(sb, registration({ app_namespace: "taken", name: "billing" }));
    const before = ops(sb).length;
    const err = await failure(once(client, sb, registration({ app_namespace: "taken" })));
    expect(err.code).toBe("COPASS_CONFLICT");
    expect(ops(sb).slice(before)).toEqual(["list", "register"]);
  });

  it("a twin's register answered 502 by a proxy never takes the source another client registered (issue 15 §2)", async () => {
    // Stack A registers "crm"; stack B (same config, its own token) registers it too, and a proxy
    // answers B's POST with a 502 before Copass sees it (the fault answers before the store runs).
    const sb = newSandbox();
    const a = await client.registerUserMcp(sb, registration({ app_namespace: "crm" }));
    emulator.faults.inject({ operation: "register", action: { kind: "status", status: 502 } });
    const before = ops(sb).length;
    const err = await failure(
      once(client, sb, registration({ app_namespace: "crm", token: "mcp_twin_b_token_0f1e" }), {
        policy: FAST,
      }),
    );
    expect(err.code).toBe("COPASS_CONFLICT");
    expect(err.message).toContain(`held by source ${a.data_source_id}`);
    expect(ops(sb).slice(before)).toEqual(["list", "register:status", "list"]);
    expect((await client.listSources(sb)).sources.map((s) => s.data_source_id)).toEqual([a.data_source_id]);
  });
});
