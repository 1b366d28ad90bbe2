// `npm run dist`: builds release/ (git-ignored) from the sources, reaching only the npm registry:
//
// - pulumi-resource-copass-v<version>-<os>-<arch>.tar.gz per target of scripts/packaging/config.mjs:
//   a Node single executable application `pulumi-resource-copass` (linux), or the portable bundle
//   and a launcher for the user's Node.js (darwin, windows; docs/development.md "Platforms" says why), each with
//   LICENSE and THIRD-PARTY-LICENSES.txt (Node's and every bundled package's license);
// - what scripts/dist-python.mjs adds, when it exists (the Python SDK's wheel and sdist);
// - SHA256SUMS of every other file, last.
//
// Then it records the hash of its inputs in .tmp/dist-inputs.sha256: `--if-stale` (the test
// suite's globalSetup, test/dist/globalSetup.ts) rebuilds only when an input changed since.
// Sizes and the time taken go to stdout.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import * as path from "node:path";
import { bundlePlugin, thirdPartyLicenses } from "./packaging/bundle.mjs";
import {
  inputsHash,
  inputsStamp,
  PLUGIN,
  releaseDir,
  repoRoot,
  tarballName,
  TARGETS,
} from "./packaging/config.mjs";
import { buildExecutable } from "./packaging/sea.mjs";
import { sourceDateEpoch, tarGz, writeSha256Sums } from "./packaging/archive.mjs";
import { launcher } from "./packaging/launchers.mjs";

const started = Date.now();
const hash = inputsHash();
const built = existsSync(inputsStamp) && readFileSync(inputsStamp, "utf8").trim() === hash;
if (process.argv.includes("--if-stale") && built && existsSync(path.join(releaseDir, "SHA256SUMS"))) {
  console.log(`release/ is up to date with its inputs (${hash.slice(0, 12)})`);
  process.exit(0);
}
const { version } = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8"));
const schemaText = readFileSync(path.join(repoRoot, "schema.json"), "utf8");
const mtime = sourceDateEpoch(repoRoot);
const mb = (file) => `${(statSync(file).size / 1024 / 1024).toFixed(1)} MB`;

// No stamp until the new release/ is complete: a run that fails halfway is rebuilt next time.
rmSync(inputsStamp, { force: true });
rmSync(releaseDir, { recursive: true, force: true });
mkdirSync(releaseDir, { recursive: true });
mkdirSync(path.join(repoRoot, ".tmp"), { recursive: true });
const work = mkdtempSync(path.join(repoRoot, ".tmp", "dist-"));
try {
  const bundle = path.join(work, `${PLUGIN}.cjs`);
  const packages = await bundlePlugin(bundle, { version, schemaText });
  console.log(
    `bundle: ${mb(bundle)}, ${packages.length} npm packages: ${packages.map((p) => p.name).join(", ")}`,
  );

  for (const target of TARGETS) {
    const stage = path.join(work, target.name);
    mkdirSync(stage);
    copyFileSync(path.join(repoRoot, "LICENSE"), path.join(stage, "LICENSE"));
    let names;
    let what;
    if (target.kind === "executable") {
      const exe = buildExecutable(target, bundle);
      copyFileSync(exe.file, path.join(stage, PLUGIN));
      writeFileSync(path.join(stage, "THIRD-PARTY-LICENSES.txt"), thirdPartyLicenses(packages, exe.node));
      names = [PLUGIN];
      what = `executable on Node ${exe.node.version}${exe.useCodeCache ? ", code cache" : ""}${exe.cached ? " (cached)" : ""}`;
    } else {
      const { name, text } = launcher(target.launcher);
      copyFileSync(bundle, path.join(stage, `${PLUGIN}.cjs`));
      writeFileSync(path.join(stage, name), text);
      writeFileSync(path.join(stage, "THIRD-PARTY-LICENSES.txt"), thirdPartyLicenses(packages));
      names = [name, `${PLUGIN}.cjs`];
      what = "portable: bundle + launcher for Node.js >= 20";
    }
    for (const name of names) chmodSync(path.join(stage, name), 0o755);
    const tarball = path.join(releaseDir, tarballName(version, target.name));
    await tarGz(stage, [...names, "LICENSE", "THIRD-PARTY-LICENSES.txt"], tarball, mtime);
    console.log(`${path.basename(tarball)}: ${mb(tarball)} (${what})`);
  }

  const python = path.join(repoRoot, "scripts", "dist-python.mjs");
  if (existsSync(python)) {
    const r = spawnSync(process.execPath, [python, releaseDir], { cwd: repoRoot, stdio: "inherit" });
    if (r.status !== 0) throw new Error(`scripts/dist-python.mjs exited with ${r.status ?? r.signal}`);
  }

  const summed = writeSha256Sums(releaseDir);
  console.log(
    `SHA256SUMS: ${summed.length} files; release/ built in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  writeFileSync(inputsStamp, `${hash}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
