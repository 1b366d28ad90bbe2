/**
 * A source that exists at Copass is kept in state or finished off, through Pulumi's real
 * dynamic-provider host over gRPC, the emulator (faults injected) and a real MCP server
 * (issue 15 §5; the unit tests are test/provider/keeps-source.test.ts):
 *
 * - a health re-test CALL that fails during create (`POST …/test` answering 500 or dropped) under
 *   `require`, with an unreachable MCP server: "created but failed to initialize" with the id, so
 *   the engine keeps the source, and the next destroy revokes it;
 * - a second revoke answered `400 source_revoked` (as a real Copass may; the emulator answers
 *   200): the destroy succeeds.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type FaultAction,
  type SampleMcpServer,
  sourceRevokedAnswer,
} from "../../packages/emulator/src";
import { InitFailed, destroy, up, type State } from "../support/engine";
import { secretLeaks } from "../support/leaks";
import { outOfBand, type Json } from "../support/out-of-band";
import { secret, startHost, type Host, type Props } from "../support/pulumi-host";

const API_KEY = "olk_KEEPS_host_key_4e81c2";
const TOKEN = "tok_KEEPS_host_token_9b0d";
/** Port 2: never served, so every health probe is refused at once. */
const UNREACHABLE = "http://127.0.0.1:2/mcp";

const consumer = inject("copassConsumerA");

let emulator: Emulator;
let mcp: SampleMcpServer;
let host: Host;
const seen: unknown[] = [];
const api = outOfBand(() => emulator.url, API_KEY);

function program(sandboxId: string, overrides: Props = {}): Props {
  return { sandboxId, name: "CRM tools", baseUrl: mcp.url, authKind: "bearer", token: TOKEN, ...overrides };
}

function opsIn(sb: string): string[] {
  return emulator
    .requestLog()
    .filter((e) => e.path.includes(`/${sb}/`))
    .map((e) => e.operation);
}

beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: [API_KEY], echoCredentialInHealthError: true });
  mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
  host = await startHost(consumer);
  await host.configure({ "copass:apiUrl": emulator.url, "copass:apiKey": secret(API_KEY) });
});

afterAll(async () => {
  await host?.kill();
  await mcp?.close();
  await emulator?.close();
});

describe("a health re-test call that fails during create, under require, MCP server unreachable", () => {
  // mutation: provider.ts create, the catch's `throw unfinishedRetest(…)` → `throw failure("health re-test", …)` → this test fails
  it.each<[string, FaultAction]>([
    ["answered 500", { kind: "status", status: 500, echoSecrets: true }],
    ["dropped", { kind: "drop" }],
  ])("%s: created but failed to initialize, with the id; destroy revokes it", async (what, action) => {
    const sb = `sb_keeps_retest_${what.replace(/\W/g, "_")}`;
    emulator.faults.inject({ operation: "test", pathIncludes: `/${sb}/`, action, times: Infinity });
    let failed: InitFailed;
    try {
      const error = await up(
        host,
        undefined,
        program(sb, { appNamespace: "crm", baseUrl: UNREACHABLE, healthTimeoutSeconds: 2 }),
      ).catch((e: unknown) => e);
      seen.push(error);
      expect(error, String(error)).toBeInstanceOf(InitFailed);
      failed = error as InitFailed;
    } finally {
      emulator.faults.reset();
    }
    // The snapshot list comes before the register (issue 15 §2).
    expect(opsIn(sb).slice(0, 2)).toEqual(["list", "register"]);
    expect(opsIn(sb).slice(2)).toContain("test");

    // The engine keeps the registered source, under the id Copass gave it.
    const listed = (await api("GET", `/${sb}/sources`)).body.sources as Json[];
    expect(listed.map((s) => s.data_source_id)).toEqual([failed.state.id]);
    expect(failed.state.outputs).toMatchObject({ dataSourceId: failed.state.id, token: TOKEN });
    expect(typeof failed.state.outputs.__provider).toBe("string");

    await destroy(host, failed.state);
    expect((await api("GET", `/${sb}/sources/${failed.state.id}`)).body.status).toBe("disconnected");
  });
});

describe("a second revoke answered 400 source_revoked", () => {
  // mutation: provider.ts delete, `if (!isRevoked(error)) throw failure(…)` → `throw failure(…)` → these tests fail
  it("after a revoke out of band: destroy succeeds", async () => {
    const sb = "sb_keeps_revoked_oob";
    const { state } = await up(host, undefined, program(sb));
    seen.push(state);
    expect((await api("POST", `/${sb}/sources/${state.id}/user-mcp/revoke`)).status).toBe(200);
    emulator.faults.inject({ operation: "revoke", pathIncludes: `/${sb}/`, action: sourceRevokedAnswer() });
    const before = emulator.requestLog().length;
    await destroy(host, state);
    expect(
      emulator
        .requestLog()
        .slice(before)
        .map((e) => [e.operation, e.status]),
    ).toEqual([["revoke", 400]]);
  });

  it("after the first revoke's answer was lost (committed, then dropped): destroy succeeds", async () => {
    const sb = "sb_keeps_revoke_lost";
    const { state }: { state: State } = await up(host, undefined, program(sb));
    seen.push(state);
    emulator.faults.inject({
      operation: "revoke",
      pathIncludes: `/${sb}/`,
      action: { kind: "commit-then-drop" },
    });
    emulator.faults.inject({ operation: "revoke", pathIncludes: `/${sb}/`, action: sourceRevokedAnswer() });
    await destroy(host, state);
    expect(opsIn(sb).slice(-2)).toEqual(["revoke", "revoke"]);
    expect((await api("GET", `/${sb}/sources/${state.id}`)).body.status).toBe("disconnected");
  });
});

// Leak scan (DESIGN §6) over what the steps above returned and the host printed.
it("never leaks the token or the API key", () => {
  expect(seen.length).toBeGreaterThanOrEqual(4);
  const { stdout, stderr } = host.output();
  expect(secretLeaks([seen, stdout, stderr], { apiKey: API_KEY, tokens: [TOKEN] })).toEqual([]);
});
