/**
 * "I cannot see it" is never "it is gone" (issue 15 §1), through Pulumi's real dynamic-provider host
 * over gRPC, real emulators and a real MCP server:
 *
 * - refresh and destroy with another environment's URL (a second Copass; the first one's URL with
 *   an extra `/api`) fail before any API call, naming both endpoints and the fix;
 * - refresh and destroy with another tenant's valid key fail naming the sandbox that key cannot see;
 * - the issue's reproduction: credentials in the environment (as examples/gitops sets them), the
 *   URL switched to another Copass between up and refresh;
 * - a deliberate move (the same Copass behind a proxy, COPASS_API_URL_MOVED_FROM) records the new
 *   endpoint;
 * - in every case state is kept, the Copass row is unchanged and its vault token still opens the MCP
 *   server; a source revoked and deleted out of band still reads as gone; old state without the two
 *   new outputs reads fine and records them. Then a leak scan over every message, state and host
 *   output for both tenants' keys and the token.
 *
 * A "stack" is the state the engine keeps (test/support/engine.ts).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { destroy, refresh, up, type State } from "../support/engine";
import { outOfBand, type Json } from "../support/out-of-band";
import { HostError, secret, startHost, type Host, type Props } from "../support/pulumi-host";
import { secretLeaks } from "../support/leaks";
import { startTcpProxy } from "../support/tcp-proxy";

const KEY_A = "olk_TRUSTLOC_tenant_a_0b5e91";
const KEY_B = "olk_TRUSTLOC_tenant_b_7c2d48";
const TOKEN = "tok_TRUSTLOC_mcp_4a19f6";

const consumer = inject("copassConsumerA");

/** The Copass the stack uses; tenants A and B each have a key. */
let copass: Emulator;
/** Another Copass environment, where tenant A has a key too. */
let otherEnv: Emulator;
let mcp: SampleMcpServer;
let host: Host;
const extraHosts: Host[] = [];
const seenErrors: string[] = [];
const seenStates: State[] = [];
let counter = 0;

const asA = outOfBand(() => copass.url, KEY_A);

function program(sandboxId: string): Props {
  return {
    sandboxId,
    name: "CRM tools",
    baseUrl: mcp.url,
    authKind: "bearer",
    token: TOKEN,
    appNamespace: "crm",
  };
}

/**
 * A host configured with this stack config. The host configures a provider once, when it first
 * loads it (cmd/dynamic-provider's providerCache), so each other configuration needs its own host.
 */
async function hostWith(apiUrl: string, apiKey: string): Promise<Host> {
  const h = await startHost(consumer, { providerText: host.providerText });
  extraHosts.push(h);
  await h.configure({ "copass:apiUrl": apiUrl, "copass:apiKey": secret(apiKey) });
  return h;
}

function ops(emulator: Emulator, from = 0): string[] {
  return emulator
    .requestLog()
    .slice(from)
    .map((e) => e.operation);
}

/** A stack with one healthy source, refreshed once (so its tenant is recorded). */
async function stack(): Promise<{ sb: string; state: State }> {
  const sb = `sb_trust_${++counter}`;
  const created = (await up(host, undefined, program(sb))).state;
  const state = (await refresh(host, created))!;
  seenStates.push(created, state);
  return { sb, state };
}

/** What tenant A's Copass holds for the source: the row (a GET changes nothing). */
async function row(sb: string, id: string): Promise<Json> {
  return (await asA("GET", `/${sb}/sources/${id}`)).body;
}

/** The vault token still opens the MCP server: an out-of-band re-test answers active. */
async function tokenWorks(sb: string, id: string): Promise<boolean> {
  return (await asA("POST", `/${sb}/sources/${id}/user-mcp/test`)).body.status === "active";
}

/** The gRPC error a step failed with (refresh and destroy must fail, never "succeed" quietly). */
async function failureOf(step: Promise<unknown>): Promise<string> {
  const error = await step.then(
    () => {
      throw new Error("expected the step to fail, it succeeded");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HostError);
  const details = (error as HostError).details;
  seenErrors.push(details);
  return details;
}

beforeAll(async () => {
  copass = await startEmulator({ apiKeys: [KEY_A, KEY_B] });
  otherEnv = await startEmulator({ apiKeys: [KEY_A] });
  mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
  host = await startHost(consumer);
  await host.configure({ "copass:apiUrl": copass.url, "copass:apiKey": secret(KEY_A) });
});

afterAll(async () => {
  for (const h of extraHosts) await h.kill();
  await host?.kill();
  await mcp?.close();
  await otherEnv?.close();
  await copass?.close();
});

describe("another environment's URL", () => {
  it.each([
    ["a second Copass", () => otherEnv.url],
    ["the same Copass's URL with an extra /api path", () => `${copass.url}/api`],
  ])("%s: refresh and destroy fail before any call; state, row and vault unchanged", async (_name, url) => {
    const { sb, state } = await stack();
    expect(state.outputs).toMatchObject({
      apiEndpoint: copass.url,
      tenantId: expect.stringMatching(/^usr_/),
    });
    const before = await row(sb, state.id);
    const [fromA, fromB] = [copass.requestLog().length, otherEnv.requestLog().length];

    const elsewhere = await hostWith(url(), KEY_A);
    // mutation: `placement` always allowing the call → refresh reads the source as gone (no error),
    // and destroy "succeeds" at the other environment → this test fails.
    for (const message of [
      await failureOf(refresh(elsewhere, state)),
      await failureOf(destroy(elsewhere, state)),
    ]) {
      expect(message).toContain(
        `state records this source at ${copass.url} (tenant ${String(state.outputs.tenantId)})`,
      );
      expect(message).toContain(`but the provider now points at ${url()}`);
      expect(message).toContain(`set copass:apiUrl or COPASS_API_URL back to ${copass.url}`);
      expect(message).toContain(`COPASS_API_URL_MOVED_FROM=${copass.url}`);
    }
    // Not one API call at either Copass; the row is as it was, its token still works.
    expect(ops(copass, fromA)).toEqual([]);
    expect(ops(otherEnv, fromB)).toEqual([]);
    expect(await row(sb, state.id)).toEqual(before);
    expect(before.status).toBe("active");
    expect(await tokenWorks(sb, state.id)).toBe(true);

    // The fix the message names works: the URL set back, the same state refreshes and destroys.
    expect((await refresh(host, state))?.outputs).toMatchObject({
      status: "active",
      apiEndpoint: copass.url,
    });
    await destroy(host, state);
    expect((await row(sb, state.id)).status).toBe("disconnected");
  });

  it("the issue's reproduction: credentials in the environment, COPASS_API_URL switched before refresh", async () => {
    const { sb, state } = await stack();
    const before = await row(sb, state.id);
    // A host reading everything from the environment at call time, as examples/gitops sets it.
    const envHost = await startHost(consumer, {
      providerText: host.providerText,
      env: { COPASS_API_URL: otherEnv.url, COPASS_API_KEY: KEY_A },
    });
    extraHosts.push(envHost);
    await envHost.configure({});
    const from = otherEnv.requestLog().length;
    const message = await failureOf(refresh(envHost, state));
    expect(message).toContain(`but the provider now points at ${otherEnv.url}`);
    expect(await failureOf(destroy(envHost, state))).toContain(`back to ${copass.url}`);
    expect(ops(otherEnv, from)).toEqual([]);
    expect(await row(sb, state.id)).toEqual(before);
    expect(await tokenWorks(sb, state.id)).toBe(true);
  });
});

describe("another tenant's key", () => {
  it("refresh and destroy confirm the 404 by listing, fail naming the invisible sandbox, change nothing", async () => {
    const { sb, state } = await stack();
    const before = await row(sb, state.id);
    const tenantB = await hostWith(copass.url, KEY_B);

    // mutation: read's `await confirmGone(…)` removed → refresh forgets the source, this fails.
    let from = copass.requestLog().length;
    const read = await failureOf(refresh(tenantB, state));
    expect(ops(copass, from)).toEqual(["get", "list"]);
    // mutation: delete's `return confirmGone(…)` → `return` → destroy succeeds, this fails.
    from = copass.requestLog().length;
    const del = await failureOf(
      destroy(tenantB, { ...state, outputs: { ...state.outputs, deletionPolicy: "delete" } }),
    );
    expect(ops(copass, from)).toEqual(["revoke", "list"]);
    for (const message of [read, del]) {
      expect(message).toContain(`sandbox ${sb} is not visible with this API key at ${copass.url}`);
      expect(message).toContain("a key of another tenant or another environment?");
      expect(message).toContain(`State records the source for tenant ${String(state.outputs.tenantId)}`);
      expect(message).toContain("`pulumi state delete <urn>`");
    }
    expect(await row(sb, state.id)).toEqual(before);
    expect(await tokenWorks(sb, state.id)).toBe(true);

    await destroy(host, state);
  });
});

describe("a listing that cannot answer", () => {
  it("fails the refresh (never gone), and the key the server echoes is cut out of the message", async () => {
    const { sb, state } = await stack();
    const tenantB = await hostWith(copass.url, KEY_B);
    // Tenant B's GET gets the real 404; its listing then fails with a body echoing B's key
    // (echoSecrets), so the scan below can see a leak: the server's text reaches the message.
    copass.faults.inject({
      operation: "list",
      action: { kind: "status", status: 500, echoSecrets: true },
      times: Infinity,
    });
    try {
      // mutation: confirmGone returning instead of rethrowing the listing's error → refresh forgets it.
      const message = await failureOf(refresh(tenantB, state));
      expect(message).toContain("the request sent Authorization: Bearer [redacted]");
    } finally {
      copass.faults.reset();
    }
    expect((await row(sb, state.id)).status).toBe("active");
    await destroy(host, state);
  });
});

describe("a deliberate move (docs/trust.md: Moving a stack to another Copass endpoint)", () => {
  it("the same Copass behind a proxy: refresh with the move setting records the new endpoint, then destroy works there", async () => {
    const { sb, state } = await stack();
    const proxy = await startTcpProxy(copass.port);
    try {
      const moving = await startHost(consumer, {
        providerText: host.providerText,
        env: { COPASS_API_URL: proxy.url, COPASS_API_KEY: KEY_A, COPASS_API_URL_MOVED_FROM: copass.url },
      });
      extraHosts.push(moving);
      await moving.configure({});
      const moved = (await refresh(moving, state))!;
      seenStates.push(moved);
      expect(moved.outputs).toMatchObject({ status: "active", apiEndpoint: proxy.url });
      // The move done (setting gone), the new endpoint is the recorded one: destroy goes through it.
      const after = await hostWith(proxy.url, KEY_A);
      await destroy(after, moved);
      expect((await row(sb, state.id)).status).toBe("disconnected");
    } finally {
      await proxy.close();
    }
  });
});

describe("what still reads as gone, and old state", () => {
  it("a source revoked and deleted out of band: refresh forgets it (get + list), destroy is done (revoke + list)", async () => {
    const { sb, state } = await stack();
    expect((await asA("POST", `/${sb}/sources/${state.id}/user-mcp/revoke`)).status).toBe(200);
    expect((await asA("DELETE", `/${sb}/sources/${state.id}`)).status).toBe(200);
    let from = copass.requestLog().length;
    expect(await refresh(host, state)).toBeUndefined();
    expect(ops(copass, from)).toEqual(["get", "list"]);
    from = copass.requestLog().length;
    await destroy(host, state);
    expect(ops(copass, from)).toEqual(["revoke", "list"]);
  });

  it("state without apiEndpoint and tenantId (written before them) refreshes fine and records both", async () => {
    const sb = `sb_trust_${++counter}`;
    const created = (await up(host, undefined, program(sb))).state;
    const { apiEndpoint: _e, tenantId: _t, ...oldOutputs } = created.outputs;
    const old = { ...created, outputs: oldOutputs };
    const read = (await refresh(host, old))!;
    seenStates.push(read);
    const tenant = (await row(sb, created.id)).user_id as string;
    expect(read.outputs).toMatchObject({ status: "active", apiEndpoint: copass.url, tenantId: tenant });
    await destroy(host, read);
  });
});

// Leak scan (DESIGN §6): runs last, over everything the tests above produced.
it("never leaks either tenant's key or the token", () => {
  /** Where either key shows, or the token outside a `token` key (test/support/leaks.ts). */
  const leaks = (value: unknown) => [
    ...secretLeaks(value, { apiKey: KEY_A, tokens: [TOKEN] }),
    ...secretLeaks(value, { apiKey: KEY_B, tokens: [] }),
  ];
  // The scan can see: it flags each key and a stray token.
  expect(leaks({ a: KEY_A, b: `key ${KEY_B}`, name: `x${TOKEN}` })).toHaveLength(3);
  // Every failing step was recorded, including one whose server text echoed tenant B's key (the
  // listing above): without redaction, that message would carry it.
  // mutation: `redact` returning its input unchanged → this test (and the listing's) fails.
  expect(seenErrors).toHaveLength(9);
  expect(seenErrors.some((m) => m.includes("Authorization: Bearer [redacted]"))).toBe(true);
  expect(leaks(seenErrors)).toEqual([]);
  for (const h of [host, ...extraHosts]) expect(leaks(h.output())).toEqual([]);
  // State: no key anywhere; the token only under the key `token` (a secret the engine encrypts).
  expect(seenStates.length).toBeGreaterThanOrEqual(15);
  expect(leaks(seenStates)).toEqual([]);
});
