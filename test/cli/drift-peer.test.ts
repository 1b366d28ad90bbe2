/**
 * `pulumi-copass drift` where the `@pulumi/pulumi` peer is not installed: the built bin (dist/,
 * from `npm run build`) copied into a folder whose node_modules has only its runtime dependencies
 * (zod and undici, linked from this repository), run as a subprocess. The other commands must
 * keep working there, and drift must fail with its error code and a message saying what to install.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = path.join(__dirname, "..", "..");
let dir = "";
let bin = "";

beforeAll(() => {
  const main = path.join(repo, "dist", "cli", "main.js");
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  dir = mkdtempSync(path.join(os.tmpdir(), "copass-drift-nopeer-"));
  const pkg = path.join(dir, "node_modules", "pulumi-copass");
  mkdirSync(pkg, { recursive: true });
  cpSync(path.join(repo, "dist"), path.join(pkg, "dist"), { recursive: true });
  cpSync(path.join(repo, "package.json"), path.join(pkg, "package.json"));
  for (const dep of ["zod", "undici"]) {
    symlinkSync(path.join(repo, "node_modules", dep), path.join(dir, "node_modules", dep), "dir");
  }
  bin = path.join(pkg, "dist", "cli", "main.js");
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function pulumiCopass(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: process.env.PATH },
  });
}

describe("drift without @pulumi/pulumi installed", () => {
  it("the bin still starts: --help works", () => {
    const r = pulumiCopass(["--help"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("pulumi-copass drift");
  });

  it("fails with exit 22 and names the package to install", () => {
    // mutation: a top-level import of @pulumi/pulumi/automation in drift-refresh.ts → the bin
    // crashes at startup and both tests fail.
    const r = pulumiCopass(["drift", "--format", "json"]);
    expect(r.status).toBe(22);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: "error", exitCode: 22 });
    expect(r.stderr).toContain(
      "pulumi-copass: drift: @pulumi/pulumi is not installed next to pulumi-copass: drift runs Pulumi's Automation API from it",
    );
  });
});
