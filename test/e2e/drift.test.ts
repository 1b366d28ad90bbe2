/**
 * `pulumi-copass drift` as a user runs it: the bin of the packed package, installed in a copy of
 * examples/basic, drives the real Pulumi CLI (built from its Go modules) through the Automation
 * API, against the emulator and a real MCP server on loopback. Each step changes Copass (or the
 * MCP server) behind the stack's back, runs drift, and checks the exit code, the report and that
 * `pulumi stack export` is byte-identical before and after (a drift run never writes state).
 *
 * The steps share one stack and run in order; each `it` names the step it checks.
 */
import { readFile, mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { outOfBand } from "../support/out-of-band";
import { run, type RunResult } from "../support/pulumi-host";
import { startCli, type Cli } from "./cli";
import { API_KEY, SECRETS, TOKEN, findSource, initStack, listSources, ok } from "./fixtures";

const bin = inject("e2eBin");
const skip = inject("e2eSkip");
const project = inject("e2eProject");
const SANDBOX = "sb_e2e_drift";
const STACK = "drift";

let emulator: Emulator;
let mcp: SampleMcpServer;
let cli: Cli;
let outDir: string;
let sourceId = "";
const call = outOfBand(() => emulator.url, API_KEY);
/** Every stdout, stderr and --out file of the drift runs, for the leak scan. */
const driftOutputs: string[] = [];

interface Drift extends RunResult {
  /** The parsed report when the run printed json. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the report's JSON
  json?: any;
}

/**
 * Runs the installed bin (node_modules/.bin/pulumi-copass, as `npx pulumi-copass` does) with the
 * CLI's environment, and checks the stack's state did not change.
 */
async function drift(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Drift> {
  // mutation: stack.refresh() instead of stack.previewRefresh() in drift-refresh.ts → the outage
  // step fails here (the refresh records status "error").
  const before = await ok(cli, ["stack", "export", "--stack", STACK]);
  const started = Date.now();
  const result = await run(path.join(project, "node_modules", ".bin", "pulumi-copass"), ["drift", ...args], {
    cwd: opts.cwd ?? project,
    env: { ...cli.env, ...opts.env },
  });
  driftOutputs.push(result.stdout, result.stderr);
  process.stderr.write(
    `[e2e drift] drift ${args.join(" ")}: exit ${result.code} in ${Date.now() - started} ms\n`,
  );
  expect(await ok(cli, ["stack", "export", "--stack", STACK]), "drift must never write state").toBe(before);
  const json = args.includes("json") && result.stdout ? (JSON.parse(result.stdout) as unknown) : undefined;
  return { ...result, json };
}

describe.skipIf(skip !== "")(
  `pulumi-copass drift through the real Pulumi CLI${skip ? ` (skipped: ${skip})` : ""}`,
  () => {
    beforeAll(async () => {
      emulator = await startEmulator({ apiKeys: [API_KEY] });
      mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
      cli = await startCli(bin, project);
      outDir = await mkdtemp(path.join(os.tmpdir(), "copass-e2e-drift-"));
      await initStack(cli, STACK, {
        apiUrl: emulator.url,
        sandboxId: SANDBOX,
        mcpUrl: mcp.url,
        token: TOKEN,
      });
      await ok(cli, ["up", "--yes"]);
      sourceId = (await listSources(emulator, SANDBOX))[0]!.data_source_id;
    });

    afterAll(async () => {
      await rm(outDir, { recursive: true, force: true });
      await cli?.close();
      await mcp?.close();
      await emulator?.close();
    });

    it("a clean stack is in sync: exit 0, the text report on stdout, progress on stderr", async () => {
      const before = emulator.requestLog().length;
      const r = await drift(["--stack", STACK]);
      // The same calls as a refresh of one source: get, and the health test (healthCheckOnRefresh).
      expect(
        emulator
          .requestLog()
          .slice(before)
          .map((e) => e.operation),
      ).toEqual(["get", "test"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Copass drift report for stack drift: in sync \(exit code 0\)\n/);
      expect(r.stdout).toContain(`crm (${sourceId}): in sync`);
      expect(r.stderr).toContain("  reading crm…");
      expect(r.stderr).not.toContain("Copass drift report");
    });

    it("takes a fully qualified stack name (organization/project/stack), as CI jobs write it", async () => {
      const qualified = `organization/copass-basic/${STACK}`;
      const r = await drift(["--stack", qualified, "--format", "json"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.json).toMatchObject({ stack: qualified, stateAsOf: expect.any(String), outcome: "in sync" });
    });

    it("an MCP outage is health drift: exit 20, the markdown names the source and the error (--out)", async () => {
      await mcp.stop();
      const file = path.join(outDir, "summary.md");
      const r = await drift(["--stack", STACK, "--format", "markdown", "--out", file]);
      await mcp.start();
      expect(r.code, r.stdout + r.stderr).toBe(20);
      expect(r.stdout).toBe("");
      const md = await readFile(file, "utf8");
      driftOutputs.push(md);
      expect(md).toContain("### Copass drift: stack `drift`: health drift (exit code 20)");
      expect(md).toMatch(
        /\| `crm` \(`ds_\w+`\) \| 🩺 unhealthy \| status `"active"` → `"error"`<br>healthError `"connection refused"` \|/,
      );
    });

    it("a rename in the Copass console is configuration drift: exit 21, field name old → new", async () => {
      const patched = await call("PATCH", `/${SANDBOX}/sources/${sourceId}/user-mcp`, {
        name: "CRM (console)",
      });
      expect(patched.status).toBe(200);
      const r = await drift(["--stack", STACK, "--format", "json"]);
      expect(r.code, r.stdout + r.stderr).toBe(21);
      expect(r.json).toMatchObject({
        version: 1,
        stack: STACK,
        outcome: "configuration drift",
        exitCode: 21,
      });
      expect(r.json.sources).toEqual([
        expect.objectContaining({
          name: "crm",
          id: sourceId,
          state: "changed",
          changes: [{ field: "name", secret: false, old: "CRM tools", new: "CRM (console)" }],
        }),
      ]);
    });

    it("a read Copass refuses is cannot verify: exit 22, the provider's message redacted", async () => {
      // The fault's body echoes the API key and the token, so the scan below can see a leak.
      emulator.faults.inject({
        operation: "get",
        times: Infinity,
        action: {
          kind: "status",
          status: 500,
          body: { error: "internal", detail: `key ${API_KEY} token ${TOKEN}` },
        },
      });
      const r = await drift(["--stack", STACK, "--format", "json"], { env: { COPASS_API_KEY: API_KEY } });
      emulator.faults.reset();
      expect(r.code, r.stdout + r.stderr).toBe(22);
      expect(r.json.sources[0]).toMatchObject({ state: "cannot verify" });
      expect(r.json.sources[0].message).toMatch(
        /^Copass read of source ds_\w+ .*HTTP 500 internal: key \[redacted\] token \[redacted\]$/,
      );
    });

    it("an out-of-band revoke is gone: exit 21, revoked", async () => {
      expect((await call("POST", `/${SANDBOX}/sources/${sourceId}/user-mcp/revoke`)).status).toBe(200);
      // From another folder without --cwd there is no project: an error, not a verdict.
      const elsewhere = await drift(["--stack", STACK, "--format", "json"], { cwd: outDir });
      expect(elsewhere.code).toBe(22);
      expect(elsewhere.json.errors[0]).toContain(`cannot list the stacks of the project in ${outDir}`);
      const here = await drift(["--stack", STACK, "--cwd", project, "--format", "json"], { cwd: outDir });
      expect(here.code, here.stdout + here.stderr).toBe(21);
      expect(here.json.sources[0]).toMatchObject({
        state: "gone",
        goneBecause: "revoked",
        now: { status: "disconnected" },
      });
      expect(findSource(JSON.parse(await ok(cli, ["stack", "export"]))).outputs.status).toBe("active");
    });

    it("a missing stack is a clear error: exit 22, naming the stack and the stacks there are", async () => {
      const r = await drift(["--stack", "nope", "--format", "json"]);
      expect(r.code).toBe(22);
      expect(r.json.errors).toEqual([
        `no stack named "nope" in the project in ${project} (its stacks: ${STACK}): check --stack`,
      ]);
      expect(r.stderr).toContain(`pulumi-copass: drift: no stack named "nope"`);
    });

    it("no pulumi on PATH is a clear error: exit 22", async () => {
      const r = await drift(["--stack", STACK], { env: { PATH: path.dirname(process.execPath) } });
      expect(r.code).toBe(22);
      expect(r.stderr).toContain("pulumi-copass: drift: the pulumi CLI was not found on PATH");
      expect(r.stdout).toContain("error: the pulumi CLI was not found on PATH");
    });

    it("never switches the user's selected stack", async () => {
      await ok(cli, ["stack", "init", "other"]); // selects "other"
      // Stack.select alone would run `pulumi stack select`. mutation: pass `ws` instead of
      // withoutSelecting(ws) in drift-refresh.ts → this test fails.
      const r = await drift(["--stack", STACK]);
      expect(r.code, r.stdout + r.stderr).not.toBe(22);
      expect((await ok(cli, ["stack", "--show-name"])).trim()).toBe("other");
      await ok(cli, ["stack", "select", STACK]);
    });

    it("a replacement whose delete failed: each copy of crm judged, the old one pending delete", async () => {
      // Heal the revoke above: the refresh sees crm retired, the up registers it again.
      await ok(cli, ["up", "--refresh", "--yes", "--stack", STACK]);
      // Another sandbox replaces crm, create before delete; Copass refuses the old one's revoke,
      // so the up fails and the old copy stays in state pending delete beside the new one.
      await ok(cli, ["config", "set", "sandboxId", `${SANDBOX}_moved`, "--stack", STACK]);
      emulator.faults.inject({
        operation: "revoke",
        times: Infinity,
        action: { kind: "status", status: 403, body: { error: "forbidden", detail: "revoke refused" } },
      });
      const up = await cli.pulumi(["up", "--yes", "--stack", STACK]);
      emulator.faults.reset();
      expect(up.code, up.stdout + up.stderr).not.toBe(0);
      const exported = JSON.parse(await ok(cli, ["stack", "export", "--stack", STACK])) as {
        deployment: { resources: { type: string; id: string; delete?: boolean }[] };
      };
      const copies = exported.deployment.resources.filter((r) => r.type.endsWith("UserMcpSource"));
      const [live, old] = [false, true].map((pending) => copies.find((r) => (r.delete === true) === pending));
      expect(copies).toHaveLength(2);
      // The old copy is then revoked out of band: its read finds it retired, the live one in sync.
      // With one verdict per URN the report showed whichever copy the engine reported last.
      expect((await call("POST", `/${SANDBOX}/sources/${old!.id}/user-mcp/revoke`)).status).toBe(200);
      const r = await drift(["--stack", STACK, "--format", "json"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.json.sources).toEqual([
        expect.objectContaining({ id: live!.id, pendingDelete: false, state: "in sync" }),
        expect.objectContaining({ id: old!.id, pendingDelete: true, state: "gone", goneBecause: "revoked" }),
      ]);
      expect(r.stderr).toContain("  reading crm (pending delete)…");
    });

    it("no output or report of any run contains the token or the API key", () => {
      expect(driftOutputs.length).toBeGreaterThan(15);
      for (const out of driftOutputs) {
        for (const s of SECRETS) expect(out).not.toContain(s);
      }
    });
  },
);
