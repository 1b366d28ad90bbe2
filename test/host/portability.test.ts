/**
 * State moves between machines (DESIGN §4): what a host in consumer project A wrote is refreshed
 * and destroyed by a host in project B, which has its own install of the package. Nothing in
 * state (`__provider` included) may point into A's folder.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { destroy, refresh, up, type State } from "../support/engine";
import { startHost, type Host } from "../support/pulumi-host";

const API_KEY = "olk_PORTABLE_KEY_3e9d51";
const TOKEN = "tok_PORTABLE_b7c2a4";
const consumerA = inject("copassConsumerA");
const consumerB = inject("copassConsumerB");

let emulator: Emulator;
let mcp: SampleMcpServer;
let hostA: Host;
let hostB: Host;

beforeAll(async () => {
  if (!consumerB) throw new Error("needs a second consumer project: run it without COPASS_TEST_CONSUMER");
  emulator = await startEmulator({ apiKeys: [API_KEY] });
  mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
  // Settings from the environment this time (DESIGN §3's fallback), as a CI runner would set them.
  const env = { COPASS_API_URL: emulator.url, COPASS_API_KEY: API_KEY };
  [hostA, hostB] = await Promise.all([startHost(consumerA, { env }), startHost(consumerB, { env })]);
  await Promise.all([hostA.configure({}), hostB.configure({})]);
});

afterAll(async () => {
  await Promise.all([hostA?.kill(), hostB?.kill()]);
  await mcp?.close();
  await emulator?.close();
});

describe("state portability", () => {
  it("refreshes and destroys from a second project what the first one created", async () => {
    expect(consumerA).not.toBe(consumerB);
    // Create in project A.
    const { state } = await up(hostA, undefined, {
      sandboxId: "sb_portable",
      name: "portable",
      baseUrl: mcp.url,
      authKind: "bearer",
      token: TOKEN,
    });
    expect(state.outputs.status).toBe("active");
    // The serialized provider both projects produce is the same text, with no path in it.
    expect(hostB.providerText).toBe(hostA.providerText);
    expect(JSON.stringify(state)).not.toContain(consumerA);

    // Refresh in project B, from A's state.
    const read = (await refresh(hostB, state)) as State;
    expect(read.id).toBe(state.id);
    expect(read.outputs).toMatchObject({ status: "active", token: TOKEN, name: "portable" });

    // Destroy in project B.
    await destroy(hostB, read);
    const res = await fetch(`${emulator.url}/api/v1/storage/sandboxes/sb_portable/sources/${state.id}`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(((await res.json()) as { status: string }).status).toBe("disconnected");

    for (const h of [hostA, hostB]) {
      const out = h.output();
      expect(out.stdout + out.stderr).not.toContain(TOKEN);
      expect(out.stdout + out.stderr).not.toContain(API_KEY);
    }
  });
});
