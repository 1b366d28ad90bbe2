/**
 * The engine's resource options on a UserMcpSource, through the real Pulumi CLI (DESIGN §2:
 * "protect and retainOnDelete are engine options and work as usual"): `protect` makes destroy
 * refuse without calling Copass, `ignoreChanges` hides a changed input from the plan, and
 * `retainOnDelete` drops the source from the stack while it stays active at Copass.
 */
import { copyFile, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { startCli, type Cli } from "./cli";
import {
  API_KEY,
  SECRETS,
  TOKEN,
  findSource,
  initStack,
  listSources,
  ok,
  FLAT_PULUMI_YAML,
} from "./fixtures";

const bin = inject("e2eBin");
const skip = inject("e2eSkip");
const SANDBOX = "sb_e2e_options";

/** A TypeScript program whose resource options come from stack config. */
const program = `import * as pulumi from "@pulumi/pulumi";
import { UserMcpSource } from "pulumi-copass";

const cfg = new pulumi.Config();
new UserMcpSource(
  "crm",
  {
    sandboxId: cfg.require("sandboxId"),
    name: cfg.get("name") ?? "CRM tools",
    baseUrl: cfg.require("mcpUrl"),
    authKind: "bearer",
    token: cfg.requireSecret("crmMcpToken"),
    appNamespace: "crm",
  },
  {
    protect: cfg.getBoolean("protect") ?? false,
    retainOnDelete: cfg.getBoolean("retainOnDelete") ?? false,
    ignoreChanges: cfg.getObject<string[]>("ignoreChanges") ?? [],
  },
);
`;

let emulator: Emulator;
let mcp: SampleMcpServer;
let cli: Cli;
let project = "";

async function optionsProject(installed: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "copass-e2e-options-"));
  await writeFile(path.join(dir, "Pulumi.yaml"), FLAT_PULUMI_YAML);
  await copyFile(path.join(installed, "package.json"), path.join(dir, "package.json"));
  await copyFile(path.join(installed, "examples", "basic", "tsconfig.json"), path.join(dir, "tsconfig.json"));
  await symlink(path.join(installed, "node_modules"), path.join(dir, "node_modules"), "dir");
  await writeFile(path.join(dir, "index.ts"), program);
  return dir;
}

function opsSince(before: number): string[] {
  return emulator
    .requestLog()
    .slice(before)
    .map((e) => e.operation);
}

describe.skipIf(skip !== "")(
  `resource options through the real Pulumi CLI${skip ? ` (skipped: ${skip})` : ""}`,
  () => {
    beforeAll(async () => {
      emulator = await startEmulator({ apiKeys: [API_KEY] });
      mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
      project = await optionsProject(inject("e2eProject"));
      cli = await startCli(bin, project);
      await initStack(cli, "options", {
        apiUrl: emulator.url,
        sandboxId: SANDBOX,
        mcpUrl: mcp.url,
        token: TOKEN,
      });
      await ok(cli, ["config", "set", "protect", "true"]);
      await ok(cli, ["config", "set", "--path", "ignoreChanges[0]", "name"]);
      await ok(cli, ["up", "--yes"]);
    });

    afterAll(async () => {
      await cli?.close();
      await mcp?.close();
      await emulator?.close();
      if (project) await rm(project, { recursive: true, force: true });
    });

    it("ignoreChanges: a renamed source plans no change and up sends nothing to Copass", async () => {
      await ok(cli, ["config", "set", "name", "CRM tools (renamed)"]);
      const gate = await cli.pulumi(["preview", "--expect-no-changes"]);
      expect(gate.code, gate.stdout + gate.stderr).toBe(0);
      const before = emulator.requestLog().length;
      await ok(cli, ["up", "--yes"]);
      expect(opsSince(before)).toEqual([]);
      expect((await listSources(emulator, SANDBOX)).map((s) => s.name)).toEqual(["CRM tools"]);
    });

    it("protect: destroy refuses, naming the protected resource, and Copass is not called", async () => {
      const before = emulator.requestLog().length;
      const r = await cli.pulumi(["destroy", "--yes"]);
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/protected/i);
      expect(opsSince(before)).toEqual([]);
      expect((await listSources(emulator, SANDBOX)).map((s) => s.status)).toEqual(["active"]);
    });

    it("retainOnDelete: destroy drops the source from the stack but leaves it active at Copass", async () => {
      await ok(cli, ["config", "set", "protect", "false"]);
      await ok(cli, ["config", "set", "retainOnDelete", "true"]);
      await ok(cli, ["up", "--yes"]);
      const before = emulator.requestLog().length;
      await ok(cli, ["destroy", "--yes"]);
      expect(opsSince(before)).not.toContain("revoke");
      expect(findSource(JSON.parse(await ok(cli, ["stack", "export"])))).toBeUndefined();
      expect((await listSources(emulator, SANDBOX)).map((s) => s.status)).toEqual(["active"]);
    });

    it("no CLI output contains the token or the API key", () => {
      for (const out of cli.outputs) {
        for (const s of SECRETS) expect(out).not.toContain(s);
      }
    });
  },
);
