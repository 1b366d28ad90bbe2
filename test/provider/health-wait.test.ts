/**
 * The health wait of create and update when the re-test itself cannot finish (issue 15 §3) and
 * under a zero budget (§4), in-process against the real emulator (its faults make `POST …/test`
 * fail) and a real sample MCP server. API calls come from the emulator's request log.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { diff } from "../../src/provider/diff";
import { provider, resetProviderState, SourceInitError } from "../../src/provider/provider";

type Props = Record<string, unknown>;

const API_KEY = "olk_health_wait_key_31c9e0";
const TOKEN = "tok-HEALTHWAIT-right-8d2f61";
const WRONG = "tok-HEALTHWAIT-wrong-0b7a95";

let emulator: Emulator;
let mcp: SampleMcpServer;
let counter = 0;
let sandbox = "";

beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: [API_KEY], probeTimeoutMs: 2_000 });
  mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
});

afterAll(async () => {
  await mcp?.close();
  await emulator?.close();
});

beforeEach(async () => {
  sandbox = `sb_health_wait_${++counter}`;
  resetProviderState();
  await provider.configure({
    config: { get: (key: string) => ({ "copass:apiUrl": emulator.url, "copass:apiKey": API_KEY })[key] },
  });
  emulator.faults.reset();
  emulator.clearRequestLog();
});

async function checked(patch: Props = {}): Promise<Props> {
  const result = await provider.check(
    {},
    {
      sandboxId: sandbox,
      name: "CRM tools",
      baseUrl: mcp.url,
      authKind: "bearer",
      token: TOKEN,
      appNamespace: `crm_${counter}`,
      healthTimeoutSeconds: 10,
      __provider: "serialized shim text",
      ...patch,
    },
  );
  expect(result.failures).toEqual([]);
  // Check drops `__provider`; the host adds it back to what create and update receive.
  return { ...(result.inputs as Props), __provider: "serialized shim text" };
}

/** A healthy source, as create left it; the request log is cleared after. */
async function healthySource(): Promise<{ id: string; outs: Props }> {
  const { id, outs } = await provider.create(await checked());
  expect((outs as Props).status).toBe("active");
  emulator.clearRequestLog();
  return { id, outs: outs as Props };
}

/** `POST …/test` fails, every time, until the faults are reset. */
function testEndpointFails(action: "503" | "drop"): void {
  emulator.faults.inject({
    operation: "test",
    action: action === "503" ? { kind: "status", status: 503 } : { kind: "drop" },
    times: Infinity,
  });
}

function operations(): string[] {
  return emulator.requestLog().map((e) => e.operation);
}

async function initFailed(promise: Promise<unknown>): Promise<SourceInitError> {
  const error = await promise.then(
    () => new Error("expected a rejection"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceInitError);
  return error as SourceInitError;
}

/** No secret anywhere but under `token`. */
function expectNoSecretOutsideToken(error: SourceInitError): void {
  const { token: _token, ...rest } = error.properties as Props;
  for (const secret of [TOKEN, WRONG, API_KEY]) {
    expect(JSON.stringify(rest)).not.toContain(secret);
    expect(error.message).not.toContain(secret);
  }
}

describe("an update whose re-test was due and did not finish (issue 15 §3)", () => {
  it.each(["503", "drop"] as const)(
    "records status unknown with the reason (test answering %s until the client gives up), never the PATCH's old status",
    async (fault) => {
      // mutation: in provider.update's catch, build the init-failed outputs from the PATCH answer's
      // health again (the code before issue 15) → status "active" here, and the next plan is empty.
      const { id, outs } = await healthySource();
      testEndpointFails(fault);

      // The token changes to one the MCP server rejects; Copass cannot run the test.
      const news = await checked({ token: WRONG });
      const error = await initFailed(provider.update(id, outs, news));

      // The PATCH landed (the emulator's PATCH keeps the old status, "active"), then the test
      // failed on each of the client's attempts.
      const ops = operations();
      expect(ops[0]).toBe("patch");
      expect(ops.slice(1).length).toBeGreaterThan(1);
      expect(ops.slice(1).every((op) => op === "test")).toBe(true);

      const state = error.properties as Props;
      expect(state).toMatchObject({ dataSourceId: id, status: "unknown", token: WRONG });
      expect(state.healthError).toMatch(/^Copass health re-test of source \S+ in sandbox \S+ failed: test: /);
      expect(state.healthError).toBe(error.message);
      expect(state.__provider).toBe("serialized shim text");
      expectNoSecretOutsideToken(error);

      // The next plan re-tests: status unknown is health drift, an update.
      expect(diff(state, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    },
  );
});

describe("a create whose re-test was due and did not finish", () => {
  it("records status unknown with the reason rather than the register's one-shot result", async () => {
    // mutation: in provider.create's catch, throw the init-failed error with the register's health
    // (status "error") → this test fails. Both statuses make the next plan re-test; unknown is
    // the one rule for "a re-test that was due did not finish" on create and update alike.
    testEndpointFails("503");
    const error = await initFailed(provider.create(await checked({ token: WRONG })));
    expect(operations()[0]).toBe("register");
    expect(
      operations()
        .slice(1)
        .every((op) => op === "test"),
    ).toBe(true);
    expect(error.properties).toMatchObject({ status: "unknown", token: WRONG });
    expect(error.properties.healthError).toMatch(/^Copass health re-test of source .* failed: test: /);
    expectNoSecretOutsideToken(error);
  });
});

describe("healthTimeoutSeconds: 0 (issue 15 §4)", () => {
  it("sends exactly one test, never the client's retries of a failing one, and records unknown", async () => {
    // mutation: `singleAttempt = false` in settleHealth (health-wait.ts) → the client retries the
    // 503 (4 attempts) and this count fails.
    const { id, outs } = await healthySource();
    testEndpointFails("503");
    const error = await initFailed(
      provider.update(id, outs, await checked({ token: WRONG, healthTimeoutSeconds: 0 })),
    );
    expect(operations()).toEqual(["patch", "test"]);
    expect(error.properties).toMatchObject({ status: "unknown" });
    expectNoSecretOutsideToken(error);
  });

  it("a healthy update still gets its one test answered", async () => {
    const { id, outs } = await healthySource();
    const { outs: after } = await provider.update(
      id,
      outs,
      await checked({
        name: "renamed",
        healthTimeoutSeconds: 0,
        baseUrl: mcp.url.replace("127.0.0.1", "localhost"),
      }),
    );
    expect(operations()).toEqual(["patch", "test"]);
    expect(after).toMatchObject({ status: "active", healthError: null });
  });
});
