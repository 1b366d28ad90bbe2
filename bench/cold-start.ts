/**
 * What a `pulumi preview` pays before any work (issue 18), each figure from fresh processes in the
 * consumer project (the packed package + `@pulumi/pulumi`), several samples, medians:
 *   - host: spawning Pulumi's dynamic-provider host to its first answered Configure + Check, for
 *     ours and for the host floor (floors.ts), alternating, so that ours − floor is our share;
 *   - programLoadMs: what `require("pulumi-copass")` adds to a program that loaded
 *     `@pulumi/pulumi` (pulumiLoadMs, the floor every Pulumi program pays, beside it);
 *   - providerLoadMs: `require("pulumi-copass/provider")` in a fresh process; firstCheckMs, the
 *     first `check` after it (what building the validator's schemas left for the first call);
 *   - clientLoadMs: what loading the HTTP client adds once a call needs the API
 *     (`require("pulumi-copass/client")` after a preview's check and diff);
 *   - providerLoadShareOfPulumi (issue 24): what a fresh `node -e 'require("pulumi-copass/provider")'`
 *     costs beyond `node -e 0`, as a share of what `node -e 'require("@pulumi/pulumi")'` costs beyond
 *     it, as a probe from a fresh clone measures it: whole processes, so nothing of Node's own
 *     loader is left out (wall time; CPU time beside it, `processLoad`).
 * Each probe also reports its CPU time, which a busy shared machine inflates less than wall time.
 * Given a `baselineDir` (a consumer project of another build), the load probes run there too, in
 * the same rounds, order alternating, so a change is measured against what it changes side by side.
 * Used by bench.ts (the full run, into bench/results.json) and cold.ts (`npm run bench:cold`).
 */
import * as os from "node:os";
import { performance } from "node:perf_hooks";
import { run, startHost, type Props } from "../test/support/pulumi-host";

export interface ColdStart {
  oursMs: number;
  hostFloorMs: number;
  oursShareMs: number;
  samples: number;
  pulumiLoadMs: number;
  programLoadMs: number;
  providerLoadMs: number;
  firstCheckMs: number;
  clientLoadMs: number;
  /** Fresh processes' wall-time share, provider over @pulumi/pulumi (see `processLoad`). */
  providerLoadShareOfPulumi: number;
  /**
   * Fresh `node -e` processes, medians: `node -e 0` (`nodeMs`, Node's own start), and what
   * requiring the provider or @pulumi/pulumi adds to it, in wall and CPU ms; `shareCpu` is
   * providerLoadShareOfPulumi in CPU time.
   */
  processLoad: {
    nodeMs: number;
    providerMs: number;
    pulumiMs: number;
    cpuMs: { node: number; provider: number; pulumi: number };
    shareCpu: number;
  };
  /** CPU time of the same probes (user + system), medians. */
  cpuMs: { programLoad: number; providerLoad: number; clientLoad: number };
  programLoadsZod: boolean;
  providerLoadsUndici: boolean;
  previewLoadsUndici: boolean;
  /** The load probes on the baseline consumer, same rounds (only with `baselineDir`). */
  baseline?: LoadFigures;
}

/** What loading costs, from the program and provider probes: medians, in ms. */
export type LoadFigures = Pick<
  ColdStart,
  | "pulumiLoadMs"
  | "programLoadMs"
  | "providerLoadMs"
  | "firstCheckMs"
  | "clientLoadMs"
  | "providerLoadShareOfPulumi"
  | "processLoad"
  | "cpuMs"
>;

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export const round2 = (x: number): number => Math.round(x * 100) / 100;

/** The machine a result was measured on, and its load then: results are read against it. */
export function machineInfo() {
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    loadAverage1m: round2(os.loadavg()[0] ?? NaN),
    totalMemMb: Math.round(os.totalmem() / 2 ** 20),
    date: new Date().toISOString(),
  };
}

/** Prints JSON `{wall, cpu}` of `body`'s `measured()` section; `loaded(re)` tests require.cache. */
const probe = (body: string) => `
  const { performance } = require("node:perf_hooks");
  const loaded = (re) => Object.keys(require.cache).some((k) => re.test(k));
  const measure = (fn) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    return { wall, cpu: (c.user + c.system) / 1000 };
  };
  (async () => { ${body} })().catch((e) => { console.error(e); process.exit(1); });
`;

const PROGRAM = probe(`
  const pulumi = measure(() => require("@pulumi/pulumi"));
  const ours = measure(() => require("pulumi-copass"));
  process.stdout.write(JSON.stringify({ pulumi, ours, zod: loaded(/[\\\\/]zod(-mini|-core)?(\\.js$|[\\\\/])/) }));
`);

const PROVIDER = probe(`
  const undici = /[\\\\/]node_modules[\\\\/]undici[\\\\/]/;
  let provider;
  const load = measure(() => ({ provider } = require("pulumi-copass/provider")));
  const undiciAfterProvider = loaded(undici);
  await provider.configure({ config: { get: () => undefined } });
  const news = { sandboxId: "sb", name: "n", baseUrl: "https://mcp.example.com/mcp", authKind: "none" };
  const t0 = performance.now();
  const { inputs } = await provider.check({}, news);
  const firstCheck = performance.now() - t0;
  await provider.diff("id", inputs, inputs);
  const undiciAfterPreview = loaded(undici);
  const client = measure(() => require("pulumi-copass/client"));
  process.stdout.write(JSON.stringify({ load, firstCheck, client, undiciAfterProvider, undiciAfterPreview }));
`);

interface Timed {
  wall: number;
  cpu: number;
}

/** What each fresh process runs: nothing, the provider, @pulumi/pulumi; then prints its CPU time. */
const FRESH = {
  node: "",
  provider: 'require("pulumi-copass/provider");',
  pulumi: 'require("@pulumi/pulumi");',
} as const;
type Fresh = keyof typeof FRESH;

/**
 * One fresh `node -e` process: wall time from spawn to exit, and the CPU time it used up to its
 * last line (`process.cpuUsage()`, user + system, Node's start included), in ms.
 */
async function freshProcess(consumerDir: string, which: Fresh): Promise<Timed> {
  const script = `${FRESH[which]}const c = process.cpuUsage(); process.stdout.write(String((c.user + c.system) / 1000));`;
  const t0 = performance.now();
  const cpu = await node<number>(consumerDir, script);
  return { wall: performance.now() - t0, cpu };
}

/** The three fresh processes, in `order` (rounds alternate it, so none always runs first). */
async function freshProcesses(consumerDir: string, order: Fresh[]): Promise<Record<Fresh, Timed>> {
  const out: Partial<Record<Fresh, Timed>> = {};
  for (const which of order) out[which] = await freshProcess(consumerDir, which);
  return out as Record<Fresh, Timed>;
}

async function node<T>(consumerDir: string, script: string): Promise<T> {
  const r = await run(process.execPath, ["-e", script], { cwd: consumerDir, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`cold-start probe failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** One run of the program probe, the provider probe and the fresh processes in a consumer project. */
interface LoadProbe {
  fresh: Record<Fresh, Timed>;
  program: { pulumi: Timed; ours: Timed; zod: boolean };
  provider: {
    load: Timed;
    firstCheck: number;
    client: Timed;
    undiciAfterProvider: boolean;
    undiciAfterPreview: boolean;
  };
}

async function probeLoads(consumerDir: string, round: number): Promise<LoadProbe> {
  const order: Fresh[] = round % 2 ? ["pulumi", "provider", "node"] : ["node", "provider", "pulumi"];
  return {
    fresh: await freshProcesses(consumerDir, order),
    program: await node<LoadProbe["program"]>(consumerDir, PROGRAM),
    provider: await node<LoadProbe["provider"]>(consumerDir, PROVIDER),
  };
}

/** Collects the load probes' samples of one consumer project; `figures()` gives their medians. */
function loadSamples() {
  const s = {
    pulumi: [] as number[],
    program: [] as number[],
    programCpu: [] as number[],
    provider: [] as number[],
    providerCpu: [] as number[],
    check: [] as number[],
    client: [] as number[],
    clientCpu: [] as number[],
    fresh: { node: [] as Timed[], provider: [] as Timed[], pulumi: [] as Timed[] },
  };
  return {
    push({ fresh, program, provider }: LoadProbe): void {
      for (const which of Object.keys(FRESH) as Fresh[]) s.fresh[which].push(fresh[which]);
      s.pulumi.push(program.pulumi.wall);
      s.program.push(program.ours.wall);
      s.programCpu.push(program.ours.cpu);
      s.provider.push(provider.load.wall);
      s.providerCpu.push(provider.load.cpu);
      s.check.push(provider.firstCheck);
      s.client.push(provider.client.wall);
      s.clientCpu.push(provider.client.cpu);
    },
    figures(): LoadFigures {
      const m = (xs: number[]) => round2(median(xs));
      // Medians of each process, then the differences: Node's start is the same in all three.
      const wall = (which: Fresh) => median(s.fresh[which].map((t) => t.wall));
      const cpu = (which: Fresh) => median(s.fresh[which].map((t) => t.cpu));
      const share = (of: (which: Fresh) => number) =>
        Math.round(((of("provider") - of("node")) / (of("pulumi") - of("node"))) * 10_000) / 10_000;
      return {
        pulumiLoadMs: m(s.pulumi),
        programLoadMs: m(s.program),
        providerLoadMs: m(s.provider),
        firstCheckMs: m(s.check),
        clientLoadMs: m(s.client),
        providerLoadShareOfPulumi: share(wall),
        processLoad: {
          nodeMs: round2(wall("node")),
          providerMs: round2(wall("provider") - wall("node")),
          pulumiMs: round2(wall("pulumi") - wall("node")),
          cpuMs: {
            node: round2(cpu("node")),
            provider: round2(cpu("provider") - cpu("node")),
            pulumi: round2(cpu("pulumi") - cpu("node")),
          },
          shareCpu: share(cpu),
        },
        cpuMs: { programLoad: m(s.programCpu), providerLoad: m(s.providerCpu), clientLoad: m(s.clientCpu) },
      };
    },
  };
}

/**
 * `samples` rounds (plus one uncounted warm-up) of: both hosts' cold start in alternating order,
 * the program probe and the provider probe (on `baselineDir` too, if given, order alternating).
 * `config` and `program` are what the hosts are given.
 */
export async function measureColdStart(
  consumerDir: string,
  opts: {
    samples: number;
    providerTexts: { ours: string; hostFloor: string };
    config: Props;
    program: Props;
    baselineDir?: string;
    log?: (line: string) => void;
  },
): Promise<ColdStart> {
  const host: Record<"ours" | "hostFloor", number[]> = { ours: [], hostFloor: [] };
  const ours = loadSamples();
  const baseline = loadSamples();
  const flags = { zod: false, undiciAfterProvider: false, undiciAfterPreview: false };
  for (let i = 0; i <= opts.samples; i++) {
    const order: ("ours" | "hostFloor")[] = i % 2 ? ["hostFloor", "ours"] : ["ours", "hostFloor"];
    const times: Partial<Record<"ours" | "hostFloor", number>> = {};
    for (const which of order) {
      const t0 = performance.now();
      const h = await startHost(consumerDir, { providerText: opts.providerTexts[which] });
      try {
        await h.configure(opts.config);
        const checked = await h.check({}, { ...opts.program });
        if (checked.failures.length > 0)
          throw new Error(`cold check failed: ${JSON.stringify(checked.failures)}`);
      } finally {
        await h.kill();
      }
      times[which] = performance.now() - t0;
    }
    let base: LoadProbe | undefined;
    if (opts.baselineDir && i % 2) base = await probeLoads(opts.baselineDir, i);
    const probe = await probeLoads(consumerDir, i);
    if (opts.baselineDir && !(i % 2)) base = await probeLoads(opts.baselineDir, i);
    const { program, provider } = probe;
    flags.zod ||= program.zod;
    flags.undiciAfterProvider ||= provider.undiciAfterProvider;
    flags.undiciAfterPreview ||= provider.undiciAfterPreview;
    // Round 0 warms the bench's own gRPC stubs and the file cache: not counted.
    if (i === 0) continue;
    host.ours.push(times.ours!);
    host.hostFloor.push(times.hostFloor!);
    ours.push(probe);
    if (base) baseline.push(base);
    opts.log?.(
      `cold sample ${i}/${opts.samples}: host ours ${Math.round(times.ours!)} ms, floor ${Math.round(times.hostFloor!)} ms; ` +
        `program ${program.ours.wall.toFixed(1)}, provider ${provider.load.wall.toFixed(1)}, client ${provider.client.wall.toFixed(1)} ms` +
        (base
          ? `; baseline program ${base.program.ours.wall.toFixed(1)}, provider ${base.provider.load.wall.toFixed(1)}, client ${base.provider.client.wall.toFixed(1)} ms`
          : ""),
    );
  }
  const oursHost = median(host.ours);
  const floor = median(host.hostFloor);
  return {
    oursMs: round2(oursHost),
    hostFloorMs: round2(floor),
    oursShareMs: round2(oursHost - floor),
    samples: opts.samples,
    ...ours.figures(),
    programLoadsZod: flags.zod,
    providerLoadsUndici: flags.undiciAfterProvider,
    previewLoadsUndici: flags.undiciAfterPreview,
    ...(opts.baselineDir ? { baseline: baseline.figures() } : {}),
  };
}

/** The issue 18 targets, in ms, and whether `c` meets them. */
export const COLD_TARGETS = { programLoadMs: 10, providerLoadMs: 30, clientLoadMs: 40 } as const;

/** Issue 24: a fresh `require("pulumi-copass/provider")` under 2.5 % of `require("@pulumi/pulumi")`. */
export const PROVIDER_LOAD_SHARE_TARGET = 0.025;

const percent = (share: number) => `${(share * 100).toFixed(2)} %`;

/** The fresh-process line: the share, its target, and the figures it comes from. */
function shareLine(c: LoadFigures): string {
  const p = c.processLoad;
  const met = c.providerLoadShareOfPulumi < PROVIDER_LOAD_SHARE_TARGET ? "met" : "NOT met";
  return (
    `fresh processes beyond node -e 0 (${p.nodeMs} ms): require("pulumi-copass/provider") ${p.providerMs} ms, ` +
    `require("@pulumi/pulumi") ${p.pulumiMs} ms: providerLoadShareOfPulumi ${percent(c.providerLoadShareOfPulumi)} ` +
    `(target < ${percent(PROVIDER_LOAD_SHARE_TARGET)}: ${met}); CPU ${p.cpuMs.provider} / ${p.cpuMs.pulumi} ms: ${percent(p.shareCpu)}`
  );
}

export function coldStartLines(c: ColdStart): string[] {
  const target = (key: keyof typeof COLD_TARGETS) =>
    `${c[key]} ms (target ≤ ${COLD_TARGETS[key]}: ${c[key] <= COLD_TARGETS[key] ? "met" : "NOT met"})`;
  return [
    `cold start (host spawn → first Configure + Check answered): ours ${c.oursMs} ms, host floor ${c.hostFloorMs} ms, ours − floor ${c.oursShareMs} ms`,
    `require("pulumi-copass") after @pulumi/pulumi (${c.pulumiLoadMs} ms): ${target("programLoadMs")}, CPU ${c.cpuMs.programLoad} ms; loads zod: ${c.programLoadsZod ? "yes" : "no"}`,
    `require("pulumi-copass/provider"): ${target("providerLoadMs")}, CPU ${c.cpuMs.providerLoad} ms; then the first check ${c.firstCheckMs} ms (load + first check ${round2(c.providerLoadMs + c.firstCheckMs)} ms); loads undici: ${c.providerLoadsUndici ? "yes" : "no"}; check + diff load undici: ${c.previewLoadsUndici ? "yes" : "no"}`,
    shareLine(c),
    `the client (undici) on the first API call: ${target("clientLoadMs")}, CPU ${c.cpuMs.clientLoad} ms`,
    ...(c.baseline ? [baselineLine(c.baseline)] : []),
  ];
}

function baselineLine(b: LoadFigures): string {
  return (
    `baseline, same rounds: program ${b.programLoadMs} ms (CPU ${b.cpuMs.programLoad}), provider ${b.providerLoadMs} ms ` +
    `(CPU ${b.cpuMs.providerLoad}) then the first check ${b.firstCheckMs} ms, client ${b.clientLoadMs} ms (CPU ${b.cpuMs.clientLoad}); ` +
    `share of @pulumi/pulumi ${percent(b.providerLoadShareOfPulumi)} (CPU ${percent(b.processLoad.shareCpu)})`
  );
}
