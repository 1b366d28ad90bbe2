/**
 * The MCP token in `healthError` (DESIGN §6, issue 15 §5): `healthError` is the MCP server's answer
 * relayed by Copass, stored under a key that is not secret. Each place the provider takes a health
 * from an answer cuts the call's secrets out of it (`scrubbed` in provider.ts and health-wait.ts);
 * each test below reaches exactly one of them and fails when that one is removed.
 *
 * In-process provider, real HTTP to the emulator in its `echoCredentialInHealthError` mode (a
 * failed probe's health_error quotes the credential it sent, unscrubbed: without it the emulator's
 * reasons never carry a token, and these tests could not fail) and a real sample MCP server that
 * accepts TOKEN only, so a source with WRONG is unhealthy and its health_error carries WRONG.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { provider, SourceInitError } from "../../src/provider/provider";
import { secretLeaks } from "../support/leaks";
import { checkedProgram, configureProvider } from "./fixtures";

type Props = Record<string, unknown>;

const API_KEY = "olk_scrub_tests_key_8e3f0b";
const TOKEN = "tok-SCRUB-good-61c9a2-do-not-leak";
const WRONG = "tok-SCRUB-wrong-d40e17-do-not-leak";
const SECRETS = { apiKey: API_KEY, tokens: [TOKEN, WRONG] };

let emulator: Emulator;
let mcp: SampleMcpServer;
let counter = 0;
let sandbox = "";

beforeAll(async () => {
  emulator = await startEmulator({
    apiKeys: [API_KEY],
    probeTimeoutMs: 2_000,
    echoCredentialInHealthError: true,
  });
  mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
});

afterAll(async () => {
  await mcp?.close();
  await emulator?.close();
});

beforeEach(async () => {
  sandbox = `sb_scrub_${++counter}`;
  await configureProvider(emulator.url, API_KEY);
  emulator.clearRequestLog();
});

afterEach(() => vi.restoreAllMocks());

function checked(patch: Props): Promise<Props> {
  return checkedProgram({
    sandboxId: sandbox,
    name: "CRM tools",
    baseUrl: mcp.url,
    authKind: "bearer",
    token: WRONG,
    appNamespace: "crm",
    healthTimeoutSeconds: 5,
    ...patch,
  });
}

/** The emulator did echo WRONG into the source's health_error: the scrub had something to cut. */
async function expectEchoed(id: string): Promise<void> {
  const res = await fetch(`${emulator.url}/api/v1/storage/sandboxes/${sandbox}/sources/${id}`, {
    headers: { authorization: `Bearer ${API_KEY}` },
  });
  const row = (await res.json()) as { health_error: string | null };
  expect(row.health_error).toContain(`Authorization: Bearer ${WRONG}`);
}

/** The value carries a scrubbed health error, and no secret outside `token`. */
function expectScrubbed(value: unknown, healthError: unknown): void {
  expect(healthError).toEqual(
    expect.stringContaining("the MCP server was sent Authorization: Bearer [redacted]"),
  );
  expect(secretLeaks(value, SECRETS)).toEqual([]);
}

/** An unhealthy source in state: created under "ignore" (register only, no re-test). */
async function unhealthySource(): Promise<{ id: string; outs: Props }> {
  const { id, outs } = await provider.create(await checked({ healthPolicy: "ignore" }));
  emulator.clearRequestLog();
  return { id, outs: outs as Props };
}

function operations(): string[] {
  return emulator.requestLog().map((e) => e.operation);
}

describe("healthError never carries the token", () => {
  // mutation: provider.ts create, `scrubbed(healthFromOutcome(outcome), secrets)` → `healthFromOutcome(outcome)` → this test fails
  it("create: from the register answer (policy warn: the outputs and the warning line)", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const result = await provider.create(await checked({ healthPolicy: "warn" }));
    // The snapshot list comes first (issue 15 §2: a list before every register).
    expect(operations()).toEqual(["list", "register"]);
    await expectEchoed(result.id);
    expectScrubbed(result, (result.outs as Props).healthError);
    expect((result.outs as Props).token).toBe(WRONG);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(secretLeaks(warn.mock.calls, SECRETS)).toEqual([]);
  });

  // mutation: health-wait.ts settleHealth's `test`, `scrubbed(healthFromOutcome(…), secrets)` → `healthFromOutcome(…)` → this test fails
  it("create: from the health re-tests under require (the init-failed properties and reason)", async () => {
    const error = await provider.create(await checked({ healthTimeoutSeconds: 1 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceInitError);
    const failed = error as SourceInitError;
    expect(operations().slice(0, 2)).toEqual(["list", "register"]);
    expect(operations().slice(2)).toContain("test");
    await expectEchoed(failed.id);
    expectScrubbed(failed, failed.properties.healthError);
  });

  // mutation: provider.ts read, `scrubbed(healthFromSource(source), secrets)` → `healthFromSource(source)` → this test fails
  it("read without healthCheckOnRefresh: from the GET row", async () => {
    const { id, outs } = await unhealthySource();
    const read = await provider.read(id, { ...outs, healthCheckOnRefresh: false });
    expect(operations()).toEqual(["get"]);
    expectScrubbed(read, (read.props as Props).healthError);
  });

  // mutation: provider.ts read, `scrubbed(healthFromOutcome(await api.testUserMcp(…), health), secrets)` → without scrubbed → this test fails
  it("read with healthCheckOnRefresh: from the re-test", async () => {
    const { id, outs } = await unhealthySource();
    const read = await provider.read(id, outs);
    expect(operations()).toEqual(["get", "test"]);
    expectScrubbed(read, (read.props as Props).healthError);
  });

  // mutation: provider.ts update, `scrubbed(healthFromOutcome(await api.patchUserMcp(…), health), secrets)` → without scrubbed → this test fails
  it("update without a re-test (policy ignore, a rename): from the PATCH answer", async () => {
    const { id, outs } = await unhealthySource();
    const updated = await provider.update(
      id,
      outs,
      await checked({ healthPolicy: "ignore", name: "CRM tools v2" }),
    );
    expect(operations()).toEqual(["patch"]);
    expectScrubbed(updated, (updated.outs as Props).healthError);
  });

  // mutation: health-wait.ts settleHealth's `test` scrub removed (as above) → this test fails too
  it("update with a re-test (a rotation to a token the server refuses): from the re-tests", async () => {
    const healthy = await provider.create(await checked({ token: TOKEN }));
    expect((healthy.outs as Props).status).toBe("active");
    emulator.clearRequestLog();
    const error = await provider
      .update(healthy.id, healthy.outs as Props, await checked({ healthTimeoutSeconds: 1 }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceInitError);
    const failed = error as SourceInitError;
    expect(operations().slice(0, 2)).toEqual(["patch", "test"]);
    await expectEchoed(failed.id);
    expectScrubbed(failed, failed.properties.healthError);
  });
});
