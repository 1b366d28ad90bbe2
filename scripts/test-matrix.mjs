#!/usr/bin/env node
/**
 * `npm run test:matrix`: the Node.js lines and `@pulumi/pulumi` versions the package claims
 * (`engines.node`, the peer range; docs/compatibility.md), each row tested the way a user runs it.
 *
 * Per row, Pulumi's side runs on the row's Node: the program whose closure serializer writes
 * `__provider`, and the dynamic-provider host the lifecycle tests drive over gRPC. Vitest itself
 * stays on the Node running this script. Shared work is done once: one `npm pack`, one consumer
 * project per SDK version, Node binaries cached across runs.
 *
 * Node binaries are npm packages (`node-<platform>-<arch>`, the binary in `bin/node`), so the only
 * network needed is the npm registry. They are cached in
 * `${XDG_CACHE_HOME:-~/.cache}/pulumi-copass/node/<version spec>`; delete a folder to refresh it.
 *
 * Prints one line per row (Node, SDK, passed/failed, seconds); exits 1 if any row failed. Each
 * row's vitest JSON report goes to .tmp/vitest-report-matrix-<row>.json (`.ci/run` sums them) and
 * its full output to .tmp/matrix-<row>.log.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tmpDir = path.join(repoRoot, ".tmp");

/**
 * The rows (scripts/matrix.json, which test/compatibility.test.ts holds against package.json and
 * the README). `node` is a version spec of the node binary package: the first row pins the floor
 * of `engines.node` (undici 7 needs 20.18.1) with the floor of the peer range (3.248.0, the last
 * SDK that supports Node 20); the others take the newest release of their line. "latest" is the
 * newest 3.x of `@pulumi/pulumi`, resolved when the script runs.
 */
const ROWS = JSON.parse(readFileSync(path.join(repoRoot, "scripts", "matrix.json"), "utf8")).rows;

/** The host-over-gRPC tests each row runs: the lifecycle (create … init-failed), the serialization gate, the plugin. */
const TEST_FILES = [
  "test/host/lifecycle.test.ts",
  "test/host/serialization.test.ts",
  // The copass plugin on that Node with that SDK's gRPC stubs, beside the dynamic face.
  "test/plugin/plugin-host.test.ts",
];

/** Upper bounds, so that a hung child cannot hang CI. */
const INSTALL_TIMEOUT_MS = 300_000;
const ROW_TIMEOUT_MS = 360_000;

const nodePackage = `node-${process.platform}-${process.arch}`;
const cacheRoot = path.join(
  process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"),
  "pulumi-copass",
  "node",
);

// ---------------------------------------------------------------------------------------------

/** Runs a command to completion and returns its exit code and output; kills it after `timeoutMs`. */
function run(cmd, args, { cwd = repoRoot, env = process.env, timeoutMs = INSTALL_TIMEOUT_MS } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => {
      output += `\n[test:matrix] killed after ${timeoutMs / 1000} s\n`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: -1, output: output + String(e) });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function runOrThrow(what, cmd, args, opts) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${what} exited with ${r.code}\n${r.output.slice(-4000)}`);
  return r.output;
}

const seconds = (ms) => (ms / 1000).toFixed(1);

/** The highest of some `x.y.z` versions. */
function highest(versions) {
  const key = (v) => v.split(".").map(Number);
  return [...versions].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  })[versions.length - 1];
}

/**
 * The newest `@pulumi/pulumi` 3.x. The peer range stops below 4 until a 4.x has been through this
 * matrix, so a 4.x on the registry is reported and the rows keep testing 3.x.
 */
async function latestSdk() {
  const latest = (await runOrThrow("npm view", "npm", ["view", "@pulumi/pulumi", "version"])).trim();
  if (latest.startsWith("3.")) return latest;
  const all = JSON.parse(
    await runOrThrow("npm view", "npm", ["view", "@pulumi/pulumi@>=3 <4", "version", "--json"]),
  );
  const newest3 = highest(Array.isArray(all) ? all : [all]);
  console.log(`[test:matrix] @pulumi/pulumi latest is ${latest}, outside the peer range; testing ${newest3}`);
  return newest3;
}

/** The Node binary for a version spec: from the cache, else installed from the npm registry. */
async function ensureNode(spec) {
  const dir = path.join(cacheRoot, spec);
  const bin = (root) => path.join(root, "node_modules", nodePackage, "bin", "node");
  const works = async (b) => existsSync(b) && (await run(b, ["--version"], { timeoutMs: 30_000 })).code === 0;
  if (await works(bin(dir))) return bin(dir);

  // Install next to the cache entry, then rename it into place: an interrupted install never
  // looks like a cached one, and two runs racing both end with a working binary.
  await mkdir(cacheRoot, { recursive: true });
  const staging = await mkdtemp(path.join(cacheRoot, `.${spec}-`));
  try {
    await runOrThrow(`npm install ${nodePackage}@${spec}`, "npm", [
      "install",
      "--prefix",
      staging,
      "--no-audit",
      "--no-fund",
      "--no-package-lock",
      "--loglevel=error",
      `${nodePackage}@${spec}`,
    ]);
    if (!(await works(bin(staging)))) throw new Error(`${nodePackage}@${spec} installed no working bin/node`);
    // The C headers (a third of the package) are for compiling addons, which nothing here does.
    await rm(path.join(staging, "node_modules", nodePackage, "include"), { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir).catch(async (e) => {
      if (!(await works(bin(dir)))) throw e; // else another run put it there first
    });
    return bin(dir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Builds and packs the package once; returns the tarball's path. */
async function pack(workDir) {
  await runOrThrow("npm run build", "npm", ["run", "build"]);
  const dest = path.join(workDir, "pack");
  await mkdir(dest);
  await runOrThrow("npm pack", "npm", ["pack", "--pack-destination", dest, "--silent"]);
  const tgz = (await readdir(dest)).find((f) => f.endsWith(".tgz"));
  if (!tgz) throw new Error(`npm pack wrote no tarball to ${dest}`);
  return path.join(dest, tgz);
}

/** A consumer project with the tarball and that SDK installed, as a user's Pulumi project. */
async function installConsumer(workDir, tgz, sdk) {
  const dir = path.join(workDir, `consumer-${sdk}`);
  await mkdir(dir);
  const pkg = { name: `copass-matrix-${sdk}`, version: "0.0.0", private: true };
  await writeFile(path.join(dir, "package.json"), JSON.stringify(pkg, null, 2));
  await runOrThrow(
    `npm install @pulumi/pulumi@${sdk}`,
    "npm",
    [
      "install",
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      tgz,
      `@pulumi/pulumi@${sdk}`,
    ],
    { cwd: dir },
  );
  return dir;
}

/** Vitest on this Node, Pulumi's side on the row's; returns the outcome read from the JSON report. */
async function runRow(row, nodeBin, consumer) {
  const report = path.join(tmpDir, `vitest-report-matrix-${row.id}.json`);
  const vitest = path.join(repoRoot, "node_modules", "vitest", "vitest.mjs");
  const started = Date.now();
  const r = await run(process.execPath, [vitest, "run", ...TEST_FILES], {
    env: {
      ...process.env,
      COPASS_TEST_NODE: nodeBin,
      COPASS_TEST_PULUMI_VERSION: row.sdkVersion,
      COPASS_TEST_CONSUMER: consumer,
      COPASS_TEST_REPORT: report,
    },
    timeoutMs: ROW_TIMEOUT_MS,
  });
  const ms = Date.now() - started;
  await writeFile(path.join(tmpDir, `matrix-${row.id}.log`), r.output);
  let passed = 0;
  let failed = 0;
  if (existsSync(report)) {
    const j = JSON.parse(readFileSync(report, "utf8"));
    passed = j.numPassedTests;
    // A file that failed outside any test (a hook, an import) counts as one failure.
    const broken = j.testResults.filter(
      (f) => f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed"),
    ).length;
    failed = j.numFailedTests + broken;
  }
  // A row passes only when vitest says so and something actually ran.
  const ok = r.code === 0 && passed > 0 && failed === 0;
  return { ok, passed, failed, ms, output: r.output };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  await mkdir(tmpDir, { recursive: true });
  for (const f of await readdir(tmpDir)) {
    if (/^(vitest-report-matrix-.*\.json|matrix-.*\.log)$/.test(f)) await rm(path.join(tmpDir, f));
  }
  const workDir = await mkdtemp(path.join(os.tmpdir(), "copass-matrix-"));
  try {
    // Shared preparation, in parallel: the Node binaries download while the package is packed and
    // installed into one consumer project per SDK version.
    const timed = async (what, work) => {
      const t = Date.now();
      const result = await work;
      console.log(`[test:matrix] ${what}: ${seconds(Date.now() - t)} s`);
      return result;
    };
    const latestP = timed("latest @pulumi/pulumi resolved", latestSdk());
    const nodesP = timed("Node binaries ready", Promise.all(ROWS.map((row) => ensureNode(row.node))));
    const consumersP = (async () => {
      const [latest, tgz] = await Promise.all([latestP, timed("packed", pack(workDir))]);
      const sdks = [...new Set(ROWS.map((row) => (row.sdk === "latest" ? latest : row.sdk)))];
      const installs = sdks.map(async (sdk) => [sdk, await installConsumer(workDir, tgz, sdk)]);
      return new Map(await timed(`installed into ${sdks.length} consumers`, Promise.all(installs)));
    })();
    const [latest, nodeBins, consumers] = await Promise.all([latestP, nodesP, consumersP]);
    console.log(`[test:matrix] @pulumi/pulumi latest 3.x: ${latest}`);
    const rows = ROWS.map((row, i) => ({
      ...row,
      nodeBin: nodeBins[i],
      sdkVersion: row.sdk === "latest" ? latest : row.sdk,
    }));
    for (const row of rows) {
      row.nodeVersion = (await runOrThrow("node --version", row.nodeBin, ["--version"])).trim();
    }
    console.log(`[test:matrix] prepared in ${seconds(Date.now() - started)} s (cache: ${cacheRoot})`);

    // The rows one after another: the lifecycle tests wait on real servers and health timeouts,
    // and two rows at once on a 2-core machine would only trade speed for flakiness.
    const results = [];
    for (const row of rows) {
      const result = await runRow(row, row.nodeBin, consumers.get(row.sdkVersion));
      results.push(result);
      const line =
        `node ${row.nodeVersion.padEnd(9)} @pulumi/pulumi ${row.sdkVersion.padEnd(8)} ` +
        `${result.ok ? "passed" : "FAILED"} (${result.passed} passed, ${result.failed} failed) ` +
        `${seconds(result.ms)} s`;
      console.log(line);
      if (!result.ok) {
        console.log(result.output.split("\n").slice(-80).join("\n"));
        console.log(`[test:matrix] full output: .tmp/matrix-${row.id}.log`);
      }
    }
    const bad = results.filter((r) => !r.ok).length;
    console.log(
      `[test:matrix] ${rows.length - bad}/${rows.length} rows passed in ${seconds(Date.now() - started)} s`,
    );
    return bad === 0 ? 0 : 1;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`[test:matrix] ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
