/**
 * Where a source lives (src/provider/location.ts, issue 15 §1): the pure rules, then the provider
 * in-process against real emulators — one with two tenants' keys, a second environment, and the
 * first one behind a TCP proxy (the same Copass under another URL). API calls are counted through
 * the emulators' request logs.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import type { DataSource } from "../../src/client/types";
import { ProviderConfigError } from "../../src/provider/config";
import {
  endpointOf,
  judgeListing,
  locationOfCreate,
  placement,
  recordedLocation,
  tenantAfterRead,
} from "../../src/provider/location";
import { provider } from "../../src/provider/provider";
import { configureProvider } from "./fixtures";
import { outOfBand } from "../support/out-of-band";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";

type Props = Record<string, unknown>;

const KEY_A = "olk_LOCATION_tenant_a_61f0c2";
const KEY_B = "olk_LOCATION_tenant_b_9a7d33";
const TOKEN = "tok-LOCATION-3e8b-do-not-leak";
const SECRETS = [KEY_A, KEY_B, TOKEN];

// --- the pure rules ---------------------------------------------------------------------------------

describe("endpointOf", () => {
  it.each([
    ["HTTPS://API.Copass.ID:443/", "https://api.copass.id"],
    ["https://api.copass.id/api/", "https://api.copass.id/api"],
    ["https://api.copass.id:8443/Base//", "https://api.copass.id:8443/Base"],
    ["http://127.0.0.1:8787", "http://127.0.0.1:8787"],
    ["http://[::1]:80", "http://[::1]"],
  ])("%s → %s (scheme and host lowercased, default port and trailing slash dropped)", (raw, normal) => {
    expect(endpointOf(raw)).toBe(normal);
  });

  it("refuses a URL that carries the API key (it would be stored in plain text), without quoting it", () => {
    // mutation: drop the `redact(endpoint, secrets) !== endpoint` check → this test fails.
    const error = (() => {
      try {
        endpointOf(`https://api.copass.id/${KEY_A}`, [KEY_A]);
      } catch (e) {
        return e as Error;
      }
      throw new Error("expected a refusal");
    })();
    expect(error).toBeInstanceOf(ProviderConfigError);
    expect(error.message).toContain("copass:apiKey");
    expect(error.message).not.toContain(KEY_A);
  });
});

describe("placement", () => {
  const at = { apiEndpoint: "https://api.copass.id", tenantId: "usr_a" };

  it.each([
    [
      "unknown (state from before the keys existed)",
      { apiEndpoint: null, tenantId: null },
      "https://ai.copass.id",
      undefined,
      false,
    ],
    ["the recorded endpoint", at, "https://api.copass.id", undefined, false],
    [
      "another endpoint with COPASS_API_URL_MOVED_FROM = the recorded one",
      at,
      "https://ai.copass.id",
      "https://api.copass.id",
      true,
    ],
  ])("allows a call for %s", (_name, recorded, current, movedFrom, moving) => {
    expect(placement(recorded, current, movedFrom)).toEqual({ endpoint: current, recorded, moving });
  });

  it("refuses another endpoint, naming both, the tenant and the two fixes", () => {
    // mutation: `if (at === null || at === current)` → `if (true)` → this test fails.
    expect(() => placement(at, "https://api.copass.id/api")).toThrow(
      /at https:\/\/api\.copass\.id \(tenant usr_a\), but the provider now points at https:\/\/api\.copass\.id\/api\..*set copass:apiUrl or COPASS_API_URL back to https:\/\/api\.copass\.id\..*COPASS_API_URL_MOVED_FROM=https:\/\/api\.copass\.id/,
    );
  });

  it("refuses a move from another endpoint than the recorded one, saying so", () => {
    expect(() => placement(at, "https://ai.copass.id", "https://staging.copass.id")).toThrow(
      "COPASS_API_URL_MOVED_FROM is set to https://staging.copass.id, not to the recorded endpoint",
    );
  });
});

describe("tenants and listings", () => {
  const place = (tenantId: string | null) => placement({ apiEndpoint: null, tenantId }, "https://x.test");

  it.each([
    ["records the row's tenant when none was", null, "usr_a", "usr_a"],
    ["keeps the recorded tenant when the row has none", "usr_a", undefined, "usr_a"],
    ["keeps a matching tenant", "usr_a", "usr_a", "usr_a"],
  ])("%s", (_name, recorded, row, expected) => {
    expect(tenantAfterRead(place(recorded), row, "ds_1")).toBe(expected);
  });

  it("refuses a row of another tenant than the recorded one", () => {
    // mutation: drop the `userId !== recorded` refusal → this test fails.
    expect(() => tenantAfterRead(place("usr_a"), "usr_b", "ds_1")).toThrow(
      "answered source ds_1 for tenant usr_b, but state records tenant usr_a",
    );
  });

  it("takes the tenant from a register answer only when it carries one", () => {
    expect(locationOfCreate("https://x.test", { user_id: "usr_a" })).toEqual({
      apiEndpoint: "https://x.test",
      tenantId: "usr_a",
    });
    expect(locationOfCreate("https://x.test", {}).tenantId).toBeNull();
    expect(recordedLocation({ sandboxId: "sb" })).toEqual({ apiEndpoint: null, tenantId: null });
  });

  const row = (id: string) => ({ data_source_id: id }) as DataSource;
  it.each([
    ["present", { sources: [row("ds_1")], count: 1 }],
    ["gone", { sources: [row("ds_2")], count: 1 }],
    ["gone", { sources: [] }],
    ["incomplete", { sources: [row("ds_2")], count: 2 }],
  ])("judges a listing as %s", (verdict, listing) => {
    expect(judgeListing(listing, "ds_1")).toBe(verdict);
  });
});

// --- the provider against the emulators ----------------------------------------------------------------

let copass: Emulator;
let otherEnv: Emulator;
let proxy: TcpProxy;
let mcp: SampleMcpServer;
let counter = 0;
let sandbox = "";

const asA = outOfBand(() => copass.url, KEY_A);

/** Stack config for the provider; `movedFrom` is copass:apiUrlMovedFrom. */
function configure(apiUrl: string, apiKey: string, movedFrom?: string): Promise<void> {
  return configureProvider(
    apiUrl,
    apiKey,
    movedFrom === undefined ? {} : { "copass:apiUrlMovedFrom": movedFrom },
  );
}

function ops(emulator: Emulator): string[] {
  return emulator.requestLog().map((e) => e.operation);
}

function clearLogs(): void {
  copass.clearRequestLog();
  otherEnv.clearRequestLog();
}

async function created(patch: Props = {}): Promise<{ id: string; outs: Props; inputs: Props }> {
  const check = await provider.check(
    {},
    {
      sandboxId: sandbox,
      name: "CRM tools",
      baseUrl: mcp.url,
      authKind: "bearer",
      token: TOKEN,
      appNamespace: `crm_${counter}`,
      healthTimeoutSeconds: 5,
      ...patch,
    },
  );
  const inputs = check.inputs as Props;
  const { id, outs } = await provider.create(inputs);
  clearLogs();
  return { id, outs: outs as Props, inputs };
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: unknown }> {
  const error = await promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e as Error,
  );
  for (const secret of SECRETS) expect(error.message).not.toContain(secret);
  return error;
}

/** The row as tenant A sees it (a GET: it changes nothing). */
async function rowOf(id: string): Promise<Props> {
  return (await asA("GET", `/${sandbox}/sources/${id}`)).body as Props;
}

/** Whether the source's vault token still opens the MCP server (a re-test, out of band). */
async function stillWorks(id: string): Promise<string> {
  return (await asA("POST", `/${sandbox}/sources/${id}/user-mcp/test`)).body.status as string;
}

/** The row is as it was before the step (active), and its vault token still opens the MCP server. */
async function expectUntouched(id: string, before: Props): Promise<void> {
  expect(await rowOf(id)).toEqual(before);
  expect(before.status).toBe("active");
  expect(await stillWorks(id)).toBe("active");
}

beforeAll(async () => {
  copass = await startEmulator({ apiKeys: [KEY_A, KEY_B], probeTimeoutMs: 2_000 });
  otherEnv = await startEmulator({ apiKeys: [KEY_A], probeTimeoutMs: 2_000 });
  proxy = await startTcpProxy(copass.port);
  mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
});

afterAll(async () => {
  await mcp?.close();
  await proxy?.close();
  await otherEnv?.close();
  await copass?.close();
});

beforeEach(async () => {
  sandbox = `sb_location_${++counter}`;
  await configure(copass.url, KEY_A);
  copass.faults.reset();
  clearLogs();
});

describe("the provider records where a source lives", () => {
  it("create records the endpoint in force and no tenant (no extra call); the first read records the row's tenant", async () => {
    const inputs = (
      await provider.check(
        {},
        {
          sandboxId: sandbox,
          name: "n",
          baseUrl: mcp.url,
          authKind: "bearer",
          token: TOKEN,
          appNamespace: "ns",
        },
      )
    ).inputs as Props;
    const { id, outs } = await provider.create(inputs);
    // Create's own calls (the snapshot listing, the register): recording the location adds none.
    expect(ops(copass)).toEqual(["list", "register"]);
    expect(outs).toMatchObject({ apiEndpoint: copass.url, tenantId: null });
    const row = await rowOf(id);
    clearLogs();
    const read = await provider.read(id, outs as Props);
    expect(ops(copass)).toEqual(["get", "test"]);
    expect(read.props).toMatchObject({ apiEndpoint: copass.url, tenantId: row.user_id });
    expect(row.user_id).toMatch(/^usr_/);
  });

  it("old state without apiEndpoint and tenantId reads fine and records both", async () => {
    const { id, outs } = await created();
    const { apiEndpoint: _e, tenantId: _t, ...old } = outs;
    const read = await provider.read(id, old);
    expect(read.props).toMatchObject({
      status: "active",
      apiEndpoint: copass.url,
      tenantId: expect.stringMatching(/^usr_/),
    });
  });

  it("an update that calls Copass records the endpoint for old state; one without a call keeps what state had", async () => {
    const { id, outs, inputs } = await created();
    const { apiEndpoint: _e, tenantId: _t, ...old } = outs;
    const renamed = await provider.update(id, old, { ...inputs, name: "Renamed" });
    expect(ops(copass)).toEqual(["patch"]);
    expect(renamed.outs).toMatchObject({ apiEndpoint: copass.url, tenantId: null });
    clearLogs();
    // mutation: build the no-call update's outputs with { apiEndpoint: null, tenantId: null } → this fails.
    const recorded = { ...outs, tenantId: "usr_recorded" };
    const policy = await provider.update(id, recorded, { ...inputs, healthPolicy: "warn" });
    expect(ops(copass)).toEqual([]);
    expect(policy.outs).toMatchObject({ apiEndpoint: copass.url, tenantId: "usr_recorded" });
  });
});

describe("another environment's URL", () => {
  it.each([
    ["a second Copass", () => otherEnv.url],
    ["the same host with an extra /api path", () => `${copass.url}/api`],
  ])("%s: read, update and delete refuse before any call, naming both endpoints", async (_name, url) => {
    const { id, outs, inputs } = await created();
    const before = await rowOf(id);
    clearLogs();
    await configure(url(), KEY_A);
    const current = url();
    for (const step of [
      provider.read(id, outs),
      provider.update(id, outs, { ...inputs, name: "Renamed" }),
      provider.delete(id, outs),
    ]) {
      // mutation: `placement` always allowing the call → refresh reads `{ id: "" }`, this fails.
      const error = await rejection(step);
      expect(error.code).toBe("COPASS_ELSEWHERE");
      expect(error.message).toContain(
        `state records this source at ${copass.url}, but the provider now points at ${current}`,
      );
      expect(error.message).toContain(`set copass:apiUrl or COPASS_API_URL back to ${copass.url}`);
    }
    expect([...ops(copass), ...ops(otherEnv)]).toEqual([]);
    await expectUntouched(id, before);
  });
});

describe("another tenant's key", () => {
  it("read and delete confirm the 404 by listing, find the sandbox invisible, fail naming it, change nothing", async () => {
    const { id, outs } = await created();
    const tenant = (await provider.read(id, outs)).props as Props;
    const before = await rowOf(id);
    clearLogs();
    await configure(copass.url, KEY_B);
    // mutation: read's `await confirmGone(…)` removed → refresh reads `{ id: "" }`, this fails.
    const read = await rejection(provider.read(id, tenant));
    expect(ops(copass)).toEqual(["get", "list"]);
    clearLogs();
    // mutation: delete's `return confirmGone(…)` → `return` → destroy succeeds, this fails.
    const del = await rejection(provider.delete(id, { ...tenant, deletionPolicy: "delete" }));
    expect(ops(copass)).toEqual(["revoke", "list"]);
    for (const error of [read, del]) {
      // mutation: confirmGone passing the listing's 404 on as it is (no sandboxNotVisible) → this fails.
      expect(error.code).toBe("COPASS_SANDBOX_NOT_VISIBLE");
      expect(error.message).toContain(`sandbox ${sandbox} is not visible with this API key at ${copass.url}`);
      expect(error.message).toContain(`State records the source for tenant ${String(tenant.tenantId)}`);
      expect(error.message).toContain("`pulumi state delete <urn>`");
    }
    await expectUntouched(id, before);
  });
});

describe("a 404 the listing contradicts", () => {
  it("is not gone: read fails saying Copass answered inconsistently, and nothing changes", async () => {
    const { id, outs } = await created();
    copass.faults.inject({
      operation: "get",
      action: { kind: "status", status: 404, body: { error: "not_found", detail: "source not found" } },
    });
    // mutation: judgeListing answering "gone" for a listed source → read returns `{ id: "" }`, this fails.
    const error = await rejection(provider.read(id, outs));
    expect(error.code).toBe("COPASS_INCONSISTENT");
    expect(error.message).toContain("Copass answered inconsistently");
    expect(ops(copass)).toEqual(["get", "list"]);
  });

  it("deletionPolicy delete: a DELETE answered 404 while the listing shows the row fails, not done", async () => {
    const { id, outs } = await created({ deletionPolicy: "delete" });
    copass.faults.inject({
      operation: "delete",
      action: { kind: "status", status: 404, body: { error: "not_found", detail: "source not found" } },
    });
    // mutation: delete's `await confirmGone("delete", …)` after the DELETE removed → destroy succeeds, this fails.
    const error = await rejection(provider.delete(id, outs));
    expect(error.code).toBe("COPASS_INCONSISTENT");
    expect(ops(copass)).toEqual(["revoke", "delete", "list"]);
    expect((await rowOf(id)).status).toBe("disconnected");
  });
});

describe("a 404 the listing cannot confirm (issue 22)", () => {
  const notFound = {
    kind: "status",
    status: 404,
    body: { error: "not_found", detail: "source not found" },
  } as const;
  // 503 (retried) until the client's retries are spent (4 attempts), or 404 for the sandbox itself.
  const listingFails = [
    ["answers 503 until the retries are spent", { kind: "status", status: 503 }, "COPASS_SERVER", 4],
    ["answers 404 for the sandbox", notFound, "COPASS_SANDBOX_NOT_VISIBLE", 1],
  ] as const;

  /** The listing fails `times` times, every time: a listing that then succeeded would prove something. */
  function failListing(action: (typeof listingFails)[number][1]): void {
    copass.faults.inject({ operation: "list", action, times: Infinity });
  }

  it.each(listingFails)(
    'read whose GET answers 404 and whose listing %s throws, never returns id ""',
    async (_case, action, code, lists) => {
      const { id, outs } = await created();
      const before = await rowOf(id);
      clearLogs();
      copass.faults.inject({ operation: "get", action: notFound });
      failListing(action);
      // mutation: confirmGone's catch returns instead of throwing (the listing error swallowed) →
      // read resolves with { id: "" } and the engine drops the source from state → this fails.
      const error = await rejection(provider.read(id, outs));
      expect(error.code).toBe(code);
      expect(error.message).toContain(`Copass read of source ${id} in sandbox ${sandbox} failed`);
      expect(ops(copass)).toEqual(["get", ...Array<string>(lists).fill("list")]);
      copass.faults.reset();
      await expectUntouched(id, before);
    },
  );

  it.each(listingFails)(
    "delete whose revoke answers 404 and whose listing %s throws, not done",
    async (_case, action, code, lists) => {
      const { id, outs } = await created();
      copass.faults.inject({ operation: "revoke", action: notFound });
      failListing(action);
      // mutation: confirmGone's catch returns instead of throwing → destroy "succeeds" while the
      // source stays active, token and all → this fails.
      const error = await rejection(provider.delete(id, outs));
      expect(error.code).toBe(code);
      expect(error.message).toContain(`Copass delete (revoke) of source ${id} in sandbox ${sandbox} failed`);
      expect(ops(copass)).toEqual(["revoke", ...Array<string>(lists).fill("list")]);
      copass.faults.reset();
      expect((await rowOf(id)).status).toBe("active");
    },
  );

  it.each(listingFails)(
    "deletionPolicy delete: a DELETE answered 404 whose listing %s throws, not done",
    async (_case, action, code, lists) => {
      const { id, outs } = await created({ deletionPolicy: "delete" });
      copass.faults.inject({ operation: "delete", action: notFound });
      failListing(action);
      const error = await rejection(provider.delete(id, outs));
      expect(error.code).toBe(code);
      expect(ops(copass)).toEqual(["revoke", "delete", ...Array<string>(lists).fill("list")]);
      copass.faults.reset();
      expect((await rowOf(id)).status).toBe("disconnected");
    },
  );
});

describe("a deliberate move (COPASS_API_URL_MOVED_FROM)", () => {
  it("the same Copass behind another URL: refused without it; with it, read finds the source and records the new endpoint", async () => {
    const { id, outs } = await created();
    await configure(proxy.url, KEY_A);
    expect((await rejection(provider.read(id, outs))).code).toBe("COPASS_ELSEWHERE");
    await configure(proxy.url, KEY_A, copass.url);
    const moved = (await provider.read(id, outs)).props as Props;
    expect(moved).toMatchObject({ status: "active", apiEndpoint: proxy.url });
    // From now on the new endpoint is the recorded one: no setting needed, and the old one is refused.
    await configure(proxy.url, KEY_A);
    expect((await provider.read(id, moved)).props).toMatchObject({ apiEndpoint: proxy.url });
    await configure(copass.url, KEY_A);
    expect((await rejection(provider.read(id, moved))).code).toBe("COPASS_ELSEWHERE");
  });

  it("a move to where the source is not never reads it as gone", async () => {
    const { id, outs } = await created();
    await configure(otherEnv.url, KEY_A, copass.url);
    // mutation: drop the `place.moving` refusal in notProvenGone → read returns `{ id: "" }`, this fails.
    const error = await rejection(provider.read(id, outs));
    expect(error.message).toContain("a move must find every source at the new endpoint");
    expect(ops(otherEnv)).toEqual(["get", "list"]);
    expect(await stillWorks(id)).toBe("active");
  });
});

describe("a recorded tenant other than the row's", () => {
  it("read refuses after the GET, before the health re-test (a write)", async () => {
    const { id, outs } = await created();
    const error = await rejection(provider.read(id, { ...outs, tenantId: "usr_someone_else" }));
    expect(error.code).toBe("COPASS_TENANT");
    expect(ops(copass)).toEqual(["get"]);
  });
});

describe("an apiUrl that carries the API key", () => {
  it("is refused before any call, and the key is in no message", async () => {
    await configure(`${copass.url}/${KEY_A}`, KEY_A);
    const inputs = (
      await provider.check(
        {},
        { sandboxId: sandbox, name: "n", baseUrl: mcp.url, authKind: "bearer", token: TOKEN },
      )
    ).inputs as Props;
    const error = await rejection(provider.create(inputs));
    expect(error.message).toContain("contains a credential");
    expect(ops(copass)).toEqual([]);
  });
});
