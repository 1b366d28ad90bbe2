/**
 * The real Pulumi CLI, when the machine has one (DESIGN §4: the build machines do not, so this
 * reports itself skipped there). A local-backend `pulumi preview` of a one-resource program in
 * the consumer project: it loads the package and serializes the shim under the real engine.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { cleanEnv, run } from "../support/pulumi-host";

const hasPulumi = spawnSync("pulumi", ["version"], { stdio: "ignore" }).status === 0;
const consumer = inject("copassConsumerA");

describe("the real Pulumi CLI", () => {
  it.skipIf(!hasPulumi)("previews a UserMcpSource with a local backend", { timeout: 180_000 }, async () => {
    const state = await mkdtemp(path.join(os.tmpdir(), "copass-cli-state-"));
    try {
      await writeFile(path.join(consumer, "Pulumi.yaml"), "name: copass-cli\nruntime: nodejs\n");
      await writeFile(
        path.join(consumer, "index.js"),
        `const { UserMcpSource } = require("pulumi-copass");
new UserMcpSource("cli", { sandboxId: "sb_cli", name: "cli", baseUrl: "https://mcp.example.com/mcp",
  authKind: "bearer", token: "tok_cli_preview" });\n`,
      );
      const env = cleanEnv({
        PULUMI_BACKEND_URL: `file://${state}`,
        PULUMI_CONFIG_PASSPHRASE: "copass-test",
        PULUMI_SKIP_UPDATE_CHECK: "true",
      });
      const init = await run("pulumi", ["stack", "init", "dev", "--non-interactive"], { cwd: consumer, env });
      expect(init.code, init.stderr).toBe(0);
      const preview = await run("pulumi", ["preview", "--non-interactive"], { cwd: consumer, env });
      expect(preview.code, preview.stdout + preview.stderr).toBe(0);
      expect(preview.stdout).toContain("copass:UserMcpSource");
      expect(preview.stdout + preview.stderr).not.toContain("tok_cli_preview");
    } finally {
      await rm(state, { recursive: true, force: true });
    }
  });
});
