/**
 * Once per `npm run test:e2e`: builds or reuses the Pulumi CLI and its Node.js language host
 * (scripts/pulumi-cli.sh), packs this package and installs it into a throwaway copy of the
 * root Pulumi project (examples/basic), shared with the tests through `provide`/`inject`.
 *
 * Without Go nothing is built: the tests report themselves skipped with the reason.
 */
import { spawnSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type { TestProject } from "vitest/node";
import { cleanEnv, packPackage, pulumiVersion, removeTemp, repoRoot, run } from "../support/pulumi-host";

declare module "vitest" {
  export interface ProvidedContext {
    /** Folder holding pulumi, pulumi-language-nodejs and pulumi-resource-pulumi-nodejs ("" = skipped). */
    e2eBin: string;
    /** Why the suite is skipped ("" when it runs). */
    e2eSkip: string;
    /** A copy of the root Pulumi project (examples/basic) with the packed package installed. */
    e2eProject: string;
    /** The bin folder of a global install of the packed package: pulumi-resource-copass is there. */
    e2ePluginBin: string;
  }
}

/**
 * The repository's root Pulumi project (Pulumi.yaml, `main: examples/basic/`) as a user runs it
 * after `npm install`: the same layout in a temporary folder, the packed package installed at
 * its root (where the program and the provider plugin resolve their modules from).
 */
async function copyProject(tgz: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "copass-e2e-basic-"));
  const example = path.join(repoRoot, "examples", "basic");
  await mkdir(path.join(dir, "examples", "basic"), { recursive: true });
  await copyFile(path.join(repoRoot, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  for (const f of ["index.ts", "tsconfig.json"]) {
    await copyFile(path.join(example, f), path.join(dir, "examples", "basic", f));
  }
  // The example depends on pulumi-copass by version (a workspace link in the repository); here it
  // is this run's tarball.
  const pkg = JSON.parse(await readFile(path.join(example, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  pkg.dependencies["pulumi-copass"] = `file:${tgz}`;
  await writeFile(path.join(dir, "package.json"), JSON.stringify(pkg, null, 2));
  const install = await run(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"],
    {
      cwd: dir,
      env: cleanEnv(),
    },
  );
  if (install.code !== 0) throw new Error(`npm install in ${dir} failed:\n${install.stderr.slice(-3000)}`);
  return dir;
}

/**
 * The plugin as the README installs it for a YAML, Python or Go project: `npm install --global`
 * of the package (here the packed tarball, into a throwaway prefix), which links
 * `pulumi-resource-copass` into `<prefix>/bin` for the engine to find on PATH. @pulumi/pulumi, our
 * peer, comes along; pinned here to the version the repository develops with (Node 20 runs it).
 */
async function installPlugin(tgz: string): Promise<string> {
  const prefix = await mkdtemp(path.join(os.tmpdir(), "copass-e2e-plugin-"));
  const args = ["install", "--global", "--prefix", prefix, tgz, `@pulumi/pulumi@${pulumiVersion}`];
  const install = await run(
    "npm",
    [...args, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"],
    {
      cwd: prefix,
      env: cleanEnv(),
    },
  );
  if (install.code !== 0) throw new Error(`npm ${args.join(" ")} failed:\n${install.stderr.slice(-3000)}`);
  return prefix;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (spawnSync("go", ["version"], { stdio: "ignore" }).status !== 0) {
    process.stderr.write("[e2e] skipped: no go on PATH (the Pulumi CLI is built from its Go modules)\n");
    project.provide("e2eBin", "");
    project.provide("e2eSkip", "no go");
    project.provide("e2eProject", "");
    project.provide("e2ePluginBin", "");
    return async () => {};
  }
  const started = Date.now();
  // Inherits stdio so a cold build's progress shows; the last stdout line is the bin folder.
  const build = spawnSync("bash", [path.join(repoRoot, "scripts", "pulumi-cli.sh")], {
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  if (build.status !== 0) throw new Error(`scripts/pulumi-cli.sh exited with ${build.status}`);
  const bin = build.stdout.trim().split("\n").pop() ?? "";
  process.stderr.write(`[e2e] Pulumi CLI ready in ${bin} after ${Date.now() - started} ms\n`);

  const installed = Date.now();
  const tgz = await packPackage();
  const dir = await copyProject(tgz);
  const pluginPrefix = await installPlugin(tgz);
  process.stderr.write(`[e2e] packed and installed the Pulumi project in ${Date.now() - installed} ms\n`);
  project.provide("e2eBin", bin);
  project.provide("e2eSkip", "");
  project.provide("e2eProject", dir);
  project.provide("e2ePluginBin", path.join(pluginPrefix, "bin"));
  return async () => {
    await Promise.all([removeTemp(dir), removeTemp(path.dirname(tgz)), removeTemp(pluginPrefix)]);
  };
}
