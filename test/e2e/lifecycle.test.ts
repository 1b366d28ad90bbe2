/**
 * examples/basic through the real Pulumi CLI (built from its Go modules), the emulator and a real
 * MCP server on loopback: preview, up, a no-change preview, the one-bit drift gate
 * (`preview --refresh --expect-no-changes`; examples/gitops now runs `pulumi-copass drift`, tested
 * in drift.test.ts) during an MCP outage and after healing, a token rotation, refresh and destroy.
 * The assertions are on what the engine itself produced: exit codes, preview text, `pulumi stack
 * export`, the state files, and what is left at the emulator.
 *
 * The steps share one stack and run in order; each `it` names the step it checks.
 */
import { readdir, readFile } from "node:fs/promises";
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
  ROTATED,
  SECRETS,
  SECRET_SIG,
  TOKEN,
  findSource,
  initStack,
  listSources,
  ok,
} from "./fixtures";

const bin = inject("e2eBin");
const skip = inject("e2eSkip");
const SANDBOX = "sb_e2e_basic";

let emulator: Emulator;
let mcp: SampleMcpServer;
let cli: Cli;
let sourceId = "";

/** Every file the file backend wrote (checkpoints, backups, history), as text. */
async function stateFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out.push(await readFile(path.join(entry.parentPath, entry.name), "utf8"));
  }
  return out;
}

async function exportState(): Promise<{ text: string; json: unknown }> {
  const text = await ok(cli, ["stack", "export"]);
  return { text, json: JSON.parse(text) };
}

describe.skipIf(skip !== "")(
  `examples/basic through the real Pulumi CLI${skip ? ` (skipped: ${skip})` : ""}`,
  () => {
    beforeAll(async () => {
      emulator = await startEmulator({ apiKeys: [API_KEY] });
      mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
      cli = await startCli(bin, inject("e2eProject"));
      await initStack(cli, "basic", {
        apiUrl: emulator.url,
        sandboxId: SANDBOX,
        mcpUrl: mcp.url,
        token: TOKEN,
      });
    });

    afterAll(async () => {
      await cli?.close();
      await mcp?.close();
      await emulator?.close();
    });

    it("runs the pulumi built from pkg/v3 with the Node.js language host on PATH", async () => {
      const version = await ok(cli, ["version"]);
      expect(version.trim()).toBe("v3.274.1");
    });

    it("preview plans one create and changes nothing at Copass", async () => {
      const preview = await ok(cli, ["preview"]);
      expect(preview).toMatch(/\+\s+.*copass:UserMcpSource\s+crm\s+create/);
      expect(preview).toMatch(/\+ 2 to create/); // the stack and the source
      expect(emulator.requestLog().filter((e) => e.operation !== "list")).toEqual([]);
    });

    it("up registers one healthy source; its outputs reach the stack", async () => {
      const out = await ok(cli, ["up", "--yes"]);
      expect(out).toMatch(/\+ 2 created/);
      const sources = await listSources(emulator, SANDBOX);
      expect(sources.map((s) => [s.status, s.adapter_config.app_namespace])).toEqual([["active", "crm"]]);
      sourceId = sources[0]!.data_source_id;
      expect((await ok(cli, ["stack", "output", "crmSourceId"])).trim()).toBe(sourceId);
      expect((await ok(cli, ["stack", "output", "crmStatus"])).trim()).toBe("active");
    });

    it("stores the token only as ciphertext: stack export and every state file", async () => {
      const { text, json } = await exportState();
      const source = findSource(json);
      expect(source.id).toBe(sourceId);
      for (const side of [source.inputs, source.outputs]) {
        expect(side.token[SECRET_SIG]).toBeDefined();
        expect(typeof side.token.ciphertext).toBe("string");
      }
      // The API key is provider config, never an input or output of the resource.
      expect(JSON.stringify(source)).not.toContain("apiKey");
      for (const doc of [text, ...(await stateFiles(cli.stateDir))]) {
        for (const s of SECRETS) expect(doc).not.toContain(s);
      }
    });

    it("a second preview shows no changes, and --expect-no-changes exits 0", async () => {
      const r = await cli.pulumi(["preview", "--expect-no-changes"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/2 unchanged/);
    });

    it("the drift gate passes right after up: the first refresh recording tenantId is no change", async () => {
      // Create cannot know the tenant (one API call, no user_id in the register answer), so the first
      // read records it: an output-only change, which must not trip the GitOps gate (issue 15 §1).
      expect(findSource((await exportState()).json).outputs.tenantId ?? null).toBeNull();
      const gate = await cli.pulumi(["preview", "--refresh", "--expect-no-changes"]);
      expect(gate.code, gate.stdout + gate.stderr).toBe(0);
    });

    it("an MCP outage fails the drift gate (preview --refresh --expect-no-changes) naming the health drift", async () => {
      await mcp.stop();
      const gate = await cli.pulumi(["preview", "--refresh", "--expect-no-changes", "--diff"]);
      // 7 is the CLI's stable exit code for "changes proposed where none were expected" (cmd/exit_codes.go),
      // so a drift gate can tell drift from a failed run.
      expect(gate.code, gate.stdout + gate.stderr).toBe(7);
      expect(gate.stdout + gate.stderr).toMatch(
        /no changes were expected for preview but changes were proposed/,
      );
      // The refresh half shows what changed at Copass, the plan half the update that re-tests health.
      expect(gate.stdout).toMatch(/~ status\s*: "active" => "error"/);
      expect(gate.stdout).toMatch(/\+ healthError\s*: "connection refused"/);
      expect(gate.stdout).toMatch(/~ pulumi-nodejs:dynamic\/copass:UserMcpSource: \(update\)/);
      expect(gate.stdout).toMatch(/~ 1 to update/);
      // A preview persists nothing: the stack still has the last `up`'s status.
      expect(findSource((await exportState()).json).outputs.status).toBe("active");
    });

    it("refresh during the outage records the error; once the server is back, up heals it", async () => {
      await ok(cli, ["refresh", "--yes"]);
      const refreshed = findSource((await exportState()).json);
      expect(refreshed.outputs.status).toBe("error");
      expect(refreshed.outputs.healthError).toEqual(expect.any(String));

      await mcp.start();
      // The last known status is not active: the plan is an update that re-tests health.
      const pending = await cli.pulumi(["preview", "--expect-no-changes"]);
      expect(pending.code).toBe(7);
      expect(pending.stdout).toMatch(/~ 1 to update/);

      const healed = await ok(cli, ["up", "--yes"]);
      expect(healed).toMatch(/~ 1 updated/);
      expect(findSource((await exportState()).json).outputs).toMatchObject({
        status: "active",
        healthError: null,
      });
      expect((await listSources(emulator, SANDBOX)).map((s) => s.status)).toEqual(["active"]);

      const gate = await cli.pulumi(["preview", "--refresh", "--expect-no-changes"]);
      expect(gate.code, gate.stdout + gate.stderr).toBe(0);
    });

    it("a sandbox move previews as a replacement naming sandboxId, creating before deleting (not applied)", async () => {
      await ok(cli, ["config", "set", "sandboxId", "sb_e2e_elsewhere"]);
      const preview = await ok(cli, ["preview"]);
      await ok(cli, ["config", "set", "sandboxId", SANDBOX]);
      expect(preview).toMatch(
        /\+- pulumi-nodejs:dynamic\/copass:UserMcpSource crm replace \[diff: ~sandboxId\]/,
      );
      // DESIGN §2: a move to another sandbox creates the new source first (no outage).
      const created = preview.indexOf("crm create replacement");
      const deleted = preview.indexOf("crm delete original");
      expect(created).toBeGreaterThanOrEqual(0);
      expect(deleted).toBeGreaterThan(created);
      expect(preview).toMatch(/\+-1 to replace/);
      expect(await listSources(emulator, "sb_e2e_elsewhere")).toEqual([]);
    });

    it("rotates the token with `pulumi config set --secret`: an in-place update, re-tested healthy", async () => {
      // The MCP server now accepts only the new token, on the same URL.
      await mcp.close();
      mcp = await startMcpServer({ auth: { kind: "bearer", token: ROTATED }, port: mcp.port });
      await ok(cli, ["config", "set", "--secret", "crmMcpToken", ROTATED]);

      // The engine diffs masked values for display, so the plan names no property: the secret
      // changed, and that is all a preview may say about it.
      const preview = await ok(cli, ["preview"]);
      expect(preview).toMatch(/~ {2}pulumi-nodejs:dynamic\/copass:UserMcpSource crm update/);
      expect(preview).toMatch(/~ 1 to update/);

      const before = emulator.requestLog().length;
      await ok(cli, ["up", "--yes"]);
      const ops = emulator
        .requestLog()
        .slice(before)
        .map((e) => e.operation);
      expect(ops).toContain("patch");
      expect(ops).toContain("test");
      expect(ops).not.toContain("register");
      const [source] = await listSources(emulator, SANDBOX);
      expect(source).toMatchObject({ data_source_id: sourceId, status: "active" });
    });

    it("refresh after the rotation finds no drift", async () => {
      await ok(cli, ["refresh", "--yes"]);
      const r = await cli.pulumi(["preview", "--expect-no-changes"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    });

    it("destroy revokes the source and empties the stack", async () => {
      const out = await ok(cli, ["destroy", "--yes"]);
      expect(out).toMatch(/- 2 deleted/);
      const sources = await listSources(emulator, SANDBOX);
      expect(sources.filter((s) => s.status === "active")).toEqual([]);
      expect(sources.map((s) => s.status)).toEqual(["disconnected"]);
      expect(findSource((await exportState()).json)).toBeUndefined();
    });

    it("no CLI output of the whole run contains the token, the rotated token or the API key", () => {
      expect(cli.outputs.length).toBeGreaterThan(20);
      for (const out of cli.outputs) {
        for (const s of SECRETS) expect(out).not.toContain(s);
      }
    });
  },
);
