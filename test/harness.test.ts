/**
 * The test harness itself (test/support/pulumi-host.ts): the host and package tests run against
 * the tarball `packPackage` makes, so a build that failed must stop them, not pack whatever an
 * earlier build left in dist/. A throwaway package whose build prints a tsc error and fails
 * stands in for a broken source tree (this file is not under test/host or test/package, so the
 * global setup does not pack the real package for it).
 */
import { mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { expect, it } from "vitest";
import { packPackage, removeTemp } from "./support/pulumi-host";

// mutation: packPackage tolerates a failing build again (packs what was emitted) → this test fails
it("a failed build fails the pack loudly, quoting tsc's errors, and packs nothing", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "copass-broken-build-"));
  try {
    const build = `node -e "console.log('src/a.ts(1,7): error TS2322: broken on purpose'); process.exit(2)"`;
    await writeFile(
      path.join(dir, "package.json"),
      JSON.stringify({ name: "copass-broken-build", version: "0.0.0", scripts: { build } }),
    );
    // What an earlier, successful build left behind (the old harness packed it and went on).
    await mkdir(path.join(dir, "dist", "provider"), { recursive: true });
    for (const f of ["index.js", "resource.js", "provider/shim.js"]) {
      await writeFile(path.join(dir, "dist", f), "// stale\n");
    }
    await expect(packPackage(dir)).rejects.toThrow(
      /npm run build failed \(exit 2\)[\s\S]*error TS2322: broken on purpose/,
    );
    expect((await readdir(dir)).filter((f) => f.endsWith(".tgz"))).toEqual([]);
  } finally {
    await removeTemp(dir);
  }
});
