// Builds the Python SDK's wheel and sdist into a release folder (issue 23); scripts/dist.mjs runs
// it after the executables, then writes SHA256SUMS over everything.
//
//   node scripts/dist-python.mjs <releaseDir>
//   → <releaseDir>/pulumi_copass-<version>-py3-none-any.whl and pulumi_copass-<version>.tar.gz
//
// From sdk/python (generated from schema.json, never edited: npm run sdk), copied to a temporary
// folder so the build leaves nothing in the repository, with the package's version stamped into
// pyproject.toml and pulumi_copass/pulumi-plugin.json. That file is how the Pulumi engine learns
// which plugin a Python program needs and where to download it: `resource: true`, `name: copass`,
// `version`, `server` (the schema's pluginDownloadURL); the script refuses to build when it would
// say anything else.
//
// PyPA `build`, with the setuptools the SDK's pyproject.toml asks for, runs from a venv cached
// outside the repository (scripts/packaging/config.mjs cacheDir) and keyed by the pins below and
// the Python version (`--no-isolation`: no per-build download of the backend). Python:
// $COPASS_TEST_PYTHON or python3.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, cp, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { sourceDateEpoch } from "./packaging/archive.mjs";
import { cacheDir, repoRoot as root } from "./packaging/config.mjs";

/** What builds the wheel: pinned, so a release is built by what the tests built with. */
const BUILD_REQUIREMENTS = ["build==1.6.1", "setuptools==84.2.1"];

function log(message) {
  process.stderr.write(`[dist-python] ${message}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...opts });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited with ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

/**
 * The PEP 440 spelling of a package.json version, as Python tools name the files: `1.2.3` stays,
 * `1.2.3-alpha.4` / `-beta.4` / `-rc.4` become `1.2.3a4` / `b4` / `rc4`. Any other prerelease is
 * refused rather than guessed.
 */
export function pep440(version) {
  const m = /^(\d+\.\d+\.\d+)(?:-(alpha|beta|rc)\.(\d+))?$/.exec(version);
  if (!m) {
    throw new Error(
      `package.json version ${version}: a Python package needs X.Y.Z or X.Y.Z-alpha|beta|rc.N (PEP 440)`,
    );
  }
  const [, release, pre, n] = m;
  return pre ? `${release}${{ alpha: "a", beta: "b", rc: "rc" }[pre]}${n}` : release;
}

/** A venv with BUILD_REQUIREMENTS, built once per pins and Python; returns its python. */
async function buildVenv(python) {
  const pythonVersion = run(python, ["-c", "import sys; print(sys.version)"]).trim();
  const key = createHash("sha256")
    .update(`${BUILD_REQUIREMENTS.join(" ")}\0${pythonVersion}`)
    .digest("hex");
  const dir = path.join(cacheDir(), "python-build", key.slice(0, 16));
  const venvPython = path.join(dir, "bin", "python");
  if (existsSync(venvPython)) return venvPython;
  log(`making the build venv ${dir} (${BUILD_REQUIREMENTS.join(", ")})`);
  // Made in a sibling and renamed into place, so a killed run leaves no half-made venv to trust.
  await mkdir(path.dirname(dir), { recursive: true });
  const tmp = await mkdtemp(`${dir}.tmp-`);
  try {
    run(python, ["-m", "venv", tmp]);
    // `python -m pip`, never bin/pip, whose shebang would keep the temporary path.
    const pip = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", ...BUILD_REQUIREMENTS];
    run(path.join(tmp, "bin", "python"), pip);
    // A concurrent run that finished first wins: its venv is as good as ours.
    await rename(tmp, dir).catch((e) => {
      if (!existsSync(venvPython)) throw e;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return venvPython;
}

/** Writes `version` into the copied project and checks that pulumi-plugin.json names our plugin. */
async function stamp(project, version, server) {
  const pyproject = path.join(project, "pyproject.toml");
  const text = await readFile(pyproject, "utf8");
  const versionLine = /^([ \t]*)version = ".*"$/m;
  if (!versionLine.test(text)) throw new Error(`${pyproject}: no version line to stamp`);
  await writeFile(pyproject, text.replace(versionLine, `$1version = "${pep440(version)}"`));

  const pluginJson = path.join(project, "pulumi_copass", "pulumi-plugin.json");
  const plugin = { ...JSON.parse(await readFile(pluginJson, "utf8")), version };
  const expected = { resource: true, name: "copass", version, server };
  for (const [key, value] of Object.entries(expected)) {
    if (plugin[key] !== value) {
      throw new Error(
        `sdk/python/pulumi_copass/pulumi-plugin.json: ${key} is ${JSON.stringify(plugin[key])}, not ` +
          `${JSON.stringify(value)}; regenerate the SDK from schema.json (npm run docs && npm run sdk)`,
      );
    }
  }
  await writeFile(pluginJson, `${JSON.stringify(plugin, null, 2)}\n`);
}

/**
 * Builds the wheel and sdist of `project` (default sdk/python) at the package's version into
 * `releaseDir`; returns their paths.
 */
export async function buildPython(releaseDir, project = path.join(root, "sdk", "python")) {
  const started = Date.now();
  const { version } = JSON.parse(await readFile(path.join(root, "package.json"), "utf8"));
  const { pluginDownloadURL } = JSON.parse(await readFile(path.join(root, "schema.json"), "utf8"));
  const python = await buildVenv(process.env.COPASS_TEST_PYTHON || "python3");

  const work = await mkdtemp(path.join(os.tmpdir(), "copass-dist-python-"));
  try {
    const copy = path.join(work, "pulumi_copass");
    await cp(project, copy, { recursive: true });
    await stamp(copy, version, pluginDownloadURL);
    // pyproject.toml's `readme = "README.md"` names a file beside it, which the generator writes
    // into the package folder instead: without this copy the wheel has no description.
    await copyFile(path.join(copy, "pulumi_copass", "README.md"), path.join(copy, "README.md"));
    const out = path.join(work, "out");
    // No --sdist/--wheel: the sdist first, then the wheel built from it, so a file the sdist
    // forgets fails here rather than on a user's pip.
    // SOURCE_DATE_EPOCH: the wheel's file times, as the tarballs' (scripts/packaging/archive.mjs).
    const env = { ...process.env, SOURCE_DATE_EPOCH: String(sourceDateEpoch(root)) };
    run(python, ["-m", "build", "--no-isolation", "--outdir", out, copy], { env });

    const pyVersion = pep440(version);
    const expected = [`pulumi_copass-${pyVersion}-py3-none-any.whl`, `pulumi_copass-${pyVersion}.tar.gz`];
    const built = (await readdir(out)).sort();
    if (JSON.stringify(built) !== JSON.stringify([...expected].sort())) {
      throw new Error(`python -m build made ${built.join(", ")}; expected ${expected.join(", ")}`);
    }
    await mkdir(releaseDir, { recursive: true });
    // A copy: the temporary folder may be on another filesystem than releaseDir.
    for (const file of expected) await copyFile(path.join(out, file), path.join(releaseDir, file));
    log(`${expected.join(" and ")} in ${Date.now() - started} ms`);
    return expected.map((file) => path.join(releaseDir, file));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const releaseDir = process.argv[2];
  if (!releaseDir) {
    console.error("usage: node scripts/dist-python.mjs <releaseDir>");
    process.exit(2);
  }
  await buildPython(path.resolve(releaseDir));
}
