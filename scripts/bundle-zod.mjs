// Replaces dist/zod.js and dist/zod-mini.js (tsc's re-exports of the `zod` package, see src/zod.ts
// and src/zod-mini.ts) with bundles of the zod functions each lists, shaken by rolldown (a
// devDependency; nothing new at run time). Why: every entry point of the zod package requires its
// 64 locale files (colinhacks/zod#6050), most of the 128 ms `require("pulumi-copass/provider")`
// took; each bundle keeps the English locale and nothing else. The client loads dist/zod.js
// (classic zod), the provider dist/zod-mini.js (zod/mini, see src/zod-mini.ts for why); each
// bundle has its own copy of zod's core, which zod supports (its config is kept on globalThis).
// Run by scripts/build.cjs after tsc.
//
// The banner names the zod version and carries zod's MIT license, as its license asks of copies.
// Our own code is not bundled: its stack traces point at dist/<file>.js as before; only frames
// inside zod point at dist/zod.js or dist/zod-mini.js. zod stays in `dependencies` (its types,
// and `npm audit`).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const zodDir = path.dirname(createRequire(path.join(root, "package.json")).resolve("zod/package.json"));
const { version } = JSON.parse(readFileSync(path.join(zodDir, "package.json"), "utf8"));
const license = readFileSync(path.join(zodDir, "LICENSE"), "utf8").trim();

const banner = (source) =>
  [
    "/*!",
    ` * zod ${version} (https://github.com/colinhacks/zod), the functions ${source} lists, bundled by`,
    " * scripts/bundle-zod.mjs so that loading it does not load zod's locales. Its license:",
    " *",
    ...license.split("\n").map((line) => ` * ${line}`.trimEnd()),
    " */",
  ].join("\n");

async function bundle(name) {
  await build({
    input: path.join(root, "src", `${name}.ts`),
    platform: "node",
    logLevel: "warn",
    treeshake: true,
    output: {
      file: path.join(root, "dist", `${name}.js`),
      format: "cjs",
      banner: banner(`src/${name}.ts`),
      // In ASCII, Node holds the source as one byte a character: one non-ASCII character (zod's
      // doc comments have dashes) makes V8 store all of it in two, ~200 KB more heap per start to
      // allocate and scavenge past, which costs most on a busy machine (issue 18). Doc comments
      // go (they are zod's docs, not ours); any other non-ASCII character is escaped.
      comments: { legal: true, annotation: false, jsdoc: false },
      charset: "ascii",
    },
  });
}

await bundle("zod");
await bundle("zod-mini");
