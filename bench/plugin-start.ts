/**
 * Issue 18's plugin figure: process start to the first answered Configure, for the `copass` plugin
 * (pulumi-resource-copass as `npm pack` ships it) and for a bare `provider.main` server of
 * @pulumi/pulumi (bare-plugin.cjs), alternating in one run; target: ours ≤ 1.2 × bare. Every
 * `pulumi preview` of a YAML, Python or Go program pays this once per provider.
 *
 * Issue 23 adds the release's linux-amd64 executable (a Node single executable application, what
 * the CLI downloads), started with an empty environment; target: no slower than the npm plugin.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { removeTemp, repoRoot, startHost, type Host, type Props } from "../test/support/pulumi-host";
import { median, round2 } from "./cold-start";

export interface PluginStart {
  pluginMs: number;
  bareProviderMainMs: number;
  ratio: number;
  /** The release executable, when measured (built on linux-x64 only). */
  executableMs?: number;
  /** executableMs / pluginMs: ≤ 1 is the target. */
  executableRatio?: number;
  samples: number;
}

export const PLUGIN_START_TARGET_RATIO = 1.2;

type Subject = "plugin" | "bare" | "executable";

/**
 * The release's linux-amd64 executable: `node scripts/dist.mjs --if-stale` (a no-op when release/
 * is current), unpacked into a temporary folder. Undefined where dist cannot build (not linux-x64).
 */
function releaseExecutable(log?: (line: string) => void): string | undefined {
  if (process.platform !== "linux" || process.arch !== "x64") {
    log?.(`the release executable is built on linux-x64 only; this is ${process.platform}-${process.arch}`);
    return undefined;
  }
  const dist = spawnSync(process.execPath, [path.join(repoRoot, "scripts", "dist.mjs"), "--if-stale"], {
    cwd: repoRoot,
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (dist.status !== 0) throw new Error(`npm run dist failed (exit ${dist.status ?? dist.signal})`);
  const { version } = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
    version: string;
  };
  const dir = mkdtempSync(path.join(os.tmpdir(), "copass-bench-exe-"));
  const tarball = path.join(repoRoot, "release", `pulumi-resource-copass-v${version}-linux-amd64.tar.gz`);
  const untar = spawnSync("tar", ["-xzf", tarball, "-C", dir], { encoding: "utf8" });
  if (untar.status !== 0) throw new Error(`tar -xzf ${tarball}: ${untar.stderr}`);
  return path.join(dir, "pulumi-resource-copass");
}

export async function measurePluginStart(
  consumerDir: string,
  opts: { samples: number; config: Props; log?: (line: string) => void },
): Promise<PluginStart> {
  const executable = releaseExecutable(opts.log);
  try {
    return await measure(consumerDir, { ...opts, executable });
  } finally {
    if (executable) await removeTemp(path.dirname(executable));
  }
}

async function measure(
  consumerDir: string,
  opts: { samples: number; config: Props; executable?: string; log?: (line: string) => void },
): Promise<PluginStart> {
  const starts: Partial<Record<Subject, () => Promise<Host>>> = {
    plugin: () =>
      startHost(consumerDir, {
        plugin: path.join(consumerDir, "node_modules", "pulumi-copass", "dist", "plugin", "main.js"),
      }),
    bare: () => startHost(consumerDir, { plugin: path.join(repoRoot, "bench", "bare-plugin.cjs") }),
  };
  const executable = opts.executable;
  if (executable) starts.executable = () => startHost(consumerDir, { exec: [executable], env: {} });
  const subjects = Object.keys(starts) as Subject[];
  const times: Record<Subject, number[]> = { plugin: [], bare: [], executable: [] };
  for (let i = 0; i <= opts.samples; i++) {
    // Each round starts with another subject, so none always goes first (or last).
    const order = subjects.map((_, k) => subjects[(i + k) % subjects.length]!);
    for (const which of order) {
      const t0 = performance.now();
      const h = await starts[which]!();
      try {
        await h.configure(opts.config);
      } finally {
        await h.kill();
      }
      // Round 0 warms the file cache and the bench's own gRPC client: not counted.
      if (i > 0) times[which].push(performance.now() - t0);
    }
    if (i > 0) {
      const last = subjects.map((s) => `${s} ${Math.round(times[s].at(-1)!)} ms`).join(", ");
      opts.log?.(`plugin start ${i}/${opts.samples}: ${last}`);
    }
  }
  const plugin = median(times.plugin);
  const bare = median(times.bare);
  const result: PluginStart = {
    pluginMs: round2(plugin),
    bareProviderMainMs: round2(bare),
    ratio: round2(plugin / bare),
    samples: opts.samples,
  };
  if (executable) {
    result.executableMs = round2(median(times.executable));
    result.executableRatio = round2(median(times.executable) / plugin);
  }
  return result;
}

export function pluginStartLine(p: PluginStart): string {
  const met = p.ratio <= PLUGIN_START_TARGET_RATIO ? "met" : "NOT met";
  const line = `plugin start → first Configure answered: copass ${p.pluginMs} ms, bare provider.main ${p.bareProviderMainMs} ms, ratio ${p.ratio} (target ≤ ${PLUGIN_START_TARGET_RATIO}: ${met})`;
  if (p.executableMs === undefined) return `${line}; release executable not measured`;
  const exeMet = p.executableRatio! <= 1 ? "met" : "NOT met";
  return `${line}; release executable ${p.executableMs} ms, ${p.executableRatio} × the npm plugin (target ≤ 1: ${exeMet})`;
}
