/**
 * examples/yaml through the real Pulumi CLI and its YAML language host (both built from Go
 * modules), with the `copass` plugin installed as the README says (`npm install --global` of the
 * packed package, found on PATH), against the emulator and a real MCP server: preview, up, a no-op
 * preview, an MCP outage caught by refresh, the healing up, a token rotation named in
 * `preview --diff`, `pulumi import` of a source made out of band (then an empty preview), bad
 * input refused by preview with our message, and destroy. `stack export` holds tokens only as
 * ciphertext throughout.
 *
 * What the engine shows here that the dynamic face cannot: each changed property in the preview
 * (the plugin's detailed diff), the provider's own config recorded in state, `pulumi import`.
 */
import { copyFile, mkdtemp, readFile, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { repoRoot, removeTemp } from "../support/pulumi-host";
import { startCli, type Cli } from "./cli";
import { API_KEY, ROTATED, SECRETS, SECRET_SIG, TOKEN, findSource, listSources, ok } from "./fixtures";

const bin = inject("e2eBin");
const pluginBin = inject("e2ePluginBin");
const skip = inject("e2eSkip");
const SANDBOX = "sb_e2e_yaml";
const TYPE = "copass:index:UserMcpSource";

let emulator: Emulator;
let mcp: SampleMcpServer;
let cli: Cli;
let dir: string;

/** The CLI with the plugin's bin folder on PATH too (where `npm install --global` links it). */
async function yamlCli(project: string): Promise<Cli> {
  const started = await startCli(bin, project);
  started.env.PATH = `${pluginBin}${path.delimiter}${started.env.PATH ?? ""}`;
  return started;
}

async function exported(): Promise<{
  text: string;
  source: { id: string; outputs: Record<string, unknown> } | undefined;
}> {
  const text = await ok(cli, ["stack", "export"]);
  return { text, source: findSource(JSON.parse(text)) };
}

/** No token (or the API key) in plaintext anywhere the engine wrote, or said. */
async function expectNoPlaintextSecrets(): Promise<void> {
  const { text } = await exported();
  for (const s of SECRETS) expect(text).not.toContain(s);
  for (const s of SECRETS) for (const out of cli.outputs) expect(out).not.toContain(s);
}

describe.skipIf(skip !== "")(
  `examples/yaml through the real Pulumi CLI and the copass plugin${skip ? ` (skipped: ${skip})` : ""}`,
  () => {
    beforeAll(async () => {
      emulator = await startEmulator({ apiKeys: [API_KEY] });
      mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
      dir = await mkdtemp(path.join(os.tmpdir(), "copass-e2e-yaml-"));
      await copyFile(path.join(repoRoot, "examples", "yaml", "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
      cli = await yamlCli(dir);
      await ok(cli, ["stack", "init", "yaml"]);
      await ok(cli, ["config", "set", "copass:apiUrl", emulator.url]);
      await ok(cli, ["config", "set", "--secret", "copass:apiKey", API_KEY]);
      await ok(cli, ["config", "set", "sandboxId", SANDBOX]);
      await ok(cli, ["config", "set", "mcpUrl", mcp.url]);
      await ok(cli, ["config", "set", "--secret", "crmMcpToken", TOKEN]);
    });

    afterAll(async () => {
      await cli?.close();
      await mcp?.close();
      await emulator?.close();
      if (dir) await removeTemp(dir);
    });

    it("preview plans the create through the plugin, and calls Copass for nothing", async () => {
      const before = emulator.requestLog().length;
      const preview = await ok(cli, ["preview", "--diff"]);
      expect(preview).toMatch(/\+ copass:index:UserMcpSource: \(create\)/);
      expect(preview).toMatch(/token\s*:\s*\[secret\]/);
      expect(emulator.requestLog().length).toBe(before);
    });

    it("up registers the source once; state holds the token and the API key only as ciphertext", async () => {
      await ok(cli, ["up", "--yes"]);
      const sources = await listSources(emulator, SANDBOX);
      expect(sources.map((s) => s.status)).toEqual(["active"]);
      const { source } = await exported();
      expect(source).toBeDefined();
      expect(source!.id).toBe(`${SANDBOX}/${sources[0]!.data_source_id}`);
      const token = source!.outputs.token as Record<string, unknown>;
      expect(token[SECRET_SIG]).toBeDefined(); // the secret envelope, with ciphertext
      expect(await ok(cli, ["stack", "output", "crmStatus"])).toBe("active\n");
      await expectNoPlaintextSecrets();
    });

    it("a second preview is empty (--expect-no-changes exits 0)", async () => {
      const r = await cli.pulumi(["preview", "--expect-no-changes"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    });

    it("an MCP outage is caught by refresh, and the next up heals it", async () => {
      await mcp.stop();
      await ok(cli, ["refresh", "--yes"]);
      // Stack outputs are the program's; the resource's state is what refresh rewrites.
      expect((await exported()).source!.outputs.status).toBe("error");
      const drift = await cli.pulumi(["preview", "--expect-no-changes", "--diff"]);
      expect(drift.code).not.toBe(0);
      // The engine names the drift (the output it heals: a re-test), not just "update".
      expect(drift.stdout).toMatch(/[~-] status: "error"/);

      await mcp.start();
      await ok(cli, ["up", "--yes"]);
      expect((await exported()).source!.outputs.status).toBe("active");
    });

    it("a token rotation previews as an update of `token` alone, masked, and up applies it in place", async () => {
      await mcp.close();
      mcp = await startMcpServer({ auth: { kind: "bearer", token: ROTATED }, port: mcp.port });
      await ok(cli, ["config", "set", "--secret", "crmMcpToken", ROTATED]);
      const preview = await ok(cli, ["preview", "--diff"]);
      expect(preview).toMatch(/~ copass:index:UserMcpSource: \(update\)/);
      expect(preview).toMatch(/~ token\s*: \[secret\] => \[secret\]/);
      expect(preview).not.toMatch(/~ (name|baseUrl|authKind)\b/);
      const id = (await listSources(emulator, SANDBOX))[0]!.data_source_id;
      await ok(cli, ["up", "--yes"]);
      const sources = await listSources(emulator, SANDBOX);
      expect(sources.map((s) => [s.data_source_id, s.status])).toEqual([[id, "active"]]);
      await expectNoPlaintextSecrets();
    });

    it("another endpoint in copass:apiUrl updates the provider, replaces nothing, and refresh refuses to judge", async () => {
      const other = await startEmulator({ apiKeys: [API_KEY] });
      try {
        await ok(cli, ["config", "set", "copass:apiUrl", other.url]);
        // A provider config change is an update of the default provider (DiffConfig), which the
        // engine records in state; the source under it is not replaced (mutation: answer
        // replaces in diffConfig) and, unchanged, is not sent to the new endpoint.
        const up = await ok(cli, ["up", "--yes"]);
        expect(up).toMatch(/2 unchanged/);
        expect(up).not.toMatch(/replace/);
        // The next refresh runs with the recorded config, now the other endpoint: "I cannot see it"
        // is not "it is gone". It fails naming both endpoints, calls nothing there, and state keeps
        // the source where it lives.
        const refresh = await cli.pulumi(["refresh", "--yes"]);
        expect(refresh.code).not.toBe(0);
        expect(refresh.stdout + refresh.stderr).toContain(`but the provider now points at ${other.url}`);
        expect(other.requestLog()).toEqual([]);
        expect((await exported()).source?.outputs.apiEndpoint).toBe(emulator.url);
      } finally {
        await ok(cli, ["config", "set", "copass:apiUrl", emulator.url]);
        await ok(cli, ["up", "--yes"]);
        await other.close();
      }
      await ok(cli, ["refresh", "--yes"]);
    });

    it("bad input fails preview with our message naming the property, the rule and the fix, touching nothing", async () => {
      const before = emulator.requestLog().length;
      await ok(cli, ["config", "set", "mcpUrl", "http://mcp.example.com/mcp"]);
      const r = await cli.pulumi(["preview"]);
      await ok(cli, ["config", "set", "mcpUrl", mcp.url]);
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/baseUrl uses plain http to a non-loopback host.*use https:\/\//);
      expect(emulator.requestLog().length).toBe(before);
    });

    it("a missing token fails preview naming token and the fix", async () => {
      const text = (await readFile(path.join(dir, "Pulumi.yaml"), "utf8")).replace(
        /^\s+token: \$\{crmMcpToken\}\n/m,
        "",
      );
      const other = await mkdtemp(path.join(os.tmpdir(), "copass-e2e-yaml-bad-"));
      let bad: Cli | undefined;
      try {
        await writeFile(
          path.join(other, "Pulumi.yaml"),
          text.replace("name: copass-yaml", "name: copass-yaml-bad"),
        );
        bad = await yamlCli(other);
        await ok(bad, ["stack", "init", "bad"]);
        await ok(bad, ["config", "set", "copass:apiUrl", emulator.url]);
        await ok(bad, ["config", "set", "sandboxId", SANDBOX]);
        await ok(bad, ["config", "set", "mcpUrl", mcp.url]);
        await ok(bad, ["config", "set", "--secret", "crmMcpToken", ROTATED]);
        const before = emulator.requestLog().length;
        const r = await bad.pulumi(["preview"]);
        expect(r.code).not.toBe(0);
        expect(r.stdout + r.stderr).toMatch(/token is required when authKind is bearer or header_token/);
        expect(emulator.requestLog().length).toBe(before);
      } finally {
        await bad?.close();
        await removeTemp(other);
      }
    });

    it("pulumi import adopts a source registered out of band, prints its YAML, and the next preview is empty", async () => {
      // Registered by someone else with no token (authKind none), as an import candidate.
      const open = await startMcpServer({ auth: { kind: "none" } });
      try {
        const res = await fetch(`${emulator.url}/api/v1/storage/sandboxes/${SANDBOX}/sources/user-mcp`, {
          method: "POST",
          headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
          body: JSON.stringify({
            name: "Docs",
            base_url: open.url,
            auth_kind: "none",
            app_namespace: "docs",
          }),
        });
        expect(res.status).toBeLessThan(300);
        const id = (await listSources(emulator, SANDBOX)).find((s) => s.name === "Docs")!.data_source_id;

        const imported = await ok(cli, ["import", TYPE, "docs", `${SANDBOX}/${id}`, "--yes"]);
        expect(imported).toMatch(/type: copass:(index:)?UserMcpSource/);
        expect(imported).toMatch(/appNamespace: docs/);
        const { text } = await exported();
        expect(text).toContain(`${SANDBOX}/${id}`);
        // The resource as the import printed it, added to the program: nothing left to do.
        const program = await readFile(path.join(dir, "Pulumi.yaml"), "utf8");
        const block = [
          "  docs:",
          `    type: ${TYPE}`,
          "    properties:",
          `      sandboxId: ${SANDBOX}`,
          "      name: Docs",
          `      baseUrl: ${open.url}`,
          "      authKind: none",
          "      appNamespace: docs",
          "    options:",
          "      protect: true",
        ].join("\n");
        await writeFile(
          path.join(dir, "Pulumi.yaml"),
          program.replace("resources:\n", `resources:\n${block}\n`),
        );
        const r = await cli.pulumi(["preview", "--expect-no-changes", "--diff"]);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        await writeFile(path.join(dir, "Pulumi.yaml"), program);
        await ok(cli, ["state", "unprotect", `urn:pulumi:yaml::copass-yaml::${TYPE}::docs`, "--yes"]);
      } finally {
        await open.close();
      }
    });

    it("destroy revokes every source the stack owns, and leaves no state", async () => {
      await ok(cli, ["destroy", "--yes"]);
      const statuses = (await listSources(emulator, SANDBOX)).map((s) => s.status);
      expect(statuses.every((s) => s === "disconnected")).toBe(true);
      expect((await exported()).source).toBeUndefined();
      await expectNoPlaintextSecrets();
    });
  },
);
