/**
 * Waiting on what the emulator has seen, rather than on the clock: a test that must act while a
 * create waits for its MCP server's health (interrupt it, kill it) acts once the emulator's request
 * log shows the register and a health re-test after it. No vitest import, so any test layer can use it.
 */
import type { Emulator } from "../../packages/emulator/src";

/** Resolves once the emulator has registered a source and seen a health re-test after it; bounded. */
export async function untilRetesting(emulator: Emulator, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ops = emulator.requestLog().map((e) => `${e.operation} ${e.status}`);
    const registered = ops.indexOf("register 200");
    if (registered >= 0 && ops.slice(registered + 1).some((op) => op.startsWith("test"))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no register followed by a health re-test within ${timeoutMs} ms`);
}
