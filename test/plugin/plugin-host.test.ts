/**
 * The `copass` plugin (pulumi-resource-copass, as `npm pack` ships it) over gRPC, the way the
 * engine calls it, against the emulator and a real MCP server, next to the dynamic face (Pulumi's
 * dynamic-provider host in the same consumer project). Both faces get the same program; the tests
 * hold them to the same answers and check what only the plugin can do: secrets as envelopes both
 * ways, a detailed diff, the provider config from Configure, a read by id alone (`pulumi import`).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { HostError, secret, startHost, type Host, type Props } from "../support/pulumi-host";
import { SECRET_SIG, SIG_KEY } from "../../src/plugin/secrets";

const API_KEY = "olk_PLUGIN_KEY_5e61aa90beef";
const TOKEN = "tok_PLUGIN_main_77c1e2";
const ROTATED = "tok_PLUGIN_rotated_0d9f3b";
const SECRETS = [API_KEY, TOKEN, ROTATED];

const consumer = inject("copassConsumerA");
const pluginMain = path.join(consumer, "node_modules", "pulumi-copass", "dist", "plugin", "main.js");

let emulator: Emulator;
let mcp: SampleMcpServer;
let plugin: Host;
let dynamic: Host;

/** A warn policy: a rotated token the MCP server refuses is recorded, the same way on both faces. */
function program(sandboxId: string, overrides: Props = {}): Props {
  const base = { sandboxId, name: "CRM tools", baseUrl: mcp.url, authKind: "bearer", token: TOKEN };
  return { ...base, healthPolicy: "warn", healthTimeoutSeconds: 0, ...overrides };
}

/** A value as the engine sends a secret. */
function isEnvelope(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Props)[SIG_KEY] === SECRET_SIG;
}

/** Envelopes opened, `__provider` dropped: what both faces should agree on. */
function opened(props: Props): Props {
  const out: Props = {};
  for (const [key, value] of Object.entries(props)) {
    if (key === "__provider") continue;
    out[key] = isEnvelope(value) ? (value as Props).value : value;
  }
  return out;
}

beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: [API_KEY] });
  mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
  const env = { COPASS_API_KEY: API_KEY, COPASS_API_URL: emulator.url };
  plugin = await startHost(consumer, { plugin: pluginMain, env: {} });
  dynamic = await startHost(consumer, { env });
  // The plugin gets its endpoint and key from Configure (the provider's inputs), not the env.
  await plugin.configure({ apiUrl: emulator.url, apiKey: secret(API_KEY) });
  await dynamic.configure({});
});

afterAll(async () => {
  await plugin?.kill();
  await dynamic?.kill();
  await mcp?.close();
  await emulator?.close();
});

describe("the copass plugin", () => {
  it("serves the shipped schema.json from GetSchema, and the package version", async () => {
    const shipped = readFileSync(path.join(consumer, "node_modules", "pulumi-copass", "schema.json"), "utf8");
    const info = await plugin.getPluginInfo();
    expect(info.version).toBe(JSON.parse(shipped).version);
  });

  it("checks like the dynamic face: same failures, and the token comes back as a secret", async () => {
    const bad = program("sb_plugin_check", { baseUrl: "http://example.com/mcp", token: secret(TOKEN) });
    const [viaPlugin, viaDynamic] = await Promise.all([
      plugin.check({}, bad),
      dynamic.check({}, opened(bad)),
    ]);
    expect(viaPlugin.failures).toEqual(viaDynamic.failures);
    expect(viaPlugin.failures.map((f) => f.property)).toEqual(["baseUrl"]);

    const good = await plugin.check({}, program("sb_plugin_check", { token: TOKEN }));
    expect(good.failures).toEqual([]);
    // Passed as plain text, returned as a secret: the table marks token secret (mutation: drop
    // SECRET_FIELDS from wrapSecrets → plain token).
    expect(isEnvelope(good.inputs.token)).toBe(true);
    expect(opened(good.inputs)).toEqual(opened((await dynamic.check({}, program("sb_plugin_check"))).inputs));
  });

  it("creates, reads, updates and deletes with the same outputs as the dynamic face", async () => {
    const [a, b] = ["sb_plugin_same_a", "sb_plugin_same_b"];
    const viaPlugin = await plugin.create((await plugin.check({}, program(a))).inputs);
    const viaDynamic = await dynamic.create((await dynamic.check({}, program(b))).inputs);
    // The plugin's id names the sandbox too, so that `pulumi import` needs nothing else.
    expect(viaPlugin.id).toBe(`${a}/${viaPlugin.properties.dataSourceId as string}`);
    expect(isEnvelope(viaPlugin.properties.token)).toBe(true);
    const comparable = (p: Props, sandboxId: string) => {
      const { dataSourceId: _i, appNamespace: _n, tenantId: _t, ...rest } = opened(p);
      return { ...rest, sandboxId: rest.sandboxId === sandboxId ? "same" : rest.sandboxId };
    };
    expect(comparable(viaPlugin.properties, a)).toEqual(comparable(viaDynamic.properties, b));

    const readP = await plugin.read(viaPlugin.id, viaPlugin.properties);
    const readD = await dynamic.read(viaDynamic.id, viaDynamic.properties);
    expect(readP.id).toBe(viaPlugin.id);
    expect(isEnvelope(readP.properties.token)).toBe(true);
    expect(isEnvelope(readP.inputs?.token)).toBe(true);
    expect(comparable(readP.properties, a)).toEqual(comparable(readD.properties, b));

    // A token rotation: an update in place that names `token` (the engine masks its value).
    const rotateP = (await plugin.check({}, program(a, { token: secret(ROTATED) }))).inputs;
    // The engine opens secrets for the dynamic host, which does not accept them.
    const rotateD = (await dynamic.check({}, program(b, { token: ROTATED }))).inputs;
    const diffP = await plugin.diff(viaPlugin.id, readP.properties, rotateP);
    const diffD = await dynamic.diff(viaDynamic.id, readD.properties, rotateD);
    expect(diffP).toEqual({ ...diffD, detailed: { token: "UPDATE" } });

    const updP = await plugin.update(viaPlugin.id, readP.properties, rotateP);
    const updD = await dynamic.update(viaDynamic.id, readD.properties, rotateD);
    expect(isEnvelope(updP.properties.token)).toBe(true);
    expect(opened(updP.properties)).toMatchObject({ token: ROTATED, status: "error" });
    expect(comparable(updP.properties, a)).toEqual(comparable(updD.properties, b));

    await plugin.delete(viaPlugin.id, updP.properties);
    await dynamic.delete(viaDynamic.id, updD.properties);
    // Revoked (deletionPolicy revoke): the row stays at Copass, disconnected.
    const revoked = await plugin.read(viaPlugin.id, updP.properties);
    expect(opened(revoked.properties).status).toBe("disconnected");
  });

  it("keeps a source it registered whose health fails, with the token still a secret (init failed)", async () => {
    const inputs = (
      await plugin.check({}, program("sb_plugin_init", { token: ROTATED, healthPolicy: "require" }))
    ).inputs;
    const error = await plugin.create(inputs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostError);
    const failed = (error as HostError).initFailed;
    expect(failed?.id).toMatch(/^sb_plugin_init\/.+/);
    // Mutation: pass error.properties through unwrapped in handlers.ts keepingInitFailure → plain token.
    expect(isEnvelope(failed?.properties.token)).toBe(true);
    await plugin.delete(failed!.id, failed!.properties);
  });

  it("names each changed property in its diff, and the ones that replace", async () => {
    const created = await plugin.create((await plugin.check({}, program("sb_plugin_diff"))).inputs);
    const moved = (await plugin.check({}, program("sb_plugin_diff_2", { name: "Renamed" }))).inputs;
    const diff = await plugin.diff(created.id, created.properties, moved);
    expect(diff.changes).toBe("DIFF_SOME");
    expect(diff.replaces).toEqual(["sandboxId"]);
    expect(diff.detailed).toEqual({ sandboxId: "UPDATE_REPLACE", name: "UPDATE" });

    const same = (await plugin.check({}, program("sb_plugin_diff"))).inputs;
    expect(await plugin.diff(created.id, created.properties, same)).toMatchObject({
      changes: "DIFF_NONE",
      detailed: {},
    });
    await plugin.delete(created.id, created.properties);
  });

  it("reads a source by its id alone, as `pulumi import` does, giving inputs a program can hold", async () => {
    const open = await startMcpServer({ auth: { kind: "none" } });
    try {
      // What a program would declare: no token (authKind none), every policy at its default.
      const declared = {
        sandboxId: "sb_plugin_import",
        name: "Open tools",
        baseUrl: open.url,
        authKind: "none",
      };
      const created = await plugin.create((await plugin.check({}, declared)).inputs);
      const imported = await plugin.read(created.id, {}, {});
      expect(imported.id).toBe(created.id);
      expect(imported.inputs).toMatchObject(declared);
      expect(opened(imported.properties)).toMatchObject({
        status: "active",
        dataSourceId: created.properties.dataSourceId,
      });
      // The imported state diffs clean against that program: the next preview is empty.
      const again = (await plugin.check({}, declared)).inputs;
      expect(await plugin.diff(created.id, imported.properties, again)).toMatchObject({
        changes: "DIFF_NONE",
        detailed: {},
      });
      await plugin.delete(created.id, imported.properties);
    } finally {
      await open.close();
    }
  });

  it("reads an id the sandbox does not list as gone (the import then says not found), inventing no state", async () => {
    const missing = await plugin.read("sb_plugin_none/ds_missing", {}, {});
    expect(missing).toEqual({ id: "", properties: {}, inputs: undefined });
  });

  it("never writes the key or a token into what it says", async () => {
    const { stdout, stderr } = plugin.output();
    for (const s of SECRETS) expect(stdout + stderr).not.toContain(s);
  });
});
