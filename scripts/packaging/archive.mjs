// The release's tarballs and SHA256SUMS. Tarballs are made by GNU tar with fixed order, owner and
// mtime, gzipped without a name or time, so the same files make the same bytes.
import { createHash } from "node:crypto";
import {
  createReadStream,
  createWriteStream,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import * as path from "node:path";
import { run } from "./sea.mjs";

/** The mtime of every entry: the commit the release is built from (SOURCE_DATE_EPOCH overrides). */
export function sourceDateEpoch(cwd) {
  if (process.env.SOURCE_DATE_EPOCH) return Number(process.env.SOURCE_DATE_EPOCH);
  try {
    return Number(run("git", ["log", "-1", "--format=%ct"], { cwd }).trim());
  } catch {
    return Math.floor(Date.now() / 1000); // not a git checkout: any time will do
  }
}

/** `outFile` = the files of `dir` (names relative to it, at the top of the tarball), gzipped. */
export async function tarGz(dir, names, outFile, mtime) {
  const tarFile = `${outFile}.tar`;
  run("tar", [
    "--create",
    "--sort=name",
    `--mtime=@${mtime}`,
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--format=gnu",
    `--file=${tarFile}`,
    "--directory",
    dir,
    ...names,
  ]);
  try {
    // Node's gzip header carries no file name and a zero time: the same tar, the same bytes.
    await pipeline(createReadStream(tarFile), createGzip({ level: 9 }), createWriteStream(outFile));
  } finally {
    rmSync(tarFile, { force: true });
  }
}

/** SHA256SUMS in `sha256sum`'s format, of every other file in `dir`. */
export function writeSha256Sums(dir) {
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name !== "SHA256SUMS")
    .map((e) => e.name)
    .sort();
  const lines = names.map(
    (name) =>
      `${createHash("sha256")
        .update(readFileSync(path.join(dir, name)))
        .digest("hex")}  ${name}\n`,
  );
  writeFileSync(path.join(dir, "SHA256SUMS"), lines.join(""));
  return names;
}
