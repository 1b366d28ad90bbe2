/**
 * The out-of-band calls of docs/emulator.md ("The local Copass emulator", between the
 * `emulator-curl` markers) run as written, with bash, curl and jq, against a started emulator, so
 * the paths a newcomer copies cannot rot (issue 25 §2).
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../packages/emulator/src";
import { API_KEY, call, startTestEmulator } from "./helpers";

const page = readFileSync(path.join(__dirname, "../../docs/emulator.md"), "utf8");

/** The shell block between the markers, without its fence. */
function curlBlock(): string {
  const between = page.split("<!-- emulator-curl:start -->")[1]?.split("<!-- emulator-curl:end -->")[0] ?? "";
  const block = /```sh\n([\s\S]*?)```/.exec(between)?.[1];
  if (!block) throw new Error("docs/emulator.md: no ```sh block between the emulator-curl markers");
  return block;
}

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator?.close();
});

describe("docs/emulator.md: the emulator's out-of-band curl lines", () => {
  it("register, rename, list and revoke a source, in that order, as the comments say", async () => {
    const { stdout } = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", curlBlock()], {
      env: { PATH: process.env.PATH, COPASS_API_URL: emulator.url, COPASS_API_KEY: API_KEY },
    });
    expect(emulator.requestLog().map((e) => [e.operation, e.status])).toEqual([
      ["register", 200],
      ["patch", 200],
      ["list", 200],
      ["revoke", 200],
    ]);
    // The listing printed the renamed source; the emulator now holds it revoked.
    expect(stdout).toContain('"name":"Wiki (old)"');
    const listed = await call(emulator, "GET", "/api/v1/storage/sandboxes/sb_local/sources");
    expect(listed.body.sources).toEqual([
      expect.objectContaining({ name: "Wiki (old)", status: "disconnected" }),
    ]);
  });
});
