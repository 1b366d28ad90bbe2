/**
 * The Python SDK as `npm run dist` ships it (scripts/dist-python.mjs, issue 23): a wheel and an
 * sdist named for the package's version, whose pulumi-plugin.json tells the engine which plugin a
 * program on it needs, at which version, and where to download it.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { PLUGIN_DOWNLOAD_URL } from "../../src/plugin/package-schema";
import { pythonSkipReason } from "../languages/toolchain";
import { repoRoot } from "../support/pulumi-host";

const { version } = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
  version: string;
};
const release = path.join(repoRoot, "release");
const WHEEL = `pulumi_copass-${version}-py3-none-any.whl`;
const SDIST = `pulumi_copass-${version}.tar.gz`;
const skip = pythonSkipReason();

interface DistPython {
  pep440(version: string): string;
  buildPython(releaseDir: string, project?: string): Promise<string[]>;
}
const distPython = (): Promise<DistPython> =>
  import(pathToFileURL(path.join(repoRoot, "scripts", "dist-python.mjs")).href) as Promise<DistPython>;

/** One member of a zip (the wheel), read with Python's zipfile: the format's reference reader. */
function wheelMember(wheel: string, member: string): string {
  const code =
    "import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())";
  const r = spawnSync("python3", ["-c", code, wheel, member], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`reading ${member} from ${wheel}: ${r.stderr}`);
  return r.stdout;
}

function sdistMember(sdist: string, member: string): string {
  const r = spawnSync("tar", ["-xzOf", sdist, member], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`reading ${member} from ${sdist}: ${r.stderr}`);
  return r.stdout;
}

const temps: string[] = [];
afterAll(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

describe.skipIf(skip !== "")(`the Python SDK's wheel and sdist${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("are in release/ under the package's version, each in SHA256SUMS", async () => {
    const sums = await readFile(path.join(release, "SHA256SUMS"), "utf8");
    for (const file of [WHEEL, SDIST])
      expect(sums).toMatch(new RegExp(`^[0-9a-f]{64}  ${file.replace(/\./g, "\\.")}$`, "m"));
  });

  it("the wheel's pulumi-plugin.json names the copass resource plugin, its version and the release server", () => {
    const plugin = JSON.parse(wheelMember(path.join(release, WHEEL), "pulumi_copass/pulumi-plugin.json"));
    expect(plugin).toEqual({ resource: true, name: "copass", version, server: PLUGIN_DOWNLOAD_URL });
  });

  it("the wheel's metadata says its name, version and the pulumi it needs", () => {
    const metadata = wheelMember(path.join(release, WHEEL), `pulumi_copass-${version}.dist-info/METADATA`);
    expect(metadata).toMatch(/^Name: pulumi_copass$/m);
    expect(metadata).toMatch(new RegExp(`^Version: ${version.replace(/\./g, "\\.")}$`, "m"));
    expect(metadata).toMatch(/^Requires-Dist: pulumi[<>=!~ ,.\d]*$/m);
    // The generated README as the description (the body after the headers): PyPI's project page.
    expect(metadata).toMatch(/^Description-Content-Type: text\/markdown$/m);
    expect(metadata.split("\n\n").slice(1).join("\n\n")).toContain("Copass");
  });

  it("the sdist carries the same pulumi-plugin.json and the stamped version", () => {
    const sdist = path.join(release, SDIST);
    const top = `pulumi_copass-${version}`;
    expect(JSON.parse(sdistMember(sdist, `${top}/pulumi_copass/pulumi-plugin.json`))).toMatchObject({
      version,
    });
    expect(sdistMember(sdist, `${top}/pyproject.toml`)).toContain(`version = "${version}"`);
  });

  it("stamps the package's version over whatever sdk/python says", async () => {
    // Mutation: stamp() leaving pulumi-plugin.json's version alone fails the last expectation.
    const work = await mkdtemp(path.join(os.tmpdir(), "copass-wheel-stamp-"));
    temps.push(work);
    const project = path.join(work, "python");
    await cp(path.join(repoRoot, "sdk", "python"), project, { recursive: true });
    const pyproject = path.join(project, "pyproject.toml");
    await writeFile(
      pyproject,
      (await readFile(pyproject, "utf8")).replace(/^version = ".*"$/m, 'version = "9.9.9"'),
    );
    const pluginJson = path.join(project, "pulumi_copass", "pulumi-plugin.json");
    const plugin = JSON.parse(await readFile(pluginJson, "utf8"));
    await writeFile(pluginJson, JSON.stringify({ ...plugin, version: "9.9.9" }));
    const [wheel] = await (await distPython()).buildPython(path.join(work, "out"), project);
    expect(path.basename(wheel!)).toBe(WHEEL);
    expect(JSON.parse(wheelMember(wheel!, "pulumi_copass/pulumi-plugin.json")).version).toBe(version);
  });

  it("refuses an SDK whose pulumi-plugin.json names another download server, naming the fix", async () => {
    // Mutation: dropping `server` from stamp()'s expected fields lets this build pass.
    const work = await mkdtemp(path.join(os.tmpdir(), "copass-wheel-server-"));
    temps.push(work);
    const project = path.join(work, "python");
    await cp(path.join(repoRoot, "sdk", "python"), project, { recursive: true });
    const pluginJson = path.join(project, "pulumi_copass", "pulumi-plugin.json");
    const plugin = JSON.parse(await readFile(pluginJson, "utf8"));
    await writeFile(
      pluginJson,
      JSON.stringify({ ...plugin, server: "github://api.github.com/someone/else" }),
    );
    await expect((await distPython()).buildPython(path.join(work, "out"), project)).rejects.toThrow(
      /server is "github:\/\/api\.github\.com\/someone\/else".*npm run sdk/s,
    );
  });
});

describe("pep440: the package.json version as Python spells it", () => {
  it.each([
    ["0.1.0", "0.1.0"],
    ["1.2.3-alpha.4", "1.2.3a4"],
    ["1.2.3-beta.1", "1.2.3b1"],
    ["1.2.3-rc.2", "1.2.3rc2"],
  ])("%s → %s", async (semver, python) => {
    expect((await distPython()).pep440(semver)).toBe(python);
  });

  it("refuses a prerelease it cannot map, naming the forms it takes", async () => {
    await expect(distPython().then((m) => m.pep440("1.2.3-dev.1"))).rejects.toThrow(
      /X\.Y\.Z-alpha\|beta\|rc\.N/,
    );
  });
});
