/**
 * The release of issue 23 as a user without Node.js meets it: a YAML, a Python and a Go program
 * through the real Pulumi CLI 3.274.1, with `node` absent from the PATH of every pulumi process
 * (and of the programs), against the emulator and a real MCP server, each through the lifecycle of
 * test/languages/lifecycle.ts (preview, up, a no-op preview, an MCP outage caught by refresh and
 * healed, a token rotation, destroy; tokens only as ciphertext in `stack export`).
 *
 * - YAML: an empty PULUMI_HOME and the program's `options: { version, pluginDownloadURL }` naming a
 *   loopback server that serves release/: the CLI downloads the linux-amd64 tarball and installs it.
 * - Python: a fresh venv with PyPI's `pulumi` and the wheel from release/; the plugin installed the
 *   air-gapped way, `pulumi plugin install resource copass <version> --file <tarball> --checksum
 *   <sha256 from SHA256SUMS>`, automatic plugin download off.
 * - Go: test/languages/go on the repository's sdk/go/copass (a `replace`), the plugin as for Python.
 *
 * One file, so the three run one after another (each starts its own emulator, in-process).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCli, type Cli } from "../e2e/cli";
import { ok } from "../e2e/fixtures";
import { consumerProgram, type Action, type Language } from "../languages/consumers";
import { describeLifecycle, type Program } from "../languages/lifecycle";
import {
  cliBin,
  goConsumer,
  goSkipReason,
  pythonSkipReason,
  pythonVenv,
  type CliBin,
} from "../languages/toolchain";
import { repoRoot, type RunResult } from "../support/pulumi-host";
import { pathWithoutNode, resolve, serveRelease, type ReleaseServer } from "./no-node";

const { version } = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
  version: string;
};
const release = path.join(repoRoot, "release");
/** The one target this machine runs natively (test/dist/executable.test.ts checks arm64 under qemu). */
const TARBALL = `pulumi-resource-copass-v${version}-linux-amd64.tar.gz`;
const skip =
  goSkipReason() ||
  (process.platform === "linux" && process.arch === "x64" ? "" : "not a linux-amd64 machine");

let toolsOnce: Promise<CliBin> | undefined;
/** The CLI and its YAML host (scripts/pulumi-cli.sh), built or reused once for the file. */
const tools = (): Promise<CliBin> => (toolsOnce ??= cliBin());

/** The tarball's SHA-256 as SHA256SUMS gives it, as an air-gapped user reads it. */
async function checksum(): Promise<string> {
  const sums = await readFile(path.join(release, "SHA256SUMS"), "utf8");
  const line = sums.split("\n").find((l) => l.endsWith(`  ${TARBALL}`));
  if (!line) throw new Error(`SHA256SUMS has no line for ${TARBALL}`);
  return line.split(" ")[0]!;
}

/** The CLI with only `dirs` on PATH (no node there: pathWithoutNode throws otherwise). */
async function noNodeCli(dirs: string[], project: string): Promise<Cli> {
  const cli = await startCli((await tools()).bin, project);
  cli.env.PATH = pathWithoutNode(dirs);
  return cli;
}

/** The air-gapped install: `pulumi plugin install resource copass <version> --file <tarball> --checksum <sha>`. */
function installFromFile(cli: Cli, sha256: string): Promise<RunResult> {
  const tarball = path.join(release, TARBALL);
  return cli.pulumi([
    "plugin",
    "install",
    "resource",
    "copass",
    version,
    "--file",
    tarball,
    "--checksum",
    sha256,
  ]);
}

/** Where the CLI installs plugins: `$PULUMI_HOME/plugins/resource-copass-v<version>/`. */
function installedPlugin(cli: Cli): string {
  return path.join(cli.env.PULUMI_HOME!, "plugins", `resource-copass-v${version}`, "pulumi-resource-copass");
}

/** The step that proves where the plugin came from and what ran it: never node, never PATH. */
function pluginCheck(get: () => Cli, from: string): { title: string; check: () => Promise<void> } {
  return {
    title: `ran the release's executable ${from}, with no node (and no other plugin) on PATH`,
    async check() {
      const cli = get();
      const PATH = cli.env.PATH ?? "";
      expect(resolve("pulumi", PATH)).toBeDefined(); // the lookup finds what is there
      expect(resolve("node", PATH)).toBeUndefined();
      expect(resolve("pulumi-resource-copass", PATH)).toBeUndefined();
      // The release's executable (an ELF file), where the CLI keeps installed plugins.
      const head = (await readFile(installedPlugin(cli))).subarray(0, 4);
      expect(head.toString("latin1")).toBe("\x7fELF");
      const ls = await ok(cli, ["plugin", "ls"]);
      expect(ls).toMatch(new RegExp(`copass\\s+resource\\s+${version.replace(/\./g, "\\.")}`));
    },
  };
}

/** A YAML project's Program: each step a `pulumi` command, the token a secret stack config value. */
function yamlProgram(cli: Cli, dispose: () => Promise<void>): Program {
  const commands: Record<Action, string[]> = {
    preview: ["preview", "--diff"],
    up: ["up", "--yes"],
    refresh: ["refresh", "--yes"],
    destroy: ["destroy", "--yes"],
    "preview-expect-no-changes": ["preview", "--expect-no-changes", "--diff"],
  };
  return {
    async run(action) {
      const r = await cli.pulumi(commands[action]);
      return { ok: r.code === 0, output: `${r.stdout}\n${r.stderr}` };
    },
    async setToken(token) {
      await ok(cli, ["config", "set", "--secret", "crmMcpToken", token]);
    },
    exportState: () => ok(cli, ["stack", "export"]),
    printed: () => cli.outputs,
    async close() {
      await cli.close();
      await dispose();
    },
  };
}

let yamlCli: Cli;
let server: ReleaseServer;

describeLifecycle({
  title: "a YAML program, the plugin downloaded by the CLI from the release, no node on PATH",
  skip,
  sandboxId: "sb_dist_yaml",
  async start(target) {
    const { bin } = await tools();
    server = await serveRelease(release);
    const dir = await mkdtemp(path.join(os.tmpdir(), "copass-dist-yaml-"));
    // examples/yaml, its resource told which plugin version to use and where to download it.
    const example = await readFile(path.join(repoRoot, "examples", "yaml", "Pulumi.yaml"), "utf8");
    const options = `    options:\n      version: "${version}"\n      pluginDownloadURL: ${server.url}\n`;
    const program = example.replace(/^( {4}type: copass:index:UserMcpSource\n)/m, `$1${options}`);
    expect(program).not.toBe(example);
    await writeFile(path.join(dir, "Pulumi.yaml"), program);
    yamlCli = await noNodeCli([bin], dir);
    // The CLI must download: an empty PULUMI_HOME (startCli's), and downloads allowed.
    delete yamlCli.env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION;
    expect(existsSync(installedPlugin(yamlCli))).toBe(false);
    await ok(yamlCli, ["stack", "init", "yaml"]);
    await ok(yamlCli, ["config", "set", "copass:apiUrl", target.emulatorUrl]);
    await ok(yamlCli, ["config", "set", "--secret", "copass:apiKey", target.apiKey]);
    await ok(yamlCli, ["config", "set", "sandboxId", target.sandboxId]);
    await ok(yamlCli, ["config", "set", "mcpUrl", target.mcpUrl]);
    await ok(yamlCli, ["config", "set", "--secret", "crmMcpToken", target.token]);
    return yamlProgram(yamlCli, async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    });
  },
  afterUp: [
    {
      title: "the CLI downloaded the linux-amd64 tarball from the program's pluginDownloadURL",
      async check() {
        expect(server.requests).toContain(`/${TARBALL}`);
      },
    },
    pluginCheck(() => yamlCli, "downloaded by the CLI"),
  ],
});

const consumerClis: Partial<Record<Language, Cli>> = {};

for (const language of ["python", "go"] as Language[]) {
  describeLifecycle({
    title: `the ${language} program, the plugin installed from the release's tarball, no node on PATH`,
    skip: skip || (language === "python" ? pythonSkipReason() : ""),
    sandboxId: `sb_dist_${language}`,
    async start(target) {
      const { bin } = await tools();
      // Python: PyPI's pulumi and the release's wheel; Go: the repository's sdk/go/copass.
      const wheel = path.join(release, `pulumi_copass-${version}-py3-none-any.whl`);
      const exe = language === "python" ? (await pythonVenv(wheel)).path : (await goConsumer()).path;
      const workDir = await mkdtemp(path.join(os.tmpdir(), `copass-dist-${language}-`));
      const dirs = language === "python" ? [bin, path.dirname(exe)] : [bin];
      const cli = await noNodeCli(dirs, workDir);
      consumerClis[language] = cli;
      const install = await installFromFile(cli, await checksum());
      expect(install.code, install.stdout + install.stderr).toBe(0);
      return consumerProgram({ language, exe, cli, env: cli.env, workDir, target });
    },
    afterUp: [pluginCheck(() => consumerClis[language]!, "installed with pulumi plugin install --file")],
  });
}

describe.skipIf(skip !== "")(
  `the air-gapped install, as README's Install tells it${skip ? ` (skipped: ${skip})` : ""}`,
  () => {
    const WRONG = "0".repeat(64);
    const clis: Cli[] = [];
    const dirs: string[] = [];
    let mirror: ReleaseServer;

    /** A CLI with an empty PULUMI_HOME, nothing installed yet. */
    async function freshCli(): Promise<Cli> {
      const dir = await mkdtemp(path.join(os.tmpdir(), "copass-dist-install-"));
      dirs.push(dir);
      const cli = await noNodeCli([(await tools()).bin], dir);
      clis.push(cli);
      return cli;
    }

    beforeAll(async () => {
      mirror = await serveRelease(release);
    });

    afterAll(async () => {
      await mirror?.close();
      await Promise.all(clis.map((cli) => cli.close()));
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    });

    it("SHA256SUMS holds the tarball's real SHA-256 (what `sha256sum --check` compares)", async () => {
      const bytes = await readFile(path.join(release, TARBALL));
      expect(await checksum()).toBe(createHash("sha256").update(bytes).digest("hex"));
    });

    it("a --file install takes any --checksum (CLI 3.274.1), hence README's sha256sum --check first", async () => {
      // When this fails, the CLI verifies a file's checksum: README and docs/ can drop the warning.
      const cli = await freshCli();
      const r = await installFromFile(cli, WRONG);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(installedPlugin(cli))).toBe(true);
    });

    it("a download from a mirror (--server) refuses a wrong --checksum and takes the right one", async () => {
      const cli = await freshCli();
      const args = ["plugin", "install", "resource", "copass", version, "--server", mirror.url, "--checksum"];
      const wrong = await cli.pulumi([...args, WRONG]);
      expect(wrong.code).not.toBe(0);
      expect(wrong.stdout + wrong.stderr).toContain("invalid checksum");
      expect(existsSync(installedPlugin(cli))).toBe(false);
      const right = await cli.pulumi([...args, await checksum()]);
      expect(right.code, right.stderr).toBe(0);
      expect(existsSync(installedPlugin(cli))).toBe(true);
    });
  },
);
