/**
 * Fault injection: pure matching first (no sockets), then each verb over real HTTP, then the admin
 * endpoints that let another process (the CLI's users) inject the same rules.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { sourceRevokedAnswer, type Emulator, type FaultRule } from "../../packages/emulator/src";
import { checkFaultRule, FaultSet, matches } from "../../packages/emulator/src/faults";
import {
  ADMIN_KEY,
  API_KEY,
  ROTATED_TOKEN,
  TOKEN,
  base,
  call,
  countSources,
  registerBody,
  startTestEmulator,
} from "./helpers";

describe("FaultSet matching", () => {
  const req = {
    method: "POST",
    path: "/api/v1/storage/sandboxes/sb/sources/user-mcp",
    operation: "register",
  };

  it.each<[string, Omit<FaultRule, "action">, boolean]>([
    ["an empty rule matches everything", {}, true],
    ["method is case-insensitive", { method: "post" }, true],
    ["another method does not match", { method: "GET" }, false],
    ["operation must be equal", { operation: "register" }, true],
    ["another operation does not match", { operation: "patch" }, false],
    ["pathIncludes is a substring test", { pathIncludes: "/sandboxes/sb/" }, true],
    ["a path it does not include", { pathIncludes: "/sandboxes/other/" }, false],
    ["every condition must hold", { method: "POST", operation: "list" }, false],
  ])("%s", (_name, conditions, expected) => {
    expect(matches({ ...conditions, action: { kind: "drop" } }, req)).toBe(expected);
  });

  it("applies a rule once by default, then falls back to normal handling", () => {
    const set = new FaultSet();
    set.inject({ action: { kind: "drop" } });
    expect(set.take(req)).toEqual({ kind: "drop" });
    expect(set.take(req)).toBeUndefined();
  });

  it("applies the first matching rule in insertion order and counts down its times", () => {
    const set = new FaultSet();
    set.inject({ operation: "list", action: { kind: "drop" } });
    set.inject({ operation: "register", action: { kind: "status", status: 503 }, times: 2 });
    set.inject({ action: { kind: "delay", ms: 5 } });
    expect(set.take(req)?.kind).toBe("status");
    expect(set.take(req)?.kind).toBe("status");
    expect(set.take(req)?.kind).toBe("delay");
    expect(set.take(req)).toBeUndefined();
  });

  it("keeps an Infinity rule until reset", () => {
    const set = new FaultSet();
    set.inject({ action: { kind: "drop" }, times: Infinity });
    for (let i = 0; i < 50; i++) expect(set.take(req)?.kind).toBe("drop");
    set.reset();
    expect(set.take(req)).toBeUndefined();
  });

  it.each([
    [{ action: { kind: "explode" } }, "action.kind must be one of"],
    [{ action: { kind: "status", status: 42 } }, "action.status must be an HTTP status"],
    [{ action: { kind: "delay", ms: Infinity } }, "action.ms must be a finite number"],
    [{ action: { kind: "drop" }, times: 0 }, "times must be a positive integer"],
    [{ action: { kind: "drop" }, method: 5 }, "method must be a string"],
    [
      { action: { kind: "status", status: 500, echoSecrets: "yes" } },
      "action.echoSecrets must be true or false",
    ],
  ])("refuses %j with a message naming the fix", (rule, fragment) => {
    expect(() => checkFaultRule(rule)).toThrow(fragment);
  });

  it('reads times "Infinity" from JSON as until reset', () => {
    expect(checkFaultRule({ action: { kind: "drop" }, times: "Infinity" }).times).toBe(Infinity);
  });
});

describe("faults over HTTP", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterEach(() => {
    emulator.faults.reset();
    emulator.clearRequestLog();
  });
  afterAll(() => emulator.close());

  it("answers 429 with Retry-After and leaves state untouched", async () => {
    const before = await countSources(emulator);
    emulator.faults.inject({
      operation: "register",
      action: { kind: "status", status: 429, retryAfterSeconds: 7 },
    });
    const res = await call(emulator, "POST", `${base()}/user-mcp`, { body: registerBody() });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(res.body).toEqual({ error: "injected_fault", detail: expect.any(String) });
    expect(await countSources(emulator)).toBe(before);
    expect(emulator.requestLog().find((e) => e.operation === "register")).toMatchObject({
      status: 429,
      fault: "status",
    });
  });

  it("answers 503 with a custom body once, then the next request is normal", async () => {
    emulator.faults.inject({
      operation: "list",
      action: { kind: "status", status: 503, body: { detail: "down" } },
    });
    const first = await call(emulator, "GET", base());
    const second = await call(emulator, "GET", base());
    expect([first.status, second.status]).toEqual([503, 200]);
    expect(first.body).toEqual({ detail: "down" });
  });

  it("delays a response by at least the given time", async () => {
    emulator.faults.inject({ operation: "list", action: { kind: "delay", ms: 250 } });
    const started = performance.now();
    const res = await call(emulator, "GET", base());
    const elapsed = performance.now() - started;
    expect(res.status).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(245);
    expect(emulator.requestLog()[0]?.durationMs).toBeGreaterThanOrEqual(245);
    expect(emulator.requestLog()[0]?.fault).toBe("delay");
  });

  it("settled() waits for a request the client gave up on, which is still handled and logged", async () => {
    // The client gives up once the emulator holds the request (it took the delay rule), not after
    // a wall-clock guess: a fixed 20 ms abort could fire before the request arrived on a loaded
    // machine (issue 22), and then nothing was left for settled() to wait for.
    const faults = emulator.faults;
    expect(faults).toBeInstanceOf(FaultSet);
    emulator.faults.inject({ operation: "list", action: { kind: "delay", ms: 2_000 } });
    const controller = new AbortController();
    const aborted = call(emulator, "GET", base(), { signal: controller.signal }).catch(() => "aborted");
    // Polled every ms; the bound is only there to fail with a message rather than at the test's timeout.
    await vi.waitUntil(() => (faults as FaultSet).pending() === 0, { timeout: 20_000, interval: 1 });
    controller.abort();
    expect(await aborted).toBe("aborted");
    // Mutation: resolve settled() at once → the log is still empty here.
    await emulator.settled();
    expect(emulator.requestLog().map((e) => e.operation)).toEqual(["list"]);
  });

  it("drops the connection without answering and without creating the source", async () => {
    const before = await countSources(emulator);
    emulator.faults.inject({ operation: "register", action: { kind: "drop" } });
    await expect(call(emulator, "POST", `${base()}/user-mcp`, { body: registerBody() })).rejects.toThrow();
    expect(await countSources(emulator)).toBe(before);
    expect(emulator.requestLog().find((e) => e.operation === "register")).toMatchObject({
      status: 0,
      fault: "drop",
    });
  });

  it("commits a register and then drops its response, so the source exists although the client saw an error", async () => {
    const before = await countSources(emulator);
    emulator.faults.inject({ operation: "register", action: { kind: "commit-then-drop" } });
    await expect(
      call(emulator, "POST", `${base()}/user-mcp`, { body: registerBody({ name: "lost-response" }) }),
    ).rejects.toThrow();
    const list = await call(emulator, "GET", base());
    expect(list.body.count).toBe(before + 1);
    expect(list.body.sources.some((s: { name: string }) => s.name === "lost-response")).toBe(true);
    expect(emulator.requestLog().find((e) => e.operation === "register")).toMatchObject({
      status: 200,
      fault: "commit-then-drop",
    });
  });

  /*
   * echoSecrets exists so that a leak scan against the emulator can fail (issue 15 §5): every
   * operation's error answer can repeat the API key, and those that carry a token its token.
   */
  it.each([
    ["register", "POST", "/user-mcp", { ...registerBody(), token: TOKEN }, true],
    ["patch", "PATCH", "/ds_any/user-mcp", { token: ROTATED_TOKEN }, true],
    ["test", "POST", "/ds_any/user-mcp/test", undefined, false],
    ["revoke", "POST", "/ds_any/user-mcp/revoke", undefined, false],
    ["get", "GET", "/ds_any", undefined, false],
    ["list", "GET", "", undefined, false],
    ["delete", "DELETE", "/ds_any", undefined, false],
  ])(
    "echoSecrets on %s: the error detail quotes the Authorization header and the body's token",
    async (operation, method, path, body, hasToken) => {
      emulator.faults.inject({ operation, action: { kind: "status", status: 500, echoSecrets: true } });
      const res = await call(emulator, method, `${base()}${path}`, body === undefined ? {} : { body });
      expect(res.status).toBe(500);
      expect(res.body.error).toBe("injected_fault");
      expect(res.body.detail).toContain(`Authorization: Bearer ${API_KEY}`);
      const token = (body as { token?: string } | undefined)?.token;
      if (hasToken) expect(res.body.detail).toContain(`token ${token}`);
      else expect(res.body.detail).not.toContain("token ");
    },
  );

  it("echoSecrets is off by default, and a rule's own body wins", async () => {
    emulator.faults.inject({ operation: "register", action: { kind: "status", status: 502 } });
    emulator.faults.inject({
      operation: "register",
      action: { kind: "status", status: 503, echoSecrets: true, body: { detail: "own" } },
    });
    const plain = await call(emulator, "POST", `${base()}/user-mcp`, { body: registerBody() });
    expect(plain.text).not.toContain(API_KEY);
    expect(plain.text).not.toContain(TOKEN);
    const own = await call(emulator, "POST", `${base()}/user-mcp`, { body: registerBody() });
    expect(own.body).toEqual({ detail: "own" });
  });

  it("sourceRevokedAnswer answers a revoke as the emulator answers a PATCH of a revoked source", async () => {
    const reg = await call(emulator, "POST", `${base()}/user-mcp`, { body: registerBody() });
    const id = reg.body.data_source_id as string;
    await call(emulator, "POST", `${base()}/${id}/user-mcp/revoke`);
    const patched = await call(emulator, "PATCH", `${base()}/${id}/user-mcp`, { body: { name: "x" } });
    emulator.faults.inject({ operation: "revoke", action: sourceRevokedAnswer() });
    const second = await call(emulator, "POST", `${base()}/${id}/user-mcp/revoke`);
    expect([patched.status, second.status]).toEqual([400, 400]);
    expect(second.body).toEqual(patched.body);
    expect(second.body.error).toBe("source_revoked");
  });

  it("applies a fault only to the requests it matches", async () => {
    emulator.faults.inject({ method: "PATCH", action: { kind: "status", status: 500 } });
    expect((await call(emulator, "GET", base())).status).toBe(200);
    expect((await call(emulator, "PATCH", `${base()}/ds_any/user-mcp`, { body: { name: "x" } })).status).toBe(
      500,
    );
  });
});

describe("admin endpoints", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(() => emulator.close());

  const admin = (method: string, path: string, key: string | undefined, body?: unknown) =>
    fetch(`${emulator.url}${path}`, {
      method,
      headers: { "content-type": "application/json", ...(key ? { "x-emulator-admin-key": key } : {}) },
      ...(body === undefined || method === "GET" ? {} : { body: JSON.stringify(body) }),
    });

  it.each([
    ["POST", "/_emulator/faults"],
    ["DELETE", "/_emulator/faults"],
    ["GET", "/_emulator/requests"],
    ["DELETE", "/_emulator/requests"],
  ])("%s %s needs the admin key: 401 without, 403 with a wrong one", async (method, path) => {
    expect((await admin(method, path, undefined, { action: { kind: "drop" } })).status).toBe(401);
    expect((await admin(method, path, "wrong", { action: { kind: "drop" } })).status).toBe(403);
  });

  it("injects a fault over HTTP, lists the request log, then resets both", async () => {
    const injected = await admin("POST", "/_emulator/faults", ADMIN_KEY, {
      operation: "list",
      action: { kind: "status", status: 503 },
      times: 1,
    });
    expect(injected.status).toBe(200);
    expect((await call(emulator, "GET", base())).status).toBe(503);
    const log = (await (await admin("GET", "/_emulator/requests", ADMIN_KEY)).json()) as {
      requests: { operation: string; status: number }[];
    };
    expect(log.requests).toContainEqual(expect.objectContaining({ operation: "list", status: 503 }));

    await admin("POST", "/_emulator/faults", ADMIN_KEY, { action: { kind: "drop" }, times: "Infinity" });
    expect((await admin("DELETE", "/_emulator/faults", ADMIN_KEY)).status).toBe(200);
    expect((await call(emulator, "GET", base())).status).toBe(200);
    expect((await admin("DELETE", "/_emulator/requests", ADMIN_KEY)).status).toBe(200);
    expect(emulator.requestLog()).toHaveLength(0);
  });

  it("refuses an invalid fault rule with 400 invalid_fault", async () => {
    const res = await admin("POST", "/_emulator/faults", ADMIN_KEY, { action: { kind: "nope" } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_fault" });
  });

  it("does not exist at all when no admin key is configured", async () => {
    const plain = await startTestEmulator({ adminKey: undefined });
    try {
      const res = await fetch(`${plain.url}/_emulator/requests`, {
        headers: { "x-emulator-admin-key": "x" },
      });
      expect(res.status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
