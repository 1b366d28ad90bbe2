/**
 * A preview (Check + Diff) loads no HTTP client (issue 11): the client module and undici are
 * required on the first call that needs the API, so a `pulumi preview` of many stacks does not
 * pay for loading them. Checked in Pulumi's real dynamic-provider host: a `--require` preload
 * dumps the host's `require.cache` when it is stopped. The second test is the control: a Create
 * in the same setup does load undici, so the dump would see it.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { secret, startHost, type Host, type Props } from "../support/pulumi-host";

const API_KEY = "olk_PREVIEW_LOADS_3e1f77";
const TOKEN = "tok_PREVIEW_LOADS_a90c12";
const consumer = inject("copassConsumerA");

const preload = `
const fs = require("node:fs");
process.on("SIGTERM", () => {
  fs.writeFileSync(process.env.COPASS_TEST_MODULE_DUMP, JSON.stringify(Object.keys(require.cache)));
  process.exit(0);
});
`;

let dir: string;
let emulator: Emulator;
let mcp: SampleMcpServer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "copass-preview-loads-"));
  await writeFile(path.join(dir, "preload.js"), preload);
  emulator = await startEmulator({ apiKeys: [API_KEY] });
  mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
});

afterAll(async () => {
  await mcp?.close();
  await emulator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs `steps` in a fresh host and returns the modules it had loaded when stopped. */
async function modulesAfter(label: string, steps: (host: Host) => Promise<void>): Promise<string[]> {
  const dump = path.join(dir, `${label}.json`);
  const host = await startHost(consumer, {
    env: {
      NODE_OPTIONS: `--require ${path.join(dir, "preload.js")}`,
      COPASS_TEST_MODULE_DUMP: dump,
    },
  });
  try {
    await host.configure({ "copass:apiUrl": emulator.url, "copass:apiKey": secret(API_KEY) });
    await steps(host);
  } finally {
    await host.kill();
  }
  return JSON.parse(await readFile(dump, "utf8")) as string[];
}

const program = (): Props => ({
  sandboxId: "sb_preview_loads",
  name: "CRM tools",
  baseUrl: mcp.url,
  authKind: "bearer",
  token: TOKEN,
  appNamespace: "crm",
});

const undiciModules = (modules: string[]) =>
  modules.filter((m) => /[\\/]node_modules[\\/]undici[\\/]/.test(m));
const ourModules = (modules: string[]) =>
  modules
    .filter((m) => /[\\/]node_modules[\\/]pulumi-copass[\\/]dist[\\/]/.test(m))
    .map((m) => path.basename(m));

describe("a preview in Pulumi's host", () => {
  it("runs check and diff without loading undici or the Copass client", { timeout: 90_000 }, async () => {
    const modules = await modulesAfter("preview", async (host) => {
      const { inputs, failures } = await host.check({}, program());
      expect(failures).toEqual([]);
      // Stored state as after a healthy create: the checked inputs plus the outputs.
      const state = { ...inputs, dataSourceId: "id_1", status: "active", healthError: null };
      expect((await host.diff("id_1", state, inputs)).changes).toBe("DIFF_NONE");
    });
    // The dump is real: our provider was loaded and ran.
    expect(ourModules(modules)).toContain("provider.js");
    expect(ourModules(modules)).not.toContain("client.js");
    expect(undiciModules(modules)).toEqual([]);
  });

  it(
    "loads undici once a call needs the API (the control: the dump would see it)",
    { timeout: 90_000 },
    async () => {
      const modules = await modulesAfter("create", async (host) => {
        const { inputs } = await host.check({}, program());
        const created = await host.create(inputs);
        expect(created.properties.status).toBe("active");
        await host.delete(created.id, created.properties);
      });
      expect(ourModules(modules)).toContain("client.js");
      expect(undiciModules(modules).length).toBeGreaterThan(0);
    },
  );
});
