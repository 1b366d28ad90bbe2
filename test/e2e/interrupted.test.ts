/**
 * An `up` killed mid-create (SIGKILL to the CLI's process group, as a lost CI runner), then what a
 * user does next, through the real Pulumi CLI: docs/lifecycle.md "What each command does" and DESIGN §2
 * (adoption is explicit only). The create is caught while it waits for an unreachable MCP server
 * (healthPolicy "require", 120 s): the source is registered at Copass, the engine has recorded
 * only a pending create.
 */
import { mkdtemp, readFile, rm, symlink, writeFile, copyFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { untilRetesting } from "../support/emulator-log";
import { killGroup, killStrays, startCli, type Cli } from "./cli";
import { API_KEY, SECRETS, TOKEN, initStack, listSources, ok, FLAT_PULUMI_YAML } from "./fixtures";

const bin = inject("e2eBin");
const skip = inject("e2eSkip");
const SANDBOX = "sb_e2e_interrupted";

let emulator: Emulator;
let mcp: SampleMcpServer;
let cli: Cli;
let project = "";

/**
 * examples/basic with one line added: `adoptExisting` from stack config, so the test can take the
 * user's way out without editing the program. Shares the installed node_modules.
 */
async function adoptableCopy(installed: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "copass-e2e-interrupted-"));
  await writeFile(path.join(dir, "Pulumi.yaml"), FLAT_PULUMI_YAML);
  await copyFile(path.join(installed, "package.json"), path.join(dir, "package.json"));
  await copyFile(path.join(installed, "examples", "basic", "tsconfig.json"), path.join(dir, "tsconfig.json"));
  await symlink(path.join(installed, "node_modules"), path.join(dir, "node_modules"), "dir");
  const program = await readFile(path.join(installed, "examples", "basic", "index.ts"), "utf8");
  const anchor = "  healthTimeoutSeconds: 120,\n";
  if (!program.includes(anchor))
    throw new Error("examples/basic/index.ts no longer sets healthTimeoutSeconds: 120");
  await writeFile(
    path.join(dir, "index.ts"),
    program.replace(anchor, `${anchor}  adoptExisting: cfg.getBoolean("adoptExisting") ?? false,\n`),
  );
  return dir;
}

describe.skipIf(skip !== "")(`an interrupted pulumi up${skip ? ` (skipped: ${skip})` : ""}`, () => {
  beforeAll(async () => {
    emulator = await startEmulator({ apiKeys: [API_KEY] });
    mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
    project = await adoptableCopy(inject("e2eProject"));
    cli = await startCli(bin, project);
    await initStack(cli, "interrupted", {
      apiUrl: emulator.url,
      sandboxId: SANDBOX,
      mcpUrl: mcp.url,
      token: TOKEN,
    });
  });

  afterAll(async () => {
    if (project) await killStrays(project);
    await cli?.close();
    await mcp?.close();
    await emulator?.close();
    if (project) await rm(project, { recursive: true, force: true });
  });

  it("killed while the create waits for health: the source exists at Copass, the stack holds a pending create", async () => {
    await mcp.stop();
    const up = cli.start(["up", "--yes"]);
    await untilRetesting(emulator, 180_000);
    killGroup(up.pgid);
    const killed = await up.done;
    expect(killed.code).toBeNull(); // ended by the signal
    // The plugins the engine started are orphans now (their own process groups): a lost runner
    // takes them along, so the test does too.
    await killStrays(project);

    const sources = await listSources(emulator, SANDBOX);
    expect(sources.map((s) => [s.status, s.adapter_config.app_namespace])).toEqual([["error", "crm"]]);
    const exported = JSON.parse(await ok(cli, ["stack", "export"])) as {
      deployment: {
        resources?: { type: string }[];
        pending_operations?: { type: string; resource: { urn: string } }[];
      };
    };
    expect((exported.deployment.resources ?? []).filter((r) => r.type.endsWith("UserMcpSource"))).toEqual([]);
    expect(
      exported.deployment.pending_operations?.map((op) => [op.type, op.resource.urn.split("::").pop()]),
    ).toEqual([["creating", "crm"]]);
  });

  it("the next up is refused while the dead run's lock stands, naming `pulumi cancel`", async () => {
    await mcp.start();
    const r = await cli.pulumi(["up", "--yes"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/currently locked[\s\S]*pulumi cancel/);
    await ok(cli, ["cancel", "--yes"]);
  });

  it("after `pulumi cancel`, up refuses the taken namespace, naming the holder and adoptExisting (DESIGN §2)", async () => {
    const [holder] = await listSources(emulator, SANDBOX);
    const r = await cli.pulumi(["up", "--yes"]);
    const out = r.stdout + r.stderr;
    expect(r.code, out).not.toBe(0);
    // The engine warns about the interrupted create it cannot resolve on its own.
    expect(out).toMatch(/interrupted while creating/);
    expect(out).toContain(holder!.data_source_id);
    expect(out).toContain("adoptExisting");
    // Nothing registered, patched or tested: the holder is as the killed run left it.
    expect(await listSources(emulator, SANDBOX)).toEqual([holder]);
  });

  it("with adoptExisting: true the next up takes the source over: exactly one, active, in the stack", async () => {
    await ok(cli, ["config", "set", "adoptExisting", "true"]);
    await ok(cli, ["up", "--yes"]);
    const sources = await listSources(emulator, SANDBOX);
    expect(sources.map((s) => s.status)).toEqual(["active"]);
    expect((await ok(cli, ["stack", "output", "crmSourceId"])).trim()).toBe(sources[0]!.data_source_id);
    const gate = await cli.pulumi(["preview", "--refresh", "--expect-no-changes"]);
    expect(gate.code, gate.stdout + gate.stderr).toBe(0);

    await ok(cli, ["destroy", "--yes"]);
    expect((await listSources(emulator, SANDBOX)).filter((s) => s.status === "active")).toEqual([]);
  });

  it("no CLI output contains the token or the API key", () => {
    for (const out of cli.outputs) {
      for (const s of SECRETS) expect(out).not.toContain(s);
    }
  });
});
