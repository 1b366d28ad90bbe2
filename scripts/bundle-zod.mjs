// Replaces dist/zod.js and dist/zod-mini.js (tsc's re-exports of the `zod` package, see src/zod.ts
// and src/zod-mini.ts) with bundles of the zod functions each lists, shaken by rolldown (a
// devDependency; nothing new at run time). Why: every entry point of the zod package requires its
// 64 locale files (colinhacks/zod#6050), most of the 128 ms `require("pulumi-copass/provider")`
// took; the bundles keep the English locale and nothing else. The provider loads dist/zod-mini.js
// (zod/mini, see src/zod-mini.ts for why), the client dist/zod.js (classic zod). Run by
// scripts/build.cjs after tsc.
//
// Two builds, so each bundle carries only the part of zod's core it uses (issue 24): zod/mini's
// bundle is 56 KB, not the 125 KB of mini plus a core shared with classic zod. A preview's
// provider (load, first check, diff) runs 19 M instructions fewer (114 → 95 M, callgrind, node 20);
// a process that also loads the client (an update) runs 6 M more (375 → 382 M), classic zod
// bringing its own copy of the core parts the two share. Previews are the more frequent, and
// every `up` starts with one.
//
// The banner names the zod version and carries zod's MIT license, as its license asks of copies.
// Our own code is not bundled: its stack traces point at dist/<file>.js as before; only frames
// inside zod point at dist/zod*.js. zod stays in `dependencies` (its types, and `npm audit`).
import { readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const zodDir = path.dirname(createRequire(path.join(root, "package.json")).resolve("zod/package.json"));
const { version } = JSON.parse(readFileSync(path.join(zodDir, "package.json"), "utf8"));
const license = readFileSync(path.join(zodDir, "LICENSE"), "utf8").trim();

const banner = [
  "/*!",
  ` * zod ${version} (https://github.com/colinhacks/zod), the functions src/zod.ts and src/zod-mini.ts list, bundled by`,
  " * scripts/bundle-zod.mjs so that loading it does not load zod's locales. Its license:",
  " *",
  ...license.split("\n").map((line) => ` * ${line}`.trimEnd()),
  " */",
].join("\n");

// Builds before issue 24 wrote the shared core here; `files` ships dist/**, so remove it rather
// than publish a file nothing loads.
rmSync(path.join(root, "dist", "zod-core.js"), { force: true });

for (const [name, source] of [
  ["zod", "zod.ts"],
  ["zod-mini", "zod-mini.ts"],
]) {
  await build({
    input: { [name]: path.join(root, "src", source) },
    platform: "node",
    logLevel: "warn",
    treeshake: true,
    output: {
      dir: path.join(root, "dist"),
      format: "cjs",
      entryFileNames: "[name].js",
      banner,
      // In ASCII, Node holds the source as one byte a character: one non-ASCII character (zod's doc
      // comments have dashes) makes V8 store all of it in two, ~200 KB more heap per start to
      // allocate and scavenge past, which costs most on a busy machine (issue 18). Doc comments go
      // (they are zod's docs, not ours); any other non-ASCII character is escaped.
      comments: { legal: true, annotation: false, jsdoc: false },
      charset: "ascii",
    },
  });
}
