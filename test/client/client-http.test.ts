import { afterEach, describe, expect, it } from "vitest";
import { CopassClient } from "../../src/client/client";
import type { AttemptEvent, CopassClientOptions } from "../../src/client/api";
import { CopassConfigError } from "../../src/client/errors";
import { failure } from "./failure";
import { drop, json, scriptedServer, type Script, type ScriptedServer } from "./scripted-server";

const API_KEY = "olk_test_key_1234567890";
const MCP_TOKEN = "mcp_token_abcdef123456";
const ENC_TOKEN = "enc_token_zyxwvu987654";
const SOURCE = {
  data_source_id: "ds_1",
  provider: "user_mcp",
  name: "crm",
  status: "active",
  adapter_config: { base_url: "https://mcp.example.com/mcp", app_namespace: "crm" },
};
const OUTCOME = { data_source_id: "ds_1", status: "active", name: "crm", ingestion_mode: "user_mcp" };
const REGISTER = {
  name: "crm",
  base_url: "https://mcp.example.com/mcp",
  auth_kind: "bearer" as const,
  token: MCP_TOKEN,
};

let server: ScriptedServer | undefined;
let client: CopassClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
});

/** Starts a scripted server and a client on it that records every retry decision. */
async function setup(script: Script, options: Partial<CopassClientOptions> = {}) {
  server = await scriptedServer(script);
  const events: AttemptEvent[] = [];
  client = new CopassClient({
    apiUrl: server.url,
    apiKey: API_KEY,
    encryptionToken: ENC_TOKEN,
    retry: { minDelayMs: 20, maxDelayMs: 2_000 },
    onAttempt: (e) => events.push(e),
    ...options,
  });
  return { server, client, events };
}

describe("CopassClient over HTTP (scripted server)", () => {
  it("sends the key, encryption token and JSON body, with ids path-encoded", async () => {
    const { server, client } = await setup((_n, req, res) =>
      req.method === "PATCH" ? json(res, 200, OUTCOME) : json(res, 200, { sources: [SOURCE], count: 1 }),
    );
    await client.patchUserMcp("sb/1", "ds 1?", { name: "crm2" });
    await client.listSources("sb 1", { provider: "user_mcp" });
    const [patch, list] = server.seen;
    expect(patch!.url).toBe("/api/v1/storage/sandboxes/sb%2F1/sources/ds%201%3F/user-mcp");
    expect(patch!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(patch!.headers["content-type"]).toBe("application/json");
    expect(patch!.headers["x-encryption-token"]).toBe(ENC_TOKEN);
    expect(JSON.parse(patch!.body)).toEqual({ name: "crm2" });
    expect(list!.url).toBe("/api/v1/storage/sandboxes/sb%201/sources?provider=user_mcp");
    expect(list!.headers["content-type"]).toBeUndefined();
  });

  it("reuses keep-alive connections instead of opening one per request", async () => {
    const { server, client } = await setup((_n, _req, res) => json(res, 200, SOURCE));
    for (let i = 0; i < 10; i++) await client.getSource("sb_1", "ds_1");
    // undici's pool may open a second socket while the first is being released; never ten.
    expect(new Set(server.seen.map((r) => r.remotePort)).size).toBeLessThanOrEqual(2);
  });

  it("honours 429 Retry-After (waits at least the hint) and then succeeds", async () => {
    const { server, client, events } = await setup((n, _req, res) =>
      n === 1
        ? json(res, 429, { error: "rate_limited", detail: "slow down" }, { "retry-after": "1" })
        : json(res, 200, SOURCE),
    );
    const t0 = performance.now();
    const source = await client.getSource("sb_1", "ds_1");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1_000);
    expect(source.data_source_id).toBe("ds_1");
    expect(server.seen).toHaveLength(2);
    expect(events).toEqual([
      {
        operation: "get",
        attempt: 1,
        failure: { kind: "status", status: 429 },
        decision: { retry: true, delayMs: 1_000 },
      },
    ]);
  });

  it("retries a 503 then succeeds", async () => {
    const { server, client, events } = await setup((n, _req, res) =>
      n < 3 ? json(res, 503, { error: "unavailable" }) : json(res, 200, OUTCOME),
    );
    await expect(client.testUserMcp("sb_1", "ds_1")).resolves.toMatchObject({ status: "active" });
    expect(server.seen.map((r) => r.method)).toEqual(["POST", "POST", "POST"]);
    expect(events.map((e) => [e.attempt, e.decision.retry])).toEqual([
      [1, true],
      [2, true],
    ]);
  });

  it("retries PATCH after a dropped connection and GET after a 502, resending the same body", async () => {
    const { server, client } = await setup((n, req, res) => {
      if (n === 1) return drop(res);
      if (n === 3) return json(res, 502, {});
      return json(res, 200, req.method === "GET" ? SOURCE : OUTCOME);
    });
    await client.patchUserMcp("sb_1", "ds_1", { name: "crm2", token: MCP_TOKEN });
    await client.getSource("sb_1", "ds_1");
    expect(server.seen.map((r) => r.method)).toEqual(["PATCH", "PATCH", "GET", "GET"]);
    expect(server.seen[1]!.body).toBe(server.seen[0]!.body);
  });

  it("gives up after maxAttempts with the last status, detail and attempt count", async () => {
    const { server, client, events } = await setup(
      (_n, _req, res) => json(res, 503, { error: "down", detail: "maintenance" }),
      {
        retry: { maxAttempts: 3, minDelayMs: 5, maxDelayMs: 50 },
      },
    );
    const err = await failure(client.revokeUserMcp("sb_1", "ds_1"));
    expect(err.code).toBe("COPASS_SERVER");
    expect(err.message).toBe("Copass revoke failed: HTTP 503 down: maintenance (after 3 attempts)");
    expect(err.attempts).toBe(3);
    expect(server.seen).toHaveLength(3);
    expect(events.at(-1)?.decision).toEqual({ retry: false, reason: "attempts exhausted" });
  });

  it("never retries a register POST on 503 (exactly one request)", async () => {
    const { server, client, events } = await setup((_n, _req, res) =>
      json(res, 503, { error: "unavailable" }),
    );
    const err = await failure(client.registerUserMcp("sb_1", REGISTER));
    expect(err.code).toBe("COPASS_SERVER");
    expect(server.seen).toHaveLength(1);
    expect(events).toHaveLength(1);
    expect(events[0]!.decision.retry).toBe(false);
  });

  it("never retries a register POST whose connection dropped (exactly one request)", async () => {
    const { server, client } = await setup((_n, _req, res) => drop(res));
    const err = await failure(client.registerUserMcp("sb_1", REGISTER));
    expect(err.code).toBe("COPASS_NETWORK");
    expect(server.seen).toHaveLength(1);
  });

  it("sends a test asked for a single attempt once, on a 503 or a drop, and tells onAttempt why", async () => {
    // mutation: ignore `spec.singleAttempt` in #send's `repeatable` (client.ts) → the retry
    // interceptor sends the test up to 4 times and both counts fail.
    for (const answer of ["503", "drop"] as const) {
      const { server, client, events } = await setup((_n, _req, res) =>
        answer === "503" ? json(res, 503, { error: "unavailable" }) : drop(res),
      );
      const err = await failure(client.testUserMcp("sb_1", "ds_1", { singleAttempt: true }));
      expect(err.code).toBe(answer === "503" ? "COPASS_SERVER" : "COPASS_NETWORK");
      expect(server.seen).toHaveLength(1);
      expect(events).toEqual([
        expect.objectContaining({
          operation: "test",
          attempt: 1,
          decision: { retry: false, reason: "the caller asked for a single attempt" },
        }),
      ]);
      await client.close();
      await server.close();
    }
  });

  it("turns a missing answer into CopassTimeoutError within bounds", async () => {
    const { client } = await setup(() => undefined /* never answers */, {
      requestTimeoutMs: 300,
      retry: { maxAttempts: 1 },
    });
    const t0 = performance.now();
    const err = await failure(client.getSource("sb_1", "ds_1"));
    const elapsed = performance.now() - t0;
    expect(err.code).toBe("COPASS_TIMEOUT");
    expect(err.message).toContain("no response within 300 ms");
    // undici's timers tick about once a second, so a 300 ms timeout fires within ~1.5 s.
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3_000);
  });

  it("retries a GET that timed out", async () => {
    const { server, client } = await setup((n, _req, res) => (n === 1 ? undefined : json(res, 200, SOURCE)), {
      requestTimeoutMs: 300,
    });
    await expect(client.getSource("sb_1", "ds_1")).resolves.toMatchObject({ data_source_id: "ds_1" });
    expect(server.seen).toHaveLength(2);
  });

  it.each([
    { status: 400, body: { error: "invalid_base_url", detail: "must be https" }, code: "COPASS_VALIDATION" },
    { status: 400, body: { error: "namespace_conflict", detail: "taken" }, code: "COPASS_CONFLICT" },
    {
      status: 422,
      body: { detail: [{ loc: ["body", "name"], msg: "Field required" }] },
      code: "COPASS_VALIDATION",
    },
    { status: 401, body: { error: "unauthorized" }, code: "COPASS_AUTH" },
    { status: 403, body: { error: "forbidden" }, code: "COPASS_AUTH" },
    { status: 404, body: { error: "not_found" }, code: "COPASS_NOT_FOUND" },
    { status: 409, body: { error: "conflict" }, code: "COPASS_CONFLICT" },
    { status: 500, body: "<html>oops</html>", code: "COPASS_SERVER" },
  ])("maps HTTP $status $body.error to $code without retrying", async ({ status, body, code }) => {
    const { server, client } = await setup((_n, _req, res) =>
      typeof body === "string" ? (res.writeHead(status), res.end(body)) : json(res, status, body),
    );
    const err = await failure(client.patchUserMcp("sb_1", "ds_1", { name: "x" }));
    expect(err.code).toBe(code);
    expect(err.status).toBe(status);
    expect(err.message).toMatch(new RegExp(`^Copass patch failed: HTTP ${status}`));
    expect(server.seen).toHaveLength(1);
  });

  it("reports a FastAPI 422 detail list readably", async () => {
    const { client } = await setup((_n, _req, res) =>
      json(res, 422, { detail: [{ loc: ["body", "name"], msg: "Field required" }] }),
    );
    const err = await failure(client.registerUserMcp("sb_1", REGISTER));
    expect(err.message).toBe("Copass register failed: HTTP 422 body.name: Field required");
  });

  it("keeps the Retry-After hint on a rate-limit error once retries run out", async () => {
    const { client } = await setup(
      (_n, _req, res) => json(res, 429, { error: "rate_limited" }, { "retry-after": "0" }),
      {
        retry: { maxAttempts: 2 },
      },
    );
    const err = await failure(client.listSources("sb_1"));
    expect(err.code).toBe("COPASS_RATE_LIMITED");
    expect(err.retryAfterMs).toBe(0);
    expect(err.attempts).toBe(2);
  });

  it("reads a register 2xx with both `error` and a data_source_id as a created, unhealthy source", async () => {
    const { client } = await setup((_n, _req, res) =>
      json(res, 200, {
        data_source_id: "ds_9",
        status: "error",
        error: "health_check_failed",
        detail: "401",
      }),
    );
    const out = await client.registerUserMcp("sb_1", REGISTER);
    expect(out).toMatchObject({
      data_source_id: "ds_9",
      status: "error",
      health_error: "health_check_failed: 401",
    });
  });

  it("treats a 2xx outcome with `error` set as a refusal", async () => {
    const { client } = await setup((_n, _req, res) =>
      json(res, 200, { data_source_id: null, error: "namespace_conflict", detail: "crm is taken" }),
    );
    const err = await failure(client.registerUserMcp("sb_1", REGISTER));
    expect(err.code).toBe("COPASS_CONFLICT");
    expect(err.message).toBe("Copass register failed: namespace_conflict: crm is taken");
  });

  it.each([
    { name: "not JSON", body: "not json" },
    { name: "a list without sources", body: JSON.stringify({ items: [] }) },
    { name: "a source without an id", body: JSON.stringify({ sources: [{ name: "x" }] }) },
  ])("refuses a 2xx with $name as CopassBadResponseError", async ({ body }) => {
    const { client } = await setup((_n, _req, res) => (res.writeHead(200), res.end(body)));
    const err = await failure(client.listSources("sb_1"));
    expect(err.code).toBe("COPASS_BAD_RESPONSE");
    // The ids-only read (create's snapshot) validates what it reads just as well.
    // mutation: sourceIdListSchema's data_source_id → z.string().optional() → "a source without an id" fails.
    const idsErr = await failure(client.listSourceIds("sb_1"));
    expect(idsErr.code).toBe("COPASS_BAD_RESPONSE");
  });

  it("tolerates extra keys and unknown statuses", async () => {
    const { client } = await setup((_n, _req, res) =>
      json(res, 200, {
        sources: [{ ...SOURCE, status: "hibernating", shiny_new_field: 1 }],
        count: 1,
        cursor: null,
      }),
    );
    const list = await client.listSources("sb_1");
    expect(list.sources[0]).toMatchObject({ status: "hibernating", shiny_new_field: 1 });
  });

  it("never puts the API key or tokens in an error, even when the server echoes them", async () => {
    const echo = `key ${API_KEY} token ${MCP_TOKEN} enc ${ENC_TOKEN}`;
    const { client } = await setup((n, _req, res) => {
      if (n === 1) return json(res, 400, { error: `bad_${API_KEY}`, detail: echo });
      if (n === 2) return json(res, 200, { error: "invalid", detail: echo });
      return drop(res);
    });
    const errors = [
      await failure(client.registerUserMcp("sb_1", REGISTER)),
      await failure(client.registerUserMcp("sb_1", REGISTER)),
      await failure(client.registerUserMcp("sb_1", REGISTER)),
    ];
    for (const err of errors) {
      const everything = JSON.stringify({
        ...err,
        message: err.message,
        stack: err.stack,
        cause: String(err.cause),
      });
      for (const secret of [API_KEY, MCP_TOKEN, ENC_TOKEN]) expect(everything).not.toContain(secret);
    }
    expect(errors[0]!.detail).toBe("key [redacted] token [redacted] enc [redacted]");
  });

  it.each([
    { apiUrl: "http://api.copass.id", fragment: "plain http to a non-loopback host" },
    { apiUrl: "http://10.0.0.5:8080", fragment: "plain http to a non-loopback host" },
    { apiUrl: "http://localhost.evil.com", fragment: "plain http to a non-loopback host" },
    { apiUrl: "ftp://api.copass.id", fragment: "must use https" },
    { apiUrl: "api.copass.id", fragment: "not an absolute URL" },
    { apiUrl: "https://user:pw@api.copass.id", fragment: "must not contain credentials" },
  ])("refuses apiUrl $apiUrl before any request", async ({ apiUrl, fragment }) => {
    server = await scriptedServer((_n, _req, res) => json(res, 200, SOURCE));
    expect(() => new CopassClient({ apiUrl, apiKey: API_KEY })).toThrow(CopassConfigError);
    expect(() => new CopassClient({ apiUrl, apiKey: API_KEY })).toThrow(fragment);
    expect(server.seen).toHaveLength(0);
  });

  it.each([
    "https://api.copass.id",
    "http://localhost:8080",
    "http://127.1.2.3",
    "http://[::1]:9000/prefix/",
  ])("accepts apiUrl %s", (apiUrl) => {
    expect(() => new CopassClient({ apiUrl, apiKey: API_KEY })).not.toThrow();
  });

  it("keeps an apiUrl path prefix and drops its trailing slash", async () => {
    server = await scriptedServer((_n, _req, res) => json(res, 200, SOURCE));
    client = new CopassClient({ apiUrl: `${server.url}/copass/`, apiKey: API_KEY });
    await client.getSource("sb_1", "ds_1");
    expect(server.seen[0]!.url).toBe("/copass/api/v1/storage/sandboxes/sb_1/sources/ds_1");
  });

  it("never follows a redirect (the key would go wherever Location points)", async () => {
    const elsewhere = await scriptedServer((_n, _req, res) => json(res, 200, SOURCE));
    try {
      const { server, client } = await setup((_n, _req, res) => {
        res.writeHead(307, { location: `${elsewhere.url}/api/v1/storage/sandboxes/sb_1/sources/ds_1` });
        res.end();
      });
      const err = await failure(client.getSource("sb_1", "ds_1"));
      expect(err).toMatchObject({ code: "COPASS_HTTP", status: 307 });
      expect(server.seen).toHaveLength(1);
      expect(elsewhere.seen).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it("refuses an empty API key, naming both ways to set it", () => {
    expect(() => new CopassClient({ apiUrl: "https://api.copass.id", apiKey: "" })).toThrow(
      /copass:apiKey.*COPASS_API_KEY/,
    );
  });
});

describe("a call with a deadline (AbortSignal)", () => {
  it("ends a slow answer at the deadline, not at the request timeout", async () => {
    const { client } = await setup((_n, _req, res) => {
      setTimeout(() => json(res, 200, OUTCOME), 5_000).unref();
    });
    const started = Date.now();
    const err = await failure(client.testUserMcp("sb_1", "ds_1", { signal: AbortSignal.timeout(300) }));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err.code).toBe("COPASS_TIMEOUT");
    expect(err.message).toContain("deadline");
  });

  it("covers the retries and the waits between them: a deadline inside a backoff ends the call", async () => {
    // 503 asks for a retry after 3 s; the deadline (400 ms) falls inside that wait.
    const { server, client } = await setup((_n, _req, res) => json(res, 503, {}, { "retry-after": "3" }), {
      retry: { minDelayMs: 20, maxDelayMs: 5_000 },
    });
    const started = Date.now();
    const err = await failure(client.testUserMcp("sb_1", "ds_1", { signal: AbortSignal.timeout(400) }));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err.code).toBe("COPASS_TIMEOUT");
    expect(server.seen).toHaveLength(1);
  });
});
