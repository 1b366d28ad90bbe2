// `npm run build`: both packages of the workspace with one incremental `tsc -b` (the emulator's
// project references the provider's, so the provider builds first; an up-to-date build is a
// no-op, which matters because npm ci runs the root's `prepare` twice in this workspace).
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
// Builds from before the emulator moved to packages/emulator left dist/emulator; `files` ships
// dist/**, so remove it rather than publish a stale copy.
fs.rmSync(path.join(root, "dist", "emulator"), { recursive: true, force: true });

const tsc = require.resolve("typescript/bin/tsc", { paths: [root] });
const r = spawnSync(process.execPath, [tsc, "-b", "packages/emulator/tsconfig.build.json"], {
  cwd: root,
  stdio: "inherit",
});
if (r.status !== 0) process.exit(r.status ?? 1);

// dist/zod.js, dist/zod-mini.js: bundles of the zod functions we use, without zod's
// locales (scripts/bundle-zod.mjs).
// Written after every tsc run, which may have rewritten it with the plain re-export.
const bundled = spawnSync(process.execPath, [path.join(__dirname, "bundle-zod.mjs")], {
  cwd: root,
  stdio: "inherit",
});
if (bundled.status !== 0) process.exit(bundled.status ?? 1);

// npm links bins at install time; a bin rebuilt later must stay executable for `npx`.
fs.chmodSync(path.join(root, "packages", "emulator", "dist", "cli.js"), 0o755);
fs.chmodSync(path.join(root, "dist", "cli", "main.js"), 0o755);
fs.chmodSync(path.join(root, "dist", "plugin", "main.js"), 0o755);
