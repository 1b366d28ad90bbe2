/**
 * Issue 18's plugin figure: process start to the first answered Configure, for the `copass` plugin
 * (pulumi-resource-copass as `npm pack` ships it) and for a bare `provider.main` server of
 * @pulumi/pulumi (bare-plugin.cjs), alternating in one run; target: ours ≤ 1.2 × bare. Every
 * `pulumi preview` of a YAML, Python or Go program pays this once per provider.
 */
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { startHost, type Props } from "../test/support/pulumi-host";
import { median, round2 } from "./cold-start";

export interface PluginStart {
  pluginMs: number;
  bareProviderMainMs: number;
  ratio: number;
  samples: number;
}

export const PLUGIN_START_TARGET_RATIO = 1.2;

export async function measurePluginStart(
  consumerDir: string,
  opts: { samples: number; config: Props; log?: (line: string) => void },
): Promise<PluginStart> {
  const executables = {
    plugin: path.join(consumerDir, "node_modules", "pulumi-copass", "dist", "plugin", "main.js"),
    bare: path.join(__dirname, "..", "..", "..", "bench", "bare-plugin.cjs"),
  };
  const times: Record<"plugin" | "bare", number[]> = { plugin: [], bare: [] };
  for (let i = 0; i <= opts.samples; i++) {
    const order: ("plugin" | "bare")[] = i % 2 ? ["bare", "plugin"] : ["plugin", "bare"];
    for (const which of order) {
      const t0 = performance.now();
      const h = await startHost(consumerDir, { plugin: executables[which] });
      try {
        await h.configure(opts.config);
      } finally {
        await h.kill();
      }
      // Round 0 warms the file cache and the bench's own gRPC client: not counted.
      if (i > 0) times[which].push(performance.now() - t0);
    }
    if (i > 0) {
      opts.log?.(
        `plugin start ${i}/${opts.samples}: copass ${Math.round(times.plugin.at(-1)!)} ms, bare provider.main ${Math.round(times.bare.at(-1)!)} ms`,
      );
    }
  }
  const plugin = median(times.plugin);
  const bare = median(times.bare);
  return {
    pluginMs: round2(plugin),
    bareProviderMainMs: round2(bare),
    ratio: round2(plugin / bare),
    samples: opts.samples,
  };
}

export function pluginStartLine(p: PluginStart): string {
  const met = p.ratio <= PLUGIN_START_TARGET_RATIO ? "met" : "NOT met";
  return `plugin start → first Configure answered: copass ${p.pluginMs} ms, bare provider.main ${p.bareProviderMainMs} ms, ratio ${p.ratio} (target ≤ ${PLUGIN_START_TARGET_RATIO}: ${met})`;
}
