/**
 * A change to a source's connection, through Pulumi's real dynamic-provider host (issue 15 §3 and
 * §4), against the emulator (persisted to a file, so the test can read what Copass holds, vault
 * included) and real MCP servers:
 *
 * - a token change whose health re-test cannot finish leaves `status: "unknown"` in state, never the
 *   status from before the change, and the next plan re-tests;
 * - an `authKind` switch that must drop `auth_header` or the vault token replaces the source, so
 *   Copass ends up holding neither, without relying on Copass to clear them on a PATCH.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { InitFailed, destroy, plan, up, type State } from "../support/engine";
import { outOfBand, type Json } from "../support/out-of-band";
import { secret, startHost, type Host, type Props } from "../support/pulumi-host";

const API_KEY = "olk_CONNCHANGE_key_4e19a7";
const TOKEN = "tok_CONNCHANGE_right_b3d05c";
const WRONG = "tok_CONNCHANGE_wrong_71fa2e";
const SECRETS = [API_KEY, TOKEN, WRONG];

const consumer = inject("copassConsumerA");

let emulator: Emulator;
let dataDir: string;
let bearerMcp: SampleMcpServer;
/** Accepts any credential (or none), so a source stays healthy across auth-kind switches. */
let openMcp: SampleMcpServer;
let host: Host;

const api = outOfBand(() => emulator.url, API_KEY);
/** Every state and error message the tests saw, for the leak scan at the end. */
const seenStates: State[] = [];
const seenErrors: string[] = [];

/** The API operations `fn` made, from the emulator's request log. */
async function operations<T>(fn: () => Promise<T>): Promise<{ result?: T; error?: unknown; ops: string[] }> {
  // A re-test aborted at the last step's deadline is still answered, and logged, after it.
  await emulator.settled();
  const before = emulator.requestLog().length;
  let result: T | undefined;
  let error: unknown;
  try {
    result = await fn();
    if (result && typeof result === "object" && "state" in result) seenStates.push(result.state as State);
  } catch (e) {
    error = e;
    seenErrors.push(e instanceof Error ? e.message : String(e));
    if (e instanceof InitFailed) seenStates.push(e.state);
  }
  const ops = emulator
    .requestLog()
    .slice(before)
    .map((entry) => entry.operation);
  return { result, error, ops };
}

/** What Copass holds: a sandbox's rows (the data file) and the whole vault (its own file). */
async function copassHolds(
  sandbox: string,
): Promise<{ rows: Record<string, Json>; vault: Record<string, string> }> {
  const file = path.join(dataDir, "copass.json");
  const state = JSON.parse(await readFile(file, "utf8")) as Json;
  const vault = JSON.parse(await readFile(`${file}.vault.json`, "utf8")) as Record<string, string>;
  return { rows: state.sandboxes[sandbox]?.sources ?? {}, vault };
}

const vaultKey = (id: string) => `user_mcp/${id}/auth`;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "copass-connection-change-"));
  emulator = await startEmulator({ apiKeys: [API_KEY], dataFile: path.join(dataDir, "copass.json") });
  bearerMcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
  openMcp = await startMcpServer({ auth: { kind: "none" } });
  host = await startHost(consumer);
  await host.configure({ "copass:apiUrl": emulator.url, "copass:apiKey": secret(API_KEY) });
});

afterAll(async () => {
  await host?.kill();
  await openMcp?.close();
  await bearerMcp?.close();
  await emulator?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("a token change whose health re-test cannot finish (issue 15 §3)", () => {
  it("records status unknown, though Copass still says active, and the next plan re-tests", async () => {
    // mutation: in provider.update's catch (src/provider/provider.ts), record the PATCH answer's
    // health instead of `unfinishedRetest` → state says "active", the next plan is "same", and
    // this test fails.
    const sb = "sb_unfinished_retest";
    // A 3 s budget: the client's four attempts at a 503 (under 2 s of backoff) end inside it.
    const program = (token: string): Props => ({
      sandboxId: sb,
      name: "CRM tools",
      baseUrl: bearerMcp.url,
      authKind: "bearer",
      token,
      appNamespace: "crm_unfinished",
      healthTimeoutSeconds: 3,
    });
    const created = await operations(() => up(host, undefined, program(TOKEN)));
    const healthy = created.result!.state;
    expect(healthy.outputs).toMatchObject({ status: "active" });

    // Copass's test endpoint fails until further notice; the token changes to one the MCP server
    // rejects.
    emulator.faults.inject({ operation: "test", action: { kind: "status", status: 503 }, times: Infinity });
    const rotated = await operations(() => up(host, healthy, program(WRONG)));
    expect(rotated.error).toBeInstanceOf(InitFailed);
    const failed = (rotated.error as InitFailed).state;
    expect(rotated.ops[0]).toBe("patch");
    expect(rotated.ops.slice(1).length).toBeGreaterThan(0);
    expect(rotated.ops.slice(1).every((op) => op === "test")).toBe(true);

    // State: the new token (as a secret input) and status unknown with the reason; Copass itself
    // still reports the status from before the change, which state must not repeat.
    expect(failed.id).toBe(healthy.id);
    expect(failed.outputs).toMatchObject({ status: "unknown", token: WRONG });
    expect(failed.outputs.healthError).toMatch(/failed: test: /);
    expect((await api("GET", `/${sb}/sources/${failed.id}`)).body.status).toBe("active");

    // The fault is gone: the next plan is an update (health drift), which re-tests and nothing else,
    // and records the real answer: the MCP server rejects the wrong token.
    emulator.faults.reset();
    const planned = await plan(host, failed, program(WRONG));
    expect(planned.step.op).toBe("update");
    const retested = await operations(() => up(host, failed, program(WRONG)));
    expect(retested.ops.length).toBeGreaterThan(0);
    expect(retested.ops.every((op) => op === "test")).toBe(true);
    expect(retested.error).toBeInstanceOf(InitFailed);
    const unhealthy = (retested.error as InitFailed).state;
    expect(unhealthy.outputs).toMatchObject({ status: "error" });

    // The right token heals it; then the source is destroyed.
    const healed = await operations(() => up(host, unhealthy, program(TOKEN)));
    expect(healed.ops).toEqual(["patch", "test"]);
    expect(healed.result!.state.outputs).toMatchObject({ status: "active", healthError: null });
    await destroy(host, healed.result!.state);
  });
});

describe("an authKind switch that must drop auth_header or the vault token (issue 15 §4)", () => {
  it("header_token → bearer → none: each switch replaces the source; Copass keeps no stale header or token", async () => {
    // mutation: drop `onRemove: "replace"` from FIELDS.authHeader (then FIELDS.token) in
    // src/provider/schema.ts → the switch is planned as an in-place update (same id) and this
    // test fails at the plan.
    const sb = "sb_auth_switch";
    const base: Props = {
      sandboxId: sb,
      name: "Docs",
      baseUrl: openMcp.url,
      appNamespace: "docs_switch",
      healthTimeoutSeconds: 5,
    };
    const headerToken = { ...base, authKind: "header_token", authHeader: "X-Api-Key", token: TOKEN };
    const bearer = { ...base, authKind: "bearer", token: TOKEN };
    const none = { ...base, authKind: "none" };

    const first = (await operations(() => up(host, undefined, headerToken))).result!.state;
    let holds = await copassHolds(sb);
    expect(holds.rows[first.id].adapter_config).toMatchObject({
      auth_kind: "header_token",
      auth_header: "X-Api-Key",
    });
    expect(holds.vault[vaultKey(first.id)]).toBe(TOKEN);

    // header_token → bearer: a replacement, the old source revoked first (same namespace).
    const toBearer = await plan(host, first, bearer);
    expect(toBearer.step.op).toBe("replace");
    expect(toBearer.step.op === "replace" && toBearer.step.diff).toMatchObject({
      replaces: ["authHeader"],
      deleteBeforeReplace: true,
    });
    const switched = await operations(() => up(host, first, bearer));
    // The replacement's create lists first (issue 15 §2: the snapshot a lost answer is judged by).
    expect(switched.ops).toEqual(["revoke", "list", "register"]);
    const second = switched.result!.state;
    expect(second.id).not.toBe(first.id);
    expect(second.outputs).toMatchObject({ authKind: "bearer", status: "active", token: TOKEN });
    expect(second.outputs).not.toHaveProperty("authHeader");
    holds = await copassHolds(sb);
    expect(holds.rows[first.id].status).toBe("disconnected");
    expect(holds.vault).not.toHaveProperty(vaultKey(first.id));
    expect(holds.rows[second.id].adapter_config).toMatchObject({ auth_kind: "bearer", auth_header: null });
    expect(holds.vault[vaultKey(second.id)]).toBe(TOKEN);

    // bearer → none: a replacement again; no token is left in Copass's vault for any of them.
    const toNone = await plan(host, second, none);
    expect(toNone.step.op === "replace" && toNone.step.diff.replaces).toEqual(["token"]);
    const opened = await operations(() => up(host, second, none));
    expect(opened.ops).toEqual(["revoke", "list", "register"]);
    const third = opened.result!.state;
    expect(third.outputs).toMatchObject({ authKind: "none", status: "active" });
    expect(third.outputs).not.toHaveProperty("token");
    holds = await copassHolds(sb);
    expect(holds.rows[second.id].status).toBe("disconnected");
    expect(holds.rows[third.id].adapter_config).toMatchObject({
      auth_kind: "none",
      auth_header: null,
      vault_ref: null,
    });
    for (const id of [first.id, second.id, third.id]) expect(holds.vault).not.toHaveProperty(vaultKey(id));

    // Back to bearer is an in-place update: a token is added, nothing needs clearing.
    const back = await plan(host, third, bearer);
    expect(back.step.op).toBe("update");
    await destroy(host, third);
  });
});

// Leak scan (DESIGN §6): runs last, over everything the tests above produced. WRONG and TOKEN
// were both sent through the host above, so a leak has something to be found.
it("never puts a token or the API key outside the token output, in a message or in the host's output", () => {
  expect(seenStates.length).toBeGreaterThan(5);
  for (const state of seenStates) {
    for (const [key, value] of Object.entries(state.outputs)) {
      if (key === "token") continue;
      for (const s of SECRETS) expect(JSON.stringify(value), `output ${key}`).not.toContain(s);
    }
    expect(JSON.stringify(state)).not.toContain(API_KEY);
  }
  for (const message of seenErrors) for (const s of SECRETS) expect(message).not.toContain(s);
  const out = host.output();
  for (const s of SECRETS) expect(out.stdout + out.stderr).not.toContain(s);
});
