// `npm pack` and `npm publish` (prepack / postpack): the package.json inside the tarball carries no
// `scripts`. They are this repository's development commands (`prepare` runs scripts/build.cjs,
// which is not in the package), nothing a consumer runs, and npm warns about a `prepare` on every
// install of the tarball ("npm warn install-scripts"). The same pair as pinst's
// `--disable`/`--enable`: `strip` keeps the working copy's package.json byte for byte in
// .tmp/package.json.before-pack and writes it without `scripts`, npm packs that, and `restore`
// puts the original back. npm runs `postpack` from the manifest it read before `prepack`, so the
// stripped file does not stop its own restore.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const manifest = path.join(root, "package.json");
const backup = path.join(root, ".tmp", "package.json.before-pack");

function strip() {
  // A pack that failed between prepack and postpack left the stripped file: start from the original.
  if (fs.existsSync(backup)) fs.copyFileSync(backup, manifest);
  const text = fs.readFileSync(manifest, "utf8");
  fs.mkdirSync(path.dirname(backup), { recursive: true });
  fs.writeFileSync(backup, text);
  const pkg = JSON.parse(text);
  delete pkg.scripts;
  fs.writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
}

function restore() {
  if (!fs.existsSync(backup)) {
    console.error(`pack-manifest: nothing to restore (${backup} is missing); package.json is left as it is`);
    process.exit(1);
  }
  fs.renameSync(backup, manifest);
}

const command = process.argv[2];
if (command === "strip") strip();
else if (command === "restore") restore();
else {
  console.error("usage: node scripts/pack-manifest.cjs strip|restore");
  process.exit(2);
}
