/**
 * Ownership and failure semantics at the host boundary (DESIGN §2, issue 6): through Pulumi's real
 * dynamic-provider host over gRPC, the local Copass emulator and a real MCP server.
 *
 * - two stacks, one namespace: the second stack's create is refused and changes nothing, also when
 *   a proxy loses its register answer (issue 15 §2); a lost answer whose source committed is found;
 * - a sandbox move creates before it deletes, and a failing create leaves the old source working;
 * - a create interrupted after Copass registered it, then run again: refused; adopted on request;
 * - a register that commits after the client timed out, without appNamespace: at most one source;
 * - a slow `POST …/test`: `healthTimeoutSeconds` bounds the whole wait.
 *
 * A "stack" is the state the engine keeps (test/support/engine.ts), so two stacks can share one
 * host process; the interrupted create uses a second host, killed mid-create as a Ctrl-C would.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { InitFailed, destroy, plan, refresh, up, type State } from "../support/engine";
import { outOfBand, type Json } from "../support/out-of-band";
import { HostError, secret, startHost, type Host, type Props } from "../support/pulumi-host";

const API_KEY = "olk_OWNERSHIP_KEY_3c9e5a7b11";
const TOKEN_A = "tok_OWNERSHIP_stack_a_71d4";
const TOKEN_B = "tok_OWNERSHIP_stack_b_c02e";
const WRONG = "tok_OWNERSHIP_wrong_5e6f";
const ALL_SECRETS = [API_KEY, TOKEN_A, TOKEN_B, WRONG];

const consumer = inject("copassConsumerA");

let emulator: Emulator;
/** Accepts stack A's token only. */
let mcp: SampleMcpServer;
let host: Host;
const extraHosts: Host[] = [];
const seenErrors: string[] = [];
const seenStates: State[] = [];

/** An out-of-band call straight to the emulator, as another tool or a person would make. */
const api = outOfBand(() => emulator.url, API_KEY);

async function sources(sb: string): Promise<Json[]> {
  return (await api("GET", `/${sb}/sources`)).body.sources as Json[];
}

/** API operations the emulator finished for sandbox `sb` since log index `from`. */
function opsSince(from: number, sb: string): string[] {
  return emulator
    .requestLog()
    .slice(from)
    .filter((e) => e.path.includes(`/${sb}/`))
    .map((e) => e.operation);
}

/** Waits, bounded (10 s), until the emulator has finished `count` registers in `sb`. */
async function registersFinished(sb: string, count: number): Promise<void> {
  for (let i = 0; i < 200 && opsSince(0, sb).filter((op) => op === "register").length < count; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Stack A's source after stack B was refused: the same row as `before`, the only one in `sb`, and
 * its vaulted token still A's (the MCP server accepts TOKEN_A only, so a passing test proves no
 * PATCH put B's token there); A's refresh agrees, and A's destroy ends the test.
 */
async function expectStackAUntouched(sb: string, a: State, before: Json): Promise<void> {
  expect((await api("GET", `/${sb}/sources/${a.id}`)).body).toEqual(before);
  expect(await sources(sb)).toHaveLength(1);
  const test = await api("POST", `/${sb}/sources/${a.id}/user-mcp/test`);
  expect(test.body).toMatchObject({ status: "active", health_error: null });
  const read = (await refresh(host, a))!;
  expect(read.outputs).toMatchObject({ status: "active", healthError: null });
  await destroy(host, read);
}

function program(sandboxId: string, overrides: Props = {}): Props {
  return {
    sandboxId,
    name: "CRM tools",
    baseUrl: mcp.url,
    authKind: "bearer",
    token: TOKEN_A,
    ...overrides,
  };
}

/** The error a step failed with, recorded for the leak scan. */
async function failureOf(step: Promise<unknown>): Promise<Error> {
  const error = await step.then(
    () => {
      throw new Error("expected the step to fail");
    },
    (e: unknown) => e as Error,
  );
  seenErrors.push(error.message);
  if (error instanceof InitFailed) seenStates.push(error.state);
  return error;
}

async function anotherHost(config: Props = {}): Promise<Host> {
  const h = await startHost(consumer, { providerText: host.providerText });
  extraHosts.push(h);
  await h.configure({ "copass:apiUrl": emulator.url, "copass:apiKey": secret(API_KEY), ...config });
  return h;
}

beforeAll(async () => {
  // echoCredentialInHealthError: failed probes quote the token they sent, for the leak scan.
  emulator = await startEmulator({ apiKeys: [API_KEY], echoCredentialInHealthError: true });
  mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN_A } });
  host = await startHost(consumer);
  await host.configure({ "copass:apiUrl": emulator.url, "copass:apiKey": secret(API_KEY) });
});

afterAll(async () => {
  for (const h of extraHosts) await h.kill();
  await host?.kill();
  await mcp?.close();
  await emulator?.close();
});

describe("two stacks, one appNamespace", () => {
  it("refuses stack B's create, changes nothing at Copass, and leaves stack A's token working", async () => {
    const sb = "sb_two_stacks";
    // Stack A: registered and healthy with its own token.
    const a = (await up(host, undefined, program(sb, { appNamespace: "shared" }))).state;
    seenStates.push(a);
    expect(a.outputs.status).toBe("active");
    const before = (await api("GET", `/${sb}/sources/${a.id}`)).body;

    // Stack B: a copy of the project, same sandbox, same config, its own token.
    const from = emulator.requestLog().length;
    const error = await failureOf(
      up(host, undefined, program(sb, { appNamespace: "shared", token: TOKEN_B })),
    );

    // A plain failure, not "created but failed to initialize": no id reaches stack B's state.
    expect(error).toBeInstanceOf(HostError);
    expect((error as HostError).initFailed).toBeUndefined();
    const message = (error as HostError).details;
    expect(message).toContain(a.id);
    expect(message).toContain("status active");
    expect(message).toContain("another stack or person owns");
    expect(message).toContain("interrupted after Copass registered it");
    expect(message).toContain("adoptExisting: true");
    expect(message).toContain("choose another appNamespace");
    // The snapshot, the refused register and one read-only listing: no PATCH, no test.
    expect(opsSince(from, sb)).toEqual(["list", "register", "list"]);

    // Nothing changed at Copass, and A's token still opens A's MCP server.
    await expectStackAUntouched(sb, a, before);
  });
});

describe("a twin stack whose register answer is lost (issue 15 §2)", () => {
  it("refuses stack B naming A's source and adoptExisting; A's source, config and token untouched; B holds nothing to destroy", async () => {
    // mutation: drop `!before.has(row.data_source_id)` in src/client/register-fate.ts reconcile →
    // B's create succeeds with A's id (B's state would hold A's source, and destroying B would
    // disconnect A): this test fails.
    const sb = "sb_twin_502";
    // Stack A: registered and healthy with its own token.
    const a = (await up(host, undefined, program(sb, { appNamespace: "crm" }))).state;
    seenStates.push(a);
    const before = (await api("GET", `/${sb}/sources/${a.id}`)).body;

    // Stack B: a copy of the project with its own token. A proxy answers its register 502 without
    // reaching Copass (the emulator's status fault answers before the store runs).
    emulator.faults.inject({
      operation: "register",
      pathIncludes: `/${sb}/`,
      action: { kind: "status", status: 502 },
    });
    const from = emulator.requestLog().length;
    const error = await failureOf(up(host, undefined, program(sb, { appNamespace: "crm", token: TOKEN_B })));

    // A plain failure: no id reaches B's state, so B's `pulumi destroy` has nothing to revoke.
    expect(error).toBeInstanceOf(HostError);
    expect(error).not.toBeInstanceOf(InitFailed);
    expect((error as HostError).initFailed).toBeUndefined();
    const message = (error as HostError).details;
    expect(message).toContain(a.id);
    expect(message).toContain("another stack or person owns");
    expect(message).toContain("adoptExisting: true");
    // Snapshot, the register the proxy failed, the reconciling listing, the listing naming the holder.
    expect(opsSince(from, sb)).toEqual(["list", "register", "list", "list"]);

    // A is untouched: same row, one source, and its vaulted token is still A's.
    await expectStackAUntouched(sb, a, before);
  });

  it("finds its own source after a committed-then-lost register with appNamespace: exactly one source", async () => {
    // mutation: create's matcher in src/provider/provider.ts (`differingFields(row, inputs).length
    // === 0`) → `false` → the committed source counts as held by another: this test fails.
    const sb = "sb_twin_commit";
    emulator.faults.inject({
      operation: "register",
      pathIncludes: `/${sb}/`,
      action: { kind: "commit-then-drop" },
    });
    const from = emulator.requestLog().length;
    const b = (await up(host, undefined, program(sb, { appNamespace: "crm" }))).state;
    seenStates.push(b);
    expect(opsSince(from, sb)).toEqual(["list", "register", "list"]);
    const live = await sources(sb);
    expect(live.map((s) => s.data_source_id)).toEqual([b.id]);
    expect(b.outputs).toMatchObject({ dataSourceId: b.id, status: "active", appNamespace: "crm" });
    await destroy(host, b);
  });
});

describe("moving a source to another sandbox", () => {
  it("creates the new source before it deletes the old one", async () => {
    const p = program("sb_move_from", { appNamespace: "crm_move" });
    const old = (await up(host, undefined, p)).state;
    const moved = { ...p, sandboxId: "sb_move_to" };
    const planned = await plan(host, old, moved);
    expect(planned.step.op).toBe("replace");
    expect(planned.step.op === "replace" && planned.step.diff.deleteBeforeReplace).toBe(false);

    const from = emulator.requestLog().length;
    const replaced = (await up(host, old, moved)).state;
    seenStates.push(replaced);
    // Engine order for create-before-delete: the new register (after its snapshot), then the old revoke.
    const order = emulator
      .requestLog()
      .slice(from)
      .map((e) => `${e.operation}@${e.path.includes("/sb_move_to/") ? "to" : "from"}`);
    expect(order).toEqual(["list@to", "register@to", "revoke@from"]);
    expect(replaced.outputs).toMatchObject({
      status: "active",
      sandboxId: "sb_move_to",
      appNamespace: "crm_move",
    });
    expect((await api("GET", `/sb_move_from/sources/${old.id}`)).body.status).toBe("disconnected");
    await destroy(host, replaced);
  });

  it("leaves the old source active when the create in the new sandbox fails", async () => {
    const p = program("sb_move_keep", { appNamespace: "crm_keep" });
    const old = (await up(host, undefined, p)).state;
    // Copass refuses the new sandbox (a key without access to it, say), with an answer that
    // repeats the API key and the token it was sent (echoSecrets): the leak scan must see them.
    emulator.faults.inject({
      operation: "register",
      pathIncludes: "/sb_move_denied/",
      action: { kind: "status", status: 403, echoSecrets: true },
    });
    const error = await failureOf(up(host, old, { ...p, sandboxId: "sb_move_denied" }));
    expect(error).toBeInstanceOf(HostError);
    expect(error.message).toContain("403");
    expect(error.message).toContain("Authorization: Bearer [redacted] and token [redacted]");
    const kept = (await api("GET", `/sb_move_keep/sources/${old.id}`)).body;
    expect(kept.status).toBe("active");
    expect((await api("POST", `/sb_move_keep/sources/${old.id}/user-mcp/test`)).body.status).toBe("active");
    expect(await sources("sb_move_denied")).toHaveLength(0);
    await destroy(host, old);
  });
});

describe("a create interrupted after Copass registered the source, then run again", () => {
  it("is refused with the namespace message, and with adoptExisting takes the source over: exactly one", async () => {
    const sb = "sb_interrupted";
    // The MCP server is down, so the first create waits for health under require…
    const down = await startMcpServer({ auth: { kind: "bearer", token: TOKEN_A } });
    try {
      await down.stop();
      const p = program(sb, { appNamespace: "crm_interrupted", baseUrl: down.url });
      const first = await anotherHost();
      const checked = await first.check({}, p);
      const creating = first.create(checked.inputs).catch((e: unknown) => e);
      // …and is killed (Ctrl-C, a cancelled CI job) once Copass has registered the source.
      await registersFinished(sb, 1);
      expect(opsSince(0, sb)).toContain("register");
      await first.kill();
      expect(await creating).toBeInstanceOf(Error);
      await down.start();
      const registered = (await sources(sb)).filter((s) => s.status !== "disconnected");
      expect(registered).toHaveLength(1);

      // The re-run (no id in state): refused, naming the source, nothing changed.
      const from = emulator.requestLog().length;
      const error = await failureOf(up(host, undefined, p));
      expect((error as HostError).initFailed).toBeUndefined();
      expect((error as HostError).details).toContain(registered[0].data_source_id);
      expect((error as HostError).details).toContain("interrupted after Copass registered it");
      expect((error as HostError).details).toContain("adoptExisting: true");
      expect(opsSince(from, sb)).toEqual(["list", "register", "list"]);

      // With adoptExisting: the same source, taken over; still exactly one.
      const adopted = (await up(host, undefined, { ...p, adoptExisting: true })).state;
      seenStates.push(adopted);
      expect(adopted.id).toBe(registered[0].data_source_id);
      expect(adopted.outputs).toMatchObject({ dataSourceId: adopted.id, status: "active" });
      expect((await sources(sb)).filter((s) => s.status !== "disconnected")).toHaveLength(1);
      await destroy(host, adopted);
    } finally {
      await down.close();
    }
  });
});

describe("a register that commits after the client timed out, without appNamespace", () => {
  it("leaves at most one source: the create fails as 'may have been created', never POSTing twice", async () => {
    const sb = "sb_late_commit";
    // requestTimeoutSeconds 1 (undici fires it within ~1.5 s); the emulator commits at 2.5 s.
    const slow = await anotherHost({ "copass:requestTimeoutSeconds": "1" });
    emulator.faults.inject({
      operation: "register",
      pathIncludes: `/${sb}/`,
      action: { kind: "delay", ms: 2_500 },
    });
    const checked = await slow.check({}, program(sb));
    const error = await failureOf(slow.create(checked.inputs));
    expect(error).toBeInstanceOf(HostError);
    expect((error as HostError).initFailed).toBeUndefined();
    expect((error as HostError).details).toContain("may have been created");
    expect((error as HostError).details).toContain("set appNamespace");

    await registersFinished(sb, 1);
    expect(opsSince(0, sb).sort()).toEqual(["list", "list", "register"]);
    expect(await sources(sb)).toHaveLength(1);
  });
});

describe("a slow POST …/test (8 s per answer)", () => {
  it.each(["create", "update"])(
    "an unhealthy %s under require ends within healthTimeoutSeconds (2) + 1 s",
    async (step) => {
      const sb = `sb_slow_test_${step}`;
      const prior = step === "update" ? (await up(host, undefined, program(sb))).state : undefined;
      emulator.faults.inject({
        operation: "test",
        pathIncludes: `/${sb}/`,
        action: { kind: "delay", ms: 8_000 },
        times: Infinity,
      });
      try {
        const unhealthy = program(sb, { token: WRONG, healthTimeoutSeconds: 2 });
        const checked = await host.check(prior?.inputs ?? {}, unhealthy);
        const started = Date.now();
        const error = await failureOf(
          prior ? host.update(prior.id, prior.outputs, checked.inputs) : host.create(checked.inputs),
        );
        const elapsed = Date.now() - started;
        expect((error as HostError).initFailed, error.message).toBeDefined();
        expect(error.message).toContain("not healthy after 2s");
        console.log(`slow POST …/test: the unhealthy ${step} ended after ${elapsed} ms (budget 2 s)`);
        expect(elapsed).toBeLessThan(3_000);
        seenStates.push({
          id: (error as HostError).initFailed!.id,
          inputs: checked.inputs,
          outputs: (error as HostError).initFailed!.properties,
        });
      } finally {
        emulator.faults.reset();
      }
    },
  );
});

/*
 * Leak scan (DESIGN §6): runs last, over everything the tests above produced. The echoed 403 and
 * the echoing health probes give it secrets to find.
 * mutation: src/redact.ts `redact` returns its input unchanged → this scan fails (it passed before);
 * so does removing the healthError scrubs of provider.ts and health-wait.ts.
 */
it("never leaks a token or the API key", () => {
  const outputs = [host, ...extraHosts].map((h) => h.output());
  for (const s of ALL_SECRETS) {
    for (const out of outputs) expect(out.stdout + out.stderr).not.toContain(s);
    for (const message of seenErrors) expect(message).not.toContain(s);
  }
  expect(seenStates.length).toBeGreaterThan(3);
  for (const state of seenStates) {
    expect(JSON.stringify(state)).not.toContain(API_KEY);
    for (const [key, value] of Object.entries(state.outputs)) {
      if (key === "token") continue;
      for (const s of ALL_SECRETS) expect(JSON.stringify(value), `output ${key}`).not.toContain(s);
    }
  }
});
