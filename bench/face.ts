/**
 * `npm run bench:face`: the plugin face through the real CLI alone (plugin-face.ts), the part of
 * `npm run bench` a change to src/plugin needs. Packs the package, starts the bench's API side,
 * prints the figures and, with --out, writes them as JSON.
 *
 *   npm run bench:face                                  # N = 100, 3 rounds, 20 ms (~5 min)
 *   npm run bench:face -- --n 20 --rounds 1             # quick check
 *   npm run bench:face -- --breakdown                   # + where each command's CPU goes
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import * as path from "node:path";
import { installConsumer, packPackage, removeTemp } from "../test/support/pulumi-host";
import { startServers } from "./api-side";
import { machineInfo } from "./cold-start";
import { measurePluginFace, pluginFaceLines } from "./plugin-face";

const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "100" },
    rounds: { type: "string", default: "3" },
    latency: { type: "string", default: "20" },
    out: { type: "string" },
    // One more lifecycle of ours and the floor, splitting each command's CPU (plugins / engine).
    breakdown: { type: "boolean", default: false },
  },
});

function int(flag: string, raw: string, min: number, max: number): number {
  const x = Number(raw);
  if (!Number.isInteger(x) || x < min || x > max) {
    throw new Error(`--${flag} takes an integer from ${min} to ${max} (got ${raw})`);
  }
  return x;
}

function log(line: string): void {
  process.stderr.write(`[bench:face] ${line}\n`);
}

async function main(): Promise<void> {
  const n = int("n", args.n, 1, 1000);
  const rounds = int("rounds", args.rounds, 1, 20);
  const latencyMs = int("latency", args.latency, 0, 1000);
  log("packing the package and installing it into a throwaway consumer project …");
  const tgz = await packPackage();
  const consumerDir = await installConsumer(tgz);
  await removeTemp(path.dirname(tgz));
  const servers = await startServers();
  try {
    const pluginFace = await measurePluginFace(consumerDir, {
      n,
      rounds,
      latencyMs,
      servers,
      log,
      breakdown: args.breakdown,
    });
    const machine = machineInfo();
    process.stdout.write(
      `${[`node ${machine.node}, ${machine.cpus} cpus, load ${machine.loadAverage1m}`, ...pluginFaceLines(pluginFace)].join("\n")}\n`,
    );
    if (args.out) writeFileSync(args.out, `${JSON.stringify({ machine, pluginFace }, null, 2)}\n`);
  } finally {
    await servers.close();
    await removeTemp(consumerDir);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:face failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
