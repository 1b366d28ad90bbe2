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
 *     (`require("pulumi-copass/client")` after a preview's check and diff).
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
  "pulumiLoadMs" | "programLoadMs" | "providerLoadMs" | "firstCheckMs" | "clientLoadMs" | "cpuMs"
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

async function node<T>(consumerDir: string, script: string): Promise<T> {
  const r = await run(process.execPath, ["-e", script], { cwd: consumerDir, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`cold-start probe failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** One run of the program probe and the provider probe in a consumer project. */
interface LoadProbe {
  program: { pulumi: Timed; ours: Timed; zod: boolean };
  provider: {
    load: Timed;
    firstCheck: number;
    client: Timed;
    undiciAfterProvider: boolean;
    undiciAfterPreview: boolean;
  };
}

async function probeLoads(consumerDir: string): Promise<LoadProbe> {
  return {
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
  };
  return {
    push({ program, provider }: LoadProbe): void {
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
      return {
        pulumiLoadMs: m(s.pulumi),
        programLoadMs: m(s.program),
        providerLoadMs: m(s.provider),
        firstCheckMs: m(s.check),
        clientLoadMs: m(s.client),
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
    if (opts.baselineDir && i % 2) base = await probeLoads(opts.baselineDir);
    const probe = await probeLoads(consumerDir);
    if (opts.baselineDir && !(i % 2)) base = await probeLoads(opts.baselineDir);
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

export function coldStartLines(c: ColdStart): string[] {
  const target = (key: keyof typeof COLD_TARGETS) =>
    `${c[key]} ms (target ≤ ${COLD_TARGETS[key]}: ${c[key] <= COLD_TARGETS[key] ? "met" : "NOT met"})`;
  return [
    `cold start (host spawn → first Configure + Check answered): ours ${c.oursMs} ms, host floor ${c.hostFloorMs} ms, ours − floor ${c.oursShareMs} ms`,
    `require("pulumi-copass") after @pulumi/pulumi (${c.pulumiLoadMs} ms): ${target("programLoadMs")}, CPU ${c.cpuMs.programLoad} ms; loads zod: ${c.programLoadsZod ? "yes" : "no"}`,
    `require("pulumi-copass/provider"): ${target("providerLoadMs")}, CPU ${c.cpuMs.providerLoad} ms; then the first check ${c.firstCheckMs} ms; loads undici: ${c.providerLoadsUndici ? "yes" : "no"}; check + diff load undici: ${c.previewLoadsUndici ? "yes" : "no"}`,
    `the client (undici) on the first API call: ${target("clientLoadMs")}, CPU ${c.cpuMs.clientLoad} ms`,
    ...(c.baseline ? [baselineLine(c.baseline)] : []),
  ];
}

function baselineLine(b: LoadFigures): string {
  return (
    `baseline, same rounds: program ${b.programLoadMs} ms (CPU ${b.cpuMs.programLoad}), provider ${b.providerLoadMs} ms ` +
    `(CPU ${b.cpuMs.providerLoad}) then the first check ${b.firstCheckMs} ms, client ${b.clientLoadMs} ms (CPU ${b.cpuMs.clientLoad})`
  );
}
