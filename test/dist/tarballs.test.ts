/**
 * What release/ holds (issue 23): one tarball per target named as the Pulumi CLI downloads it,
 * each with the plugin, our LICENSE and the licenses of everything inside it; SHA256SUMS covering
 * every other file. The portable tarballs (darwin, windows) carry the bundle and a launcher for the
 * user's Node.js; the POSIX one is started here too.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot, startHost } from "../support/pulumi-host";

const { version } = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
  version: string;
};
const release = path.join(repoRoot, "release");
const tarball = (target: string) => path.join(release, `pulumi-resource-copass-v${version}-${target}.tar.gz`);

/** `tar -tv` of a tarball: name → mode string and owner. */
function listing(file: string): Record<string, { mode: string; owner: string }> {
  const r = spawnSync("tar", ["--numeric-owner", "-tvzf", file], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  const entries = r.stdout
    .trim()
    .split("\n")
    .map((line) => line.split(/\s+/))
    .map((f) => [f.at(-1)!, { mode: f[0]!, owner: f[1]! }]);
  return Object.fromEntries(entries) as Record<string, { mode: string; owner: string }>;
}

function extract(file: string, member: string): string {
  const r = spawnSync("tar", ["-xzOf", file, member], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

// Packages the plugin cannot run without: grpc and the stubs (the protocol), zod (the field table),
// undici (the client). Their license must ship with any build of it.
const ESSENTIAL = ["@grpc/grpc-js", "google-protobuf", "@pulumi/pulumi", "protobufjs", "zod", "undici"];
const LICENSE_FILES = ["LICENSE", "THIRD-PARTY-LICENSES.txt"];

describe("the release tarballs", () => {
  it.each(["linux-amd64", "linux-arm64"])(
    "%s holds the executable (mode 0755, owner 0), LICENSE and the licenses of Node.js and every bundled package",
    (target) => {
      const entries = listing(tarball(target));
      expect(Object.keys(entries).sort()).toEqual([...LICENSE_FILES, "pulumi-resource-copass"].sort());
      expect(entries["pulumi-resource-copass"]).toEqual({ mode: "-rwxr-xr-x", owner: "0/0" });
      expect(extract(tarball(target), "LICENSE")).toBe(readFileSync(path.join(repoRoot, "LICENSE"), "utf8"));
      const notices = extract(tarball(target), "THIRD-PARTY-LICENSES.txt");
      expect(notices).toMatch(/^Node\.js 24\.\d+\.\d+, the runtime of this executable$/m);
      expect(notices).toMatch(/Node\.js is licensed for use as follows/);
      // Mutation: `packagesOf` returns [] (scripts/packaging/bundle.mjs) → these titles are missing.
      for (const name of ESSENTIAL) expect(notices).toMatch(new RegExp(`^${name} \\d+\\.\\d+\\.\\d+ `, "m"));
    },
  );

  it.each([
    ["darwin-amd64", "pulumi-resource-copass"],
    ["darwin-arm64", "pulumi-resource-copass"],
    ["windows-amd64", "pulumi-resource-copass.cmd"],
    ["windows-arm64", "pulumi-resource-copass.cmd"],
  ])("%s is the portable bundle with %s, a launcher the CLI finds, and the licenses", (target, launcher) => {
    const entries = listing(tarball(target));
    expect(Object.keys(entries).sort()).toEqual(
      [...LICENSE_FILES, launcher, "pulumi-resource-copass.cjs"].sort(),
    );
    expect(entries[launcher]?.mode).toBe("-rwxr-xr-x");
    const notices = extract(tarball(target), "THIRD-PARTY-LICENSES.txt");
    // No Node.js inside: the user's runs it.
    expect(notices).not.toMatch(/Node\.js is licensed/);
    for (const name of ESSENTIAL) expect(notices).toMatch(new RegExp(`^${name} \\d+\\.\\d+\\.\\d+ `, "m"));
    const text = extract(tarball(target), launcher);
    expect(text).toContain("pulumi-resource-copass.cjs");
    // cmd.exe wants CRLF; sh must not see a CR.
    if (launcher.endsWith(".cmd"))
      expect(
        text
          .split("\n")
          .slice(0, -1)
          .every((l) => l.endsWith("\r")),
      ).toBe(true);
    else expect(text).not.toContain("\r");
  });

  it("SHA256SUMS lists every other file of release/ and `sha256sum -c` verifies them", () => {
    const sums = readFileSync(path.join(release, "SHA256SUMS"), "utf8");
    const listed = sums
      .trim()
      .split("\n")
      .map((line) => line.split(/ {2}/)[1]);
    const files = readdirSync(release).filter((f) => f !== "SHA256SUMS");
    expect(listed.sort()).toEqual(files.sort());
    const r = spawnSync("sha256sum", ["-c", "--strict", "SHA256SUMS"], { cwd: release, encoding: "utf8" });
    expect(r.stdout + r.stderr).not.toMatch(/FAILED|improperly formatted/);
    expect(r.status).toBe(0);
  });
});

describe("the portable launcher (macOS's, POSIX sh)", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "copass-portable-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs the bundle on the node of PATH, which answers GetPluginInfo with the package's version", async () => {
    const r = spawnSync("tar", ["-xzf", tarball("darwin-arm64"), "-C", dir], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const nodeDir = path.dirname(process.execPath);
    const plugin = await startHost(repoRoot, {
      exec: [path.join(dir, "pulumi-resource-copass")],
      env: { PATH: `${nodeDir}:/usr/bin:/bin` },
      cwd: dir,
    });
    try {
      expect(await plugin.getPluginInfo()).toEqual({ version });
    } finally {
      await plugin.kill();
    }
  });

  it("says what it needs when no node is on PATH", () => {
    const r = spawnSync(path.join(dir, "pulumi-resource-copass"), ["127.0.0.1:1"], {
      env: { PATH: "/nonexistent" },
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/needs Node\.js >= 20 on PATH/);
  });
});
