/**
 * The self-contained plugin executables `npm run dist` puts in release/ (issue 23), started the
 * way the engine starts a downloaded plugin but with nothing around them: an empty environment
 * (`env -i`: no PATH, so no node; no NODE_OPTIONS), an empty working folder, no node_modules.
 * linux-amd64 runs natively; linux-arm64 under Debian's qemu-user-static. The gRPC client is
 * @pulumi/pulumi's, from the repository (test/support/pulumi-host.ts).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { repoRoot, secret, startHost, type Host } from "../support/pulumi-host";

const { version } = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
  version: string;
};
const release = path.join(repoRoot, "release");
const API_KEY = "olk_DIST_EXE_KEY_41c7aa03";
const TOKEN = "tok_DIST_EXE_1d05e9b2";

/** A target's tarball unpacked into a fresh folder; returns the folder. */
function unpack(target: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `copass-${target}-`));
  const tarball = path.join(release, `pulumi-resource-copass-v${version}-${target}.tar.gz`);
  const r = spawnSync("tar", ["-xzf", tarball, "-C", dir], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tar -xzf ${tarball}: ${r.stderr}`);
  return dir;
}

const folders: string[] = [];
function scratch(target: string): string {
  const dir = unpack(target);
  folders.push(dir);
  return dir;
}
afterAll(() => folders.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe("the linux-amd64 executable, started with an empty environment", () => {
  let exe: string;
  let empty: string;
  let plugin: Host;
  let emulator: Emulator;
  let mcp: SampleMcpServer;

  beforeAll(async () => {
    exe = path.join(scratch("linux-amd64"), "pulumi-resource-copass");
    empty = mkdtempSync(path.join(os.tmpdir(), "copass-empty-"));
    folders.push(empty);
    emulator = await startEmulator({ apiKeys: [API_KEY] });
    mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
    // `env: {}`: nothing inherited, as `env -i`; cwd: a folder with nothing in it.
    plugin = await startHost(repoRoot, { exec: [exe], env: {}, cwd: empty });
  });

  afterAll(async () => {
    await plugin?.kill();
    await mcp?.close();
    await emulator?.close();
  });

  it("prints its port and answers GetPluginInfo with the package's version (embedded at build time)", async () => {
    expect(plugin.port).toBeGreaterThan(0);
    expect(await plugin.getPluginInfo()).toEqual({ version });
  });

  it("answers GetSchema with schema.json, byte for byte (embedded at build time)", async () => {
    expect(await plugin.getSchema()).toBe(readFileSync(path.join(repoRoot, "schema.json"), "utf8"));
  });

  it("configures, checks (zod's rules, bundled) and names a bad property", async () => {
    await plugin.configure({ apiUrl: emulator.url, apiKey: secret(API_KEY) });
    const program = {
      sandboxId: "sb_dist",
      name: "CRM tools",
      baseUrl: mcp.url,
      authKind: "bearer",
      token: TOKEN,
    };
    const good = await plugin.check({}, program);
    expect(good.failures).toEqual([]);
    const bad = await plugin.check({}, { ...program, baseUrl: "http://example.com/mcp" });
    expect(bad.failures.map((f) => f.property)).toEqual(["baseUrl"]);
  });

  it("registers and deletes a source at the emulator (the bundled undici client over loopback)", async () => {
    const program = {
      sandboxId: "sb_dist_create",
      name: "CRM tools",
      baseUrl: mcp.url,
      authKind: "bearer",
      token: TOKEN,
      healthTimeoutSeconds: 30,
    };
    const { inputs } = await plugin.check({}, program);
    const created = await plugin.create(inputs);
    expect(created.id).toMatch(/^sb_dist_create\//);
    expect(created.properties).toMatchObject({ status: "active" });
    await plugin.delete(created.id, created.properties);
    const { stdout, stderr } = plugin.output();
    for (const secretText of [API_KEY, TOKEN]) expect(stdout + stderr).not.toContain(secretText);
  });

  it("ignores the user's NODE_OPTIONS (meant for their program, e.g. a --require it cannot resolve)", async () => {
    // Mutation: execArgvExtension "env" in scripts/packaging/sea.mjs → the executable exits with
    // "Cannot find module" before printing its port.
    const withOptions = await startHost(repoRoot, {
      exec: [exe],
      env: { NODE_OPTIONS: "--require ./no-such-module.js" },
      cwd: empty,
    });
    try {
      expect(await withOptions.getPluginInfo()).toEqual({ version });
    } finally {
      await withOptions.kill();
    }
  });
});

/** Debian's qemu-user-static and the arm64 C libraries (.ci/run installs them when it can). */
const qemu = "/usr/bin/qemu-aarch64-static";
const arm64Libs = "/usr/aarch64-linux-gnu";
const noQemu =
  existsSync(qemu) && existsSync(path.join(arm64Libs, "lib", "libstdc++.so.6"))
    ? undefined
    : `${qemu} or the arm64 C libraries in ${arm64Libs} are missing (apt-get install qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross)`;

describe("the linux-arm64 executable", () => {
  it("starts under qemu-aarch64 with an empty environment and answers GetPluginInfo with the package's version", async (ctx) => {
    if (noQemu) ctx.skip(noQemu);
    const exe = path.join(scratch("linux-arm64"), "pulumi-resource-copass");
    // An ELF whose e_machine (bytes 18-19) is EM_AARCH64 (183): not the build machine's x64.
    const header = readFileSync(exe).subarray(0, 20);
    expect(header.subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    expect(header.readUInt16LE(18)).toBe(183);
    const plugin = await startHost(repoRoot, {
      exec: [qemu, "-L", arm64Libs, exe],
      env: {},
      callTimeoutMs: 60_000,
    });
    try {
      expect(await plugin.getPluginInfo()).toEqual({ version });
    } finally {
      await plugin.kill();
    }
  });
});
