/**
 * `npm run bench:cold`: the cold-start figures of the bench alone (cold-start.ts), in about a
 * minute, for a machine too busy for the full run or a change that touches only what loads when.
 * Packs the package, installs it into a throwaway consumer project, and writes
 * bench/cold-start.json (the full `npm run bench` records the same figures in results.json).
 * Check makes no API call, so no emulator is needed: the hosts are configured with a loopback URL
 * nothing listens on.
 *
 *   npm run bench:cold                  # 10 samples
 *   npm run bench:cold -- --samples 20
 *   npm run bench:cold -- --baseline ../other-checkout   # also its load figures, same rounds
 *   npm run bench:cold -- --plugin-only  # the plugin's start alone (npm, executable, bare), no file
 *
 * `--baseline` takes a checkout of another version (built or not; it is built and packed like
 * this one) and measures its program, provider and client loads in the same rounds as ours,
 * alternating which goes first: "before and after" side by side on the same machine and load.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import {
  captureProviderText,
  installConsumer,
  packAndInstall,
  packPackage,
  removeTemp,
  repoRoot,
  secret,
} from "../test/support/pulumi-host";
import { coldStartLines, machineInfo, measureColdStart } from "./cold-start";
import { hostFloorProviderText } from "./floors";
import { measurePluginStart, pluginStartLine } from "./plugin-start";

const { values: args } = parseArgs({
  options: {
    samples: { type: "string", default: "10" },
    baseline: { type: "string" },
    out: { type: "string", default: path.join(repoRoot, "bench", "cold-start.json") },
    // The plugin's start alone (npm plugin, release executable, bare provider.main); writes nothing.
    "plugin-only": { type: "boolean", default: false },
  },
});

const log = (line: string) => process.stderr.write(`[bench:cold] ${line}\n`);

async function main(): Promise<void> {
  const samples = Number(args.samples);
  if (!Number.isInteger(samples) || samples < 1 || samples > 50) {
    throw new Error(`--samples takes an integer from 1 to 50 (got ${args.samples})`);
  }
  const started = performance.now();
  log("packing the package and installing it into a throwaway consumer project …");
  const consumerDir = await packAndInstall();
  const baselineDir = args.baseline
    ? await installConsumer(await packPackage(path.resolve(args.baseline)), "baseline")
    : undefined;
  try {
    if (args["plugin-only"]) {
      const pluginStart = await measurePluginStart(consumerDir, {
        samples,
        config: { apiUrl: "http://127.0.0.1:9", apiKey: secret("olk_bench_cold_0a1b2c") },
        log,
      });
      process.stdout.write(`${pluginStartLine(pluginStart)}\n`);
      return;
    }
    const ours = (await captureProviderText(consumerDir)).providerText;
    const coldStart = await measureColdStart(consumerDir, {
      samples,
      providerTexts: { ours, hostFloor: hostFloorProviderText(consumerDir) },
      config: { "copass:apiUrl": "http://127.0.0.1:9", "copass:apiKey": secret("olk_bench_cold_0a1b2c") },
      program: {
        sandboxId: "sb_cold",
        name: "bench 0",
        baseUrl: "https://mcp.example.com/mcp",
        authKind: "bearer",
        token: "mcp_bench_token_5a6b7c",
        appNamespace: "ns0",
      },
      baselineDir,
      log,
    });
    const pluginStart = await measurePluginStart(consumerDir, {
      samples,
      config: { apiUrl: "http://127.0.0.1:9", apiKey: secret("olk_bench_cold_0a1b2c") },
      log,
    });
    const results = {
      machine: {
        ...machineInfo(),
        durationS: Math.round((performance.now() - started) / 1000),
      },
      coldStart,
      pluginStart,
    };
    writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(
      [
        `pulumi-copass cold start — node ${process.version}, ${results.machine.cpus} cpus, load ${results.machine.loadAverage1m}, medians of ${samples}`,
        ...coldStartLines(coldStart),
        pluginStartLine(pluginStart),
        "",
      ].join("\n"),
    );
    log(`wrote ${path.relative(process.cwd(), args.out)} in ${results.machine.durationS} s`);
  } finally {
    await removeTemp(consumerDir);
    if (baselineDir) await removeTemp(baselineDir);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:cold failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
