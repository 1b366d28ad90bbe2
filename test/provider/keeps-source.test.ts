/**
 * Two paths where a source exists at Copass and must not be lost or block a destroy (issue 15 §5),
 * which no test reached before: in-process provider, real HTTP to the emulator with injected
 * faults, a real MCP server for the healthy sources.
 *
 * - A failing health re-test CALL during create (`POST …/test` answering 5xx, or dropped) under
 *   `require`, with an unreachable MCP server: "created but failed to initialize" with the id,
 *   never a plain error that would leave the source out of state.
 * - A second revoke answered `400 source_revoked`, as a real Copass may answer it (the emulator
 *   answers 200, so the answer is injected): the delete is done.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type FaultAction,
  type SampleMcpServer,
  sourceRevokedAnswer,
} from "../../packages/emulator/src";
import { provider, resetProviderState, SourceInitError } from "../../src/provider/provider";
import { outOfBand } from "../support/out-of-band";
import { secretLeaks } from "../support/leaks";
import { checkedProgram, configureProvider } from "./fixtures";

type Props = Record<string, unknown>;

const API_KEY = "olk_keeps_source_key_2b7c90";
const TOKEN = "tok-KEEPS-source-5a1f3e-do-not-leak";
/** Port 2: never served, so every health probe is refused at once. */
const UNREACHABLE = "http://127.0.0.1:2/mcp";

let emulator: Emulator;
let mcp: SampleMcpServer;
let counter = 0;
let sandbox = "";
const api = outOfBand(() => emulator.url, API_KEY);

beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: [API_KEY], probeTimeoutMs: 2_000 });
  mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
  await configureProvider(emulator.url, API_KEY);
});

afterAll(async () => {
  emulator?.faults.reset();
  resetProviderState();
  await mcp?.close();
  await emulator?.close();
});

beforeEach(() => {
  sandbox = `sb_keeps_${++counter}`;
  emulator.faults.reset();
  emulator.clearRequestLog();
});

function checked(patch: Props): Promise<Props> {
  return checkedProgram({
    sandboxId: sandbox,
    name: "CRM tools",
    baseUrl: mcp.url,
    authKind: "bearer",
    token: TOKEN,
    appNamespace: "crm",
    ...patch,
  });
}

function operations(): string[] {
  return emulator.requestLog().map((e) => e.operation);
}

describe("a health re-test call that fails during create", () => {
  // mutation: provider.ts create, the catch's `throw unfinishedRetest(…)` → `throw failure("health re-test", …)` → this test fails
  it.each<[string, FaultAction]>([
    ["answered 500", { kind: "status", status: 500, echoSecrets: true }],
    ["answered 503", { kind: "status", status: 503, echoSecrets: true }],
    ["dropped", { kind: "drop" }],
  ])(
    "%s, under require with an unreachable MCP server: init-failed with the id, the source kept",
    async (_what, action) => {
      emulator.faults.inject({ operation: "test", pathIncludes: `/${sandbox}/`, action, times: Infinity });
      const error = await provider
        .create(await checked({ baseUrl: UNREACHABLE, healthTimeoutSeconds: 2 }))
        .catch((e: unknown) => e);
      emulator.faults.reset();

      // The register answered (error: the server is unreachable), then the re-tests failed.
      expect(operations().slice(0, 2)).toEqual(["list", "register"]);
      expect(operations().slice(2)).toContain("test");
      expect(
        emulator
          .requestLog()
          .filter((e) => e.operation === "test")
          .every((e) => e.fault),
      ).toBe(true);

      expect(error).toBeInstanceOf(SourceInitError);
      const failed = error as SourceInitError;
      const [registered] = (await api("GET", `/${sandbox}/sources`)).body.sources as Props[];
      expect(failed.id).toBe(registered!.data_source_id);
      expect(failed.properties).toMatchObject({ dataSourceId: failed.id, sandboxId: sandbox, token: TOKEN });
      expect(failed.reasons.length).toBeGreaterThan(0);
      expect(secretLeaks(failed, { apiKey: API_KEY, tokens: [TOKEN] })).toEqual([]);
    },
  );
});

describe("a second revoke answered 400 source_revoked", () => {
  // mutation: provider.ts delete, `if (!isRevoked(error)) throw failure(…)` → `throw failure(…)` → these tests fail
  it("after a revoke out of band: the delete is done, with one revoke call", async () => {
    const { id, outs } = await provider.create(await checked({}));
    expect((await api("POST", `/${sandbox}/sources/${id}/user-mcp/revoke`)).status).toBe(200);
    emulator.clearRequestLog();
    emulator.faults.inject({
      operation: "revoke",
      pathIncludes: `/${sandbox}/`,
      action: sourceRevokedAnswer(),
    });
    await expect(provider.delete(id, outs as Props)).resolves.toBeUndefined();
    expect(emulator.requestLog().map((e) => [e.operation, e.status])).toEqual([["revoke", 400]]);
  });

  it("after the first revoke's answer was lost: the retry's 400 ends the delete, the source disconnected", async () => {
    const { id, outs } = await provider.create(await checked({}));
    emulator.clearRequestLog();
    emulator.faults.inject({
      operation: "revoke",
      pathIncludes: `/${sandbox}/`,
      action: { kind: "commit-then-drop" },
    });
    emulator.faults.inject({
      operation: "revoke",
      pathIncludes: `/${sandbox}/`,
      action: sourceRevokedAnswer(),
    });
    await expect(provider.delete(id, outs as Props)).resolves.toBeUndefined();
    expect(emulator.requestLog().map((e) => [e.operation, e.status, e.fault])).toEqual([
      ["revoke", 200, "commit-then-drop"],
      ["revoke", 400, "status"],
    ]);
    expect((await api("GET", `/${sandbox}/sources/${id}`)).body.status).toBe("disconnected");
  });

  it("under deletionPolicy delete: the row is still deleted", async () => {
    const { id, outs } = await provider.create(await checked({ deletionPolicy: "delete" }));
    await api("POST", `/${sandbox}/sources/${id}/user-mcp/revoke`);
    emulator.clearRequestLog();
    emulator.faults.inject({
      operation: "revoke",
      pathIncludes: `/${sandbox}/`,
      action: sourceRevokedAnswer(),
    });
    await expect(provider.delete(id, outs as Props)).resolves.toBeUndefined();
    expect(operations()).toEqual(["revoke", "delete"]);
    expect((await api("GET", `/${sandbox}/sources/${id}`)).status).toBe(404);
  });
});
