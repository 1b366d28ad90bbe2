/**
 * Builds release/ (`node scripts/dist.mjs --if-stale`) before test/dist runs, unless it was built
 * from the very inputs it has now (scripts/packaging/config.mjs `inputsHash`): the tests check
 * what `npm run dist` makes from these sources, never a stale release/.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";

export default function setup(): void {
  const root = path.join(__dirname, "..", "..");
  const r = spawnSync(process.execPath, [path.join(root, "scripts", "dist.mjs"), "--if-stale"], {
    cwd: root,
    stdio: "inherit",
  });
  if (r.status !== 0)
    throw new Error(`npm run dist failed (exit ${r.status ?? r.signal}): see its output above`);
}
