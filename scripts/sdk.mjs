// Regenerates the SDKs committed under sdk/ from schema.json, with Pulumi's own code generators
// (tools/sdkgen, built and cached by scripts/pulumi-cli.sh): never edit sdk/ by hand.
//
//   npm run sdk                    → sdk/
//   node scripts/sdk.mjs <outDir>  → <outDir> (test/languages/toolchain.test.ts compares it with sdk/)
//
// Layout, as the registry's providers have it:
//   sdk/go.mod         module github.com/copass/pulumi-copass/sdk (the schema's go.modulePath); the
//                      generator writes it beside the package folder, this script moves it up one
//                      level, so `go get github.com/copass/pulumi-copass/sdk/go/copass@v<version>`
//                      resolves from a tag `sdk/v<version>` (Go's rule for a module in a subfolder)
//   sdk/go/copass/     the Go package
//   sdk/python/        the Python project (pyproject.toml, pulumi_copass/); scripts/dist-python.mjs
//                      builds the wheel and sdist from it
//
// The whole of <outDir> is replaced, so a file the generators stop writing does not linger.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rename, rm } from "node:fs/promises";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");

/** scripts/pulumi-cli.sh builds or reuses sdkgen and prints its folder as its last line. */
function sdkgenPath() {
  const r = spawnSync("bash", [path.join(root, "scripts", "pulumi-cli.sh")], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`scripts/pulumi-cli.sh exited with ${r.status}`);
  const bin = r.stdout.trim().split("\n").pop();
  return path.join(bin, "sdkgen");
}

/** Writes the SDKs of `schema` into `outDir` (replacing it) in the layout above. */
export async function writeSdks(outDir, schema = path.join(root, "schema.json"), sdkgen = sdkgenPath()) {
  const out = path.resolve(outDir);
  // A sibling, so the final rename stays on one filesystem and a failed run leaves `out` as it was.
  const tmp = await mkdtemp(`${out}.tmp-`);
  try {
    const r = spawnSync(sdkgen, [schema, tmp], { stdio: "inherit" });
    if (r.status !== 0) throw new Error(`sdkgen ${schema} exited with ${r.status}`);
    await rename(path.join(tmp, "go", "go.mod"), path.join(tmp, "go.mod"));
    if (existsSync(out)) await rm(out, { recursive: true });
    await rename(tmp, out);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2] ?? path.join(root, "sdk");
  await writeSdks(outDir);
  console.log(`SDKs written to ${path.relative(process.cwd(), outDir) || "."}`);
}
