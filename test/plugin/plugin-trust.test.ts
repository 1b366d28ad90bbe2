/**
 * The plugin keeps every promise the dynamic face keeps (issue 22, DESIGN §6), over gRPC the way the
 * engine calls it (the plugin as `npm pack` ships it), against the emulator and real MCP servers:
 * the provider's credentials come back secret from CheckConfig however they were set; a settings
 * change updates the provider and replaces nothing; a secret the program passed for any input comes
 * back wrapped from Create, Read and Update; an import's health error that may repeat a token nobody
 * knows is stored secret; a bare id on import names the id format; and Cancel ends a 300 s health
 * wait at once, the source kept in state.
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { HostError, secret, startHost, type Host, type Props } from "../support/pulumi-host";
import { untilRetesting } from "../support/emulator-log";
import { outOfBand } from "../support/out-of-band";
import { SECRET_SIG, SIG_KEY } from "../../src/plugin/secrets";

const API_KEY = "olk_TRUST_key_2f81c0aa9d";
const ENCRYPTION = "enc_TRUST_7c2b90e1f4";
const TOKEN = "tok-TRUST-good-5b0e7d";
const WRONG = "tok-TRUST-wrong-a93c41";

const consumer = inject("copassConsumerA");
const pluginMain = path.join(consumer, "node_modules", "pulumi-copass", "dist", "plugin", "main.js");

let emulator: Emulator;
let mcp: SampleMcpServer;
let plugin: Host;
const copass = outOfBand(() => emulator.url, API_KEY);

function isEnvelope(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Props)[SIG_KEY] === SECRET_SIG;
}

/** A plugin process configured for the emulator (each Cancel test needs its own: Cancel is for good). */
async function startPlugin(): Promise<Host> {
  const host = await startHost(consumer, { plugin: pluginMain, env: {} });
  await host.configure({ apiUrl: emulator.url, apiKey: secret(API_KEY) });
  return host;
}

function program(sandboxId: string, overrides: Props = {}): Props {
  return {
    sandboxId,
    name: "CRM tools",
    baseUrl: mcp.url,
    authKind: "bearer",
    token: TOKEN,
    healthPolicy: "warn",
    healthTimeoutSeconds: 0,
    ...overrides,
  };
}

beforeAll(async () => {
  // The emulator quotes the credential it sent in a failed probe's health_error (a Copass that
  // relays what the MCP server said): without it no health error could carry a token.
  emulator = await startEmulator({
    apiKeys: [API_KEY],
    probeTimeoutMs: 2_000,
    echoCredentialInHealthError: true,
  });
  mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
  plugin = await startPlugin();
});

afterAll(async () => {
  await plugin?.kill();
  await mcp?.close();
  await emulator?.close();
});

describe("the plugin's provider configuration", () => {
  it("comes back from CheckConfig with apiKey and encryptionToken secret, even when set in plain", async () => {
    const { inputs } = await plugin.checkConfig({
      apiUrl: emulator.url,
      apiKey: API_KEY,
      encryptionToken: ENCRYPTION,
      requestTimeoutSeconds: 12,
    });
    // Mutation: return the request's news from checkConfig (grpc-server.ts), or drop SECRET_SETTINGS
    // from handlers.checkConfig → both credentials come back plain, as the engine would store them.
    expect(inputs.apiKey).toEqual(secret(API_KEY));
    expect(inputs.encryptionToken).toEqual(secret(ENCRYPTION));
    expect(inputs.apiUrl).toBe(emulator.url);
    expect(inputs.requestTimeoutSeconds).toBe(12);
    expect(JSON.stringify(inputs).split(API_KEY)).toHaveLength(2); // once, inside its envelope
  });

  it("keeps a setting secret that the user made secret, and leaves an absent one absent", async () => {
    const { inputs } = await plugin.checkConfig({ apiUrl: secret(emulator.url), apiKey: secret(API_KEY) });
    expect(inputs).toEqual({ apiUrl: secret(emulator.url), apiKey: secret(API_KEY) });
  });

  it("diffs a changed apiUrl as an update of the provider that names it and replaces nothing", async () => {
    const olds = { apiUrl: "https://api.copass.id", apiKey: secret(API_KEY) };
    const moved = await plugin.diffConfig(olds, { ...olds, apiUrl: "https://eu.api.copass.id" });
    // Mutation: add the diffs to the replaces in grpc-server.ts diffConfig (a replaced provider would
    // replace every source under it), or empty the diffs → this fails.
    expect(moved).toEqual({ changes: "DIFF_SOME", diffs: ["apiUrl"], replaces: [] });
    // The same key, once plain and once secret, is no change.
    expect(await plugin.diffConfig(olds, { ...olds, apiKey: API_KEY })).toEqual({
      changes: "DIFF_NONE",
      diffs: [],
      replaces: [],
    });
  });
});

describe("secrets the program passed", () => {
  it("come back wrapped from Create, Read and Update, for an input that is not the token", async () => {
    const checked = (await plugin.check({}, program("sb_trust_wrap", { name: secret("Secret name") })))
      .inputs;
    expect(isEnvelope(checked.name)).toBe(true);
    // Mutation: `wrapSecrets(created.outs)` without `wanted.secretKeys` in handlers.create → name plain.
    const created = await plugin.create(checked);
    expect(created.properties.name).toEqual(secret("Secret name"));

    // Mutation: `secretKeysOf()` of neither state nor inputs in handlers.read → name comes back plain.
    const read = await plugin.read(created.id, created.properties, checked);
    expect(read.properties.name).toEqual(secret("Secret name"));
    expect(read.inputs?.name).toEqual(secret("Secret name"));

    await plugin.delete(created.id, read.properties);
  });

  it("come back wrapped from Update when the program makes a plain input secret", async () => {
    const plain = (await plugin.check({}, program("sb_trust_wrap_update"))).inputs;
    const created = await plugin.create(plain);
    expect(created.properties.name).toBe("CRM tools");
    const renamed = (await plugin.check({}, program("sb_trust_wrap_update", { name: secret("Renamed") })))
      .inputs;
    // Mutation: secretKeysOf(before) only in handlers.update → the new name comes back plain.
    const updated = await plugin.update(created.id, created.properties, renamed);
    expect(updated.properties.name).toEqual(secret("Renamed"));
    await plugin.delete(created.id, updated.properties);
  });
});

describe("pulumi import through the plugin", () => {
  it("stores the health error of a source whose token it cannot know as a secret", async () => {
    // Registered out of band with a token the MCP server refuses; Copass echoes it in health_error.
    const registered = await copass("POST", "/sb_trust_import/sources/user-mcp", {
      name: "Imported",
      base_url: mcp.url,
      auth_kind: "bearer",
      token: WRONG,
    });
    expect(registered.status).toBe(200);
    const id = `sb_trust_import/${registered.body.data_source_id as string}`;
    const imported = await plugin.read(id, {}, {});
    const healthError = imported.properties.healthError as Props;
    // The test could fail: the echoed token is really there, inside the envelope.
    expect(isEnvelope(healthError)).toBe(true);
    expect(String(healthError.value)).toContain(WRONG);
    // Mutation: drop `unscrubbableKeys(outs)` from handlers.read → the token sits in plain text.
    expect(JSON.stringify({ ...imported.properties, healthError: null })).not.toContain(WRONG);

    // The next refresh, still without a token in state, keeps it secret too.
    const again = await plugin.read(id, imported.properties, imported.inputs);
    expect(isEnvelope(again.properties.healthError)).toBe(true);
  });

  it("answers a bare id with the <sandboxId>/<dataSourceId> format, not the dynamic face's advice", async () => {
    for (const bare of ["ds_abc123", "/ds_abc123", "sb_trust/"]) {
      const error = await plugin.read(bare, {}, {}).catch((e: unknown) => e);
      // Mutation: remove the bare-id check in handlers.read → "pulumi import does not work for dynamic resources".
      expect(error).toBeInstanceOf(HostError);
      expect((error as HostError).message).toContain("<sandboxId>/<dataSourceId>");
      expect((error as HostError).message).not.toContain("dynamic resources");
    }
  });
});

describe("Cancel", () => {
  it("ends a 300 s health wait within seconds, the source kept in state (init failed, status unknown)", async () => {
    const cancelled = await startPlugin();
    try {
      const inputs = (
        await cancelled.check(
          {},
          program("sb_trust_cancel", { token: WRONG, healthPolicy: "require", healthTimeoutSeconds: 300 }),
        )
      ).inputs;
      emulator.clearRequestLog();
      const creating = cancelled.create(inputs).catch((e: unknown) => e);
      await untilRetesting(emulator, 20_000);
      const interrupted = Date.now();
      await cancelled.cancel();
      const error = await creating;
      const tookMs = Date.now() - interrupted;
      // Mutation: make the plugin's cancel a no-op (grpc-server.ts) → the create runs on for 300 s
      // and this test times out; drop `cancel` from the health wait (provider.ts healthWait) → same.
      expect(tookMs).toBeLessThan(5_000);
      expect(error).toBeInstanceOf(HostError);
      const failed = (error as HostError).initFailed;
      expect(failed?.id).toMatch(/^sb_trust_cancel\/.+/);
      expect(failed?.properties).toMatchObject({ status: "unknown" });
      expect(String(failed?.properties.healthError)).toContain("cancelled");
      expect(isEnvelope(failed?.properties.token)).toBe(true);

      // The next `pulumi up` (a new plugin process) sees health drift and heals it with the good token.
      const next = await startPlugin();
      try {
        const fixed = (
          await next.check(
            {},
            program("sb_trust_cancel", { healthPolicy: "require", healthTimeoutSeconds: 30 }),
          )
        ).inputs;
        const diff = await next.diff(failed!.id, failed!.properties, fixed);
        expect(diff.changes).toBe("DIFF_SOME");
        const healed = await next.update(failed!.id, failed!.properties, fixed);
        expect(healed.properties).toMatchObject({ status: "active", healthError: null });
        await next.delete(failed!.id, healed.properties);
      } finally {
        await next.kill();
      }
    } finally {
      await cancelled.kill();
    }
  });
});
