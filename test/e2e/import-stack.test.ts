/**
 * `pulumi-copass import` inside a Pulumi project reads the stack's copass:* config as `pulumi up`
 * does (issue 25 §3): the bin of the packed package, installed in a copy of examples/basic, reads
 * the config through the real Pulumi CLI (built from its Go modules), with no COPASS_* variable
 * set, against the emulator. Two stacks of two tenants tell "the selected stack" from `--stack`.
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startEmulator, type Emulator } from "../../packages/emulator/src";
import { outOfBand } from "../support/out-of-band";
import { run, type RunResult } from "../support/pulumi-host";
import { startCli, type Cli } from "./cli";
import { API_KEY, ok } from "./fixtures";

const bin = inject("e2eBin");
const skip = inject("e2eSkip");
const project = inject("e2eProject");
const OTHER_KEY = "olk_E2E_import_tenant_b_5e0c";
const SANDBOX = "sb_e2e_import";

let emulator: Emulator;
let cli: Cli;
const outputs: string[] = [];

/** The installed bin (as `npx pulumi-copass` runs it) with the CLI's environment: no COPASS_* set. */
async function importCmd(args: string[]): Promise<RunResult> {
  const r = await run(path.join(project, "node_modules", ".bin", "pulumi-copass"), ["import", ...args], {
    cwd: project,
    env: cli.env,
    timeoutMs: 120_000,
  });
  outputs.push(r.stdout, r.stderr);
  return r;
}

describe.skipIf(skip !== "")(
  `pulumi-copass import reads the stack's config through the real Pulumi CLI${skip ? ` (skipped: ${skip})` : ""}`,
  () => {
    beforeAll(async () => {
      emulator = await startEmulator({ apiKeys: [API_KEY, OTHER_KEY] });
      cli = await startCli(bin, project);
      // Tenant A's stack, then tenant B's, which `stack init` leaves selected.
      for (const [stack, key] of [
        ["import-a", API_KEY],
        ["import-b", OTHER_KEY],
      ] as const) {
        await ok(cli, ["stack", "init", stack]);
        await ok(cli, ["config", "set", "copass:apiUrl", emulator.url]);
        await ok(cli, ["config", "set", "--secret", "copass:apiKey", key]);
      }
      await outOfBand(() => emulator.url, API_KEY)("POST", `/${SANDBOX}/sources/user-mcp`, {
        name: "Docs search",
        base_url: "http://127.0.0.1:2/mcp",
        auth_kind: "none",
        app_namespace: "docs",
      });
    });

    afterAll(async () => {
      for (const stack of ["import-a", "import-b"]) await cli?.pulumi(["stack", "rm", "--yes", stack]);
      await cli?.close();
      await emulator?.close();
    });

    it("--stack reads that stack's copass:apiUrl and copass:apiKey (no COPASS_* variable set)", async () => {
      const r = await importCmd(["--sandbox", SANDBOX, "--stack", "import-a", "--format", "json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({
        sandboxId: SANDBOX,
        sources: [{ args: { name: "Docs search", appNamespace: "docs" } }],
      });
      expect(r.stderr).toContain(`reading settings from stack import-a's copass:* config in ${project}`);
    });

    it("without --stack reads the selected stack (tenant B, who cannot see the sandbox), and selects nothing", async () => {
      const r = await importCmd(["--sandbox", SANDBOX]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `pulumi-copass: sandbox ${SANDBOX} was not found for this API key (HTTP 404): check --sandbox, and that stack config copass:apiKey or env COPASS_API_KEY holds the key`,
      );
      expect((await ok(cli, ["stack", "--show-name"])).trim()).toBe("import-b");
    });

    it("never prints a key", () => {
      for (const key of [API_KEY, OTHER_KEY]) expect(outputs.join("\n")).not.toContain(key);
    });
  },
);
