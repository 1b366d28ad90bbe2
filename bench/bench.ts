/**
 * `npm run bench`: what a user pays for our provider, side by side with the least any provider
 * could cost (issue 11). Bounded: a fixed number of rounds over fixed sizes; stops by itself.
 *
 * Three subjects do the same lifecycle against the same emulator (own process, a configurable
 * per-request latency, a real MCP server behind its health checks):
 *   - ours: the package as `npm pack` makes it, through Pulumi's dynamic-provider host over gRPC
 *     (test/support/pulumi-host.ts, as test/host drives it);
 *   - host floor: a hand-written provider on our undici (floors.ts) through the same host, same RPCs;
 *   - HTTP floor: the same minimal API calls straight from undici, no host.
 * For each latency × N × operation, the subjects take turns chunk by chunk (2 × parallel
 * resources, the order rotating each turn) so that a busy spell on a shared machine slows all
 * three alike; an operation's time is the sum of its chunks, the figures are means over the
 * rounds (targets.ts says why, and which figures have a target), each ratio comes with its spread
 * over the run's samples, and only the ratios measured this way mean anything on a shared machine.
 *
 * Operations, each over N resources with `--parallel` in flight: check, create, no-op diff,
 * refresh (health re-test on and off), one in-place update (rename), delete. Plus the cold start
 * (cold-start.ts: host spawn to the first answered Configure + Check beside the host floor, and
 * what loading the program side, the provider and the client costs), the host's peak RSS at the
 * largest N, and the `__provider` and state bytes per resource.
 *
 *   npm run bench                                # full run (12–15 min on 2 cores; 743 s in the run of 06a8370)
 *   npm run bench -- --n 50 --rounds 1 --face-rounds 1 --latency 20 --cold 2   # quick check
 *   npm run bench:cold                           # the cold start only (cold.ts, ~1 min)
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import {
  captureProviderText,
  packAndInstall,
  removeTemp,
  repoRoot,
  secret,
  startHost,
  type Host,
  type Props,
} from "../test/support/pulumi-host";
import { coldStartLines, machineInfo, measureColdStart, median, round2, type ColdStart } from "./cold-start";
import { measurePluginStart, pluginStartLine, type PluginStart } from "./plugin-start";
import { HttpFloor, hostFloorProviderText, type Program } from "./floors";
import {
  growthPrices,
  twinSafetyPrices,
  type GrowthPrice,
  type PriceRow,
  type TwinSafetyPrice,
} from "./price";
import { API_KEY, MCP_TOKEN, startServers, type Servers } from "./api-side";
import { mean, pairedRatioRange, targetChecks, targetLines, type Targets } from "./targets";
import { measurePluginFace, pluginFaceLine, type PluginFace } from "./plugin-face";

/**
 * `httpOneCall` registers without the snapshot listing (create only): beside `http`, it prices
 * what exactly-once creates cost on the wire (`createOneCallHttpMs`).
 */
type Subject = "ours" | "hostFloor" | "http" | "httpOneCall";
const SUBJECTS: Subject[] = ["ours", "hostFloor", "http", "httpOneCall"];
const OPS = ["check", "create", "diff", "refresh", "refresh-no-health", "update", "delete"] as const;
type Op = (typeof OPS)[number];
/**
 * The least API calls per resource any provider needs for the operation (issue 11). Create is 2:
 * without an idempotency key, a create that never duplicates and never takes a twin stack's source
 * after a lost answer must list the sandbox before it POSTs (issue 15 §2). Both floors make the
 * same calls as ours (issue 24); only `httpOneCall` POSTs alone, to price the listing.
 */
const MIN_CALLS: Record<Op, number> = {
  check: 0,
  create: 2,
  diff: 0,
  refresh: 2,
  "refresh-no-health": 1,
  update: 1,
  delete: 1,
};

// --- options ---------------------------------------------------------------------------------------

const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "1,50,200" },
    latency: { type: "string", default: "20,0" },
    rounds: { type: "string", default: "5" },
    // The plugin face's rounds: each is 4 commands × ours and the floor through the real CLI (~45 s),
    // the dynamic face in the first (~40 s more).
    "face-rounds": { type: "string", default: "2" },
    // Sources already in the sandbox when N = --growth-n resources are created and refreshed.
    growth: { type: "string", default: "0,200,1000" },
    "growth-n": { type: "string", default: "50" },
    // The listing grows the same at 20 ms and 0 ms (16.1 and 16.9 ms per create per 1000 sources in
    // the run of 6c4b51c): one request either way, its size on the wire and its parse. At 20 ms, the
    // target cell's latency (targets.ts), a round costs 22 s against 31 s for two at 0 ms, and the
    // ratio's spread was ±1.3–2.7 % against ±2.6–4.8 % (5 and 10 samples; `--growth-latency 0`).
    "growth-latency": { type: "string", default: "20" },
    parallel: { type: "string", default: "10" },
    cold: { type: "string", default: "3" },
    // Untimed lifecycles of 200 resources per subject at 0 ms before the rounds (JIT warm-up).
    warm: { type: "string", default: "2" },
    out: { type: "string", default: path.join(repoRoot, "bench", "results.json") },
    // Writes a V8 CPU profile of each long-lived host (ours, host floor) into this folder.
    "cpu-prof-dir": { type: "string" },
  },
});

function ints(flag: string, raw: string, min: number, max: number): number[] {
  const list = raw.split(",").map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((x) => !Number.isInteger(x) || x < min || x > max)) {
    throw new Error(`--${flag} takes integers from ${min} to ${max}, comma-separated (got ${raw})`);
  }
  return list;
}

const SIZES = ints("n", args.n, 1, 1000);
const LATENCIES = ints("latency", args.latency, 0, 1000);
const [ROUNDS = 5] = ints("rounds", args.rounds, 1, 20);
const [FACE_ROUNDS = 2] = ints("face-rounds", args["face-rounds"], 1, 20);
const [PARALLEL = 10] = ints("parallel", args.parallel, 1, 100);
const [COLD = 3] = ints("cold", args.cold, 1, 20);
const [WARM_LIFECYCLES = 2] = ints("warm", args.warm, 0, 20);
/** Resources per warm-up lifecycle (below: "Untimed lifecycles per subject"). */
const WARM_N = 200;
const GROWTH = ints("growth", args.growth, 0, 5000);
const [GROWTH_N = 50] = ints("growth-n", args["growth-n"], 1, 1000);
const GROWTH_LATENCIES = ints("growth-latency", args["growth-latency"], 0, 1000);
/** Growth rows per round and latency: twice at 0 ms (`--growth-latency 0`), once otherwise. */
const growthRepeatsOf = (latency: number) => (latency === 0 ? 2 : 1);
/**
 * How often the lifecycle of N resources runs per round. At 20 ms latency a call mostly waits on the
 * wire: N = 1 five times, larger N once. At 0 ms the hosts are CPU-bound on 2 cores shared by four
 * processes, and a GC pause or another process's burst inside one subject's chunk moves a sample by
 * ±10–15 %: N = 1 ten times, N ≤ 50 three times, larger N once (ten chunks of a subject already
 * average within one sample). Fewer than before (N = 50 twice at 20 ms, four times at 0 ms): with
 * those and the warm-up lifecycles (52 s) a full run took 905 s, over the 15 minutes, and the means
 * (targets.ts) move less than the medians did.
 */
const repeatsOf = (n: number, latency: number) =>
  latency === 0 ? (n === 1 ? 10 : n <= 50 ? 3 : 1) : n === 1 ? 5 : 1;
/** Resources per turn when the subjects alternate within an operation. */
const CHUNK = 2 * PARALLEL;

// --- small helpers ---------------------------------------------------------------------------------

/** Runs `fn` over `items` with at most `limit` in flight; resolves when all are done. */
async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const benchStart = performance.now();
function log(line: string): void {
  process.stderr.write(`[bench ${Math.round((performance.now() - benchStart) / 1000)} s] ${line}\n`);
}

/** Peak RSS (VmHWM) of a process in KiB; `reset` first clears the mark (Linux clear_refs 5). */
function peakRssKb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

// --- the subjects ----------------------------------------------------------------------------------

interface Resource {
  program: Program;
  inputs?: Props;
  id?: string;
  props?: Props;
}

/** One subject's lifecycle operations over a set of resources. */
interface Runner {
  /** Untimed preparation of an operation (the engine's Check before an update, say). */
  prepare(op: Op, rs: Resource[]): Promise<void>;
  /** One operation on one resource; throws when the outcome is not the expected one. */
  run(op: Op, r: Resource): Promise<void>;
}

function expect(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench: unexpected outcome: ${what}`);
}

function hostRunner(host: Host): Runner {
  return {
    async prepare(op, rs) {
      if (op !== "update") return;
      // The engine checks the new program before it diffs and updates.
      await pool(rs, PARALLEL, async (r) => {
        r.program = { ...r.program, name: `${r.program.name} renamed` };
        const checked = await host.check(r.inputs ?? {}, { ...r.program });
        expect(checked.failures.length === 0, `check failures ${JSON.stringify(checked.failures)}`);
        r.inputs = checked.inputs;
      });
    },
    async run(op, r) {
      switch (op) {
        case "check": {
          const checked = await host.check({}, { ...r.program });
          expect(checked.failures.length === 0, `check failures ${JSON.stringify(checked.failures)}`);
          r.inputs = checked.inputs;
          return;
        }
        case "create": {
          const created = await host.create(r.inputs!);
          expect(created.properties.status === "active", `create → ${String(created.properties.status)}`);
          r.id = created.id;
          r.props = created.properties;
          return;
        }
        case "diff": {
          const d = await host.diff(r.id!, r.props!, r.inputs!);
          expect(d.changes === "DIFF_NONE", `no-op diff → ${d.changes}`);
          return;
        }
        case "refresh":
        case "refresh-no-health": {
          const stored = { ...r.props!, healthCheckOnRefresh: op === "refresh" };
          const read = await host.read(r.id!, stored);
          expect(read.properties.status === "active", `refresh → ${String(read.properties.status)}`);
          // The state the engine keeps; the no-health variant only borrows the flag.
          if (op === "refresh") r.props = read.properties;
          return;
        }
        case "update": {
          const updated = await host.update(r.id!, r.props!, r.inputs!);
          expect(updated.properties.name === r.program.name, "update did not rename");
          r.props = updated.properties;
          return;
        }
        case "delete":
          await host.delete(r.id!, r.props!);
          return;
      }
    },
  };
}

function httpRunner(http: HttpFloor, oneCall = false): Runner {
  return {
    async prepare(op, rs) {
      if (op === "update")
        for (const r of rs) r.program = { ...r.program, name: `${r.program.name} renamed` };
    },
    async run(op, r) {
      switch (op) {
        case "check":
        case "diff":
          return; // no HTTP: not measured for the HTTP floor
        case "create": {
          const { id, status } = await (oneCall ? http.createOneCall(r.program) : http.create(r.program));
          expect(status === "active", `create → ${String(status)}`);
          r.id = id;
          return;
        }
        case "refresh":
        case "refresh-no-health": {
          const status = await http.refresh(r.program, r.id!, op === "refresh");
          expect(status === "active", `refresh → ${String(status)}`);
          return;
        }
        case "update":
          return http.rename(r.program, r.id!, r.program.name);
        case "delete":
          return http.delete(r.program, r.id!);
      }
    },
  };
}

/**
 * Fails the bench unless the host floor records the keys ours records at every step (checked
 * inputs, create, read and its inputs, update): the floor carries the state the schema declares,
 * so that ours / host floor is not the price of the contract (floors.ts).
 */
async function sameStateShape(ours: Host, floor: Host, program: Program): Promise<void> {
  const steps = async (host: Host) => {
    const { inputs } = await host.check({}, { ...program });
    const created = await host.create(inputs);
    const read = await host.read(created.id, created.properties);
    const news = (await host.check(inputs, { ...program, name: `${program.name} renamed` })).inputs;
    const updated = await host.update(created.id, read.properties, news);
    await host.delete(created.id, updated.properties);
    const keys = (p: Props | undefined) =>
      Object.keys(p ?? {})
        .sort()
        .join(",");
    return {
      check: keys(inputs),
      create: keys(created.properties),
      read: keys(read.properties),
      "read inputs": keys(read.inputs),
      update: keys(updated.properties),
    };
  };
  const [a, b] = [await steps(ours), await steps(floor)];
  for (const step of Object.keys(a) as (keyof typeof a)[]) {
    if (a[step] !== b[step]) {
      throw new Error(
        `bench: the host floor's ${step} state differs from ours: ours [${a[step]}], floor [${b[step]}]`,
      );
    }
  }
}

// --- measurements ----------------------------------------------------------------------------------

interface Sample {
  ms: number[];
  calls: number[];
}
/** Lifecycle rows run the whole lifecycle in empty sandboxes; growth rows create and refresh in full ones. */
type Series = PriceRow["series"];
/** series | N | latency | sources already in the sandbox | operation | subject */
type Key = `${Series}|${number}|${number}|${number}|${Op}|${Subject}`;

/** The subjects an operation is measured for: the HTTP floors make no call for check and diff. */
function subjectsOf(op: Op): Subject[] {
  if (op === "check" || op === "diff") return ["ours", "hostFloor"];
  if (op === "create") return SUBJECTS;
  return SUBJECTS.filter((s) => s !== "httpOneCall");
}

/**
 * Times `op` over every subject's set. The subjects take turns chunk by chunk (2 × parallel
 * resources), the order rotating each turn (from `rotation`), so that a busy spell on the shared
 * machine lands on all of them alike; a subject's time is the sum of its chunks. The API calls per
 * resource come from the emulator's request log, by each subject's sandbox.
 */
async function timeOperation(
  op: Op,
  sets: Record<Subject, Resource[]>,
  runners: Record<Subject, Runner>,
  servers: Servers,
  rotation: number,
  label: string,
): Promise<Map<Subject, { ms: number; calls: number }>> {
  const active = subjectsOf(op);
  for (const subject of active) await runners[subject].prepare(op, sets[subject]);
  await servers.clearLog();
  const n = sets.ours.length;
  const ms: Record<Subject, number> = { ours: 0, hostFloor: 0, http: 0, httpOneCall: 0 };
  for (let c = 0; c * CHUNK < n; c++) {
    const shift = (rotation + c) % active.length;
    for (const subject of [...active.slice(shift), ...active.slice(0, shift)]) {
      const chunk = sets[subject].slice(c * CHUNK, (c + 1) * CHUNK);
      const t0 = performance.now();
      await pool(chunk, PARALLEL, (r) => runners[subject].run(op, r)).catch((error: unknown) => {
        throw new Error(`${subject}, ${op}, ${label}: ${String(error)}`);
      });
      ms[subject] += performance.now() - t0;
    }
  }
  const requests = await servers.requests();
  const out = new Map<Subject, { ms: number; calls: number }>();
  for (const subject of active) {
    const sandbox = `/sandboxes/${sets[subject][0]!.program.sandboxId}/`;
    out.set(subject, { ms: ms[subject], calls: requests.filter((p) => p.includes(sandbox)).length / n });
  }
  return out;
}

function record(
  samples: Map<Key, Sample>,
  key: (s: Subject) => Key,
  timed: Map<Subject, { ms: number; calls: number }>,
): void {
  for (const [subject, { ms, calls }] of timed) {
    const sample = samples.get(key(subject)) ?? { ms: [], calls: [] };
    sample.ms.push(ms);
    sample.calls.push(calls);
    samples.set(key(subject), sample);
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  log(
    `sizes ${SIZES.join(",")}, latencies ${LATENCIES.join(",")} ms, ${ROUNDS} rounds, parallel ${PARALLEL}`,
  );
  log("packing the package and installing it into a throwaway consumer project …");
  const consumerDir = await packAndInstall();
  const servers = await startServers();
  const hosts: Host[] = [];
  const http = new HttpFloor(servers.url, API_KEY);
  const config = { "copass:apiUrl": servers.url, "copass:apiKey": secret(API_KEY) };
  try {
    const providerText = (await captureProviderText(consumerDir)).providerText;
    const texts: Record<"ours" | "hostFloor", string> = {
      ours: providerText,
      hostFloor: hostFloorProviderText(consumerDir),
    };
    const program = (sandboxId: string, i: number): Program => ({
      sandboxId,
      name: `bench ${i}`,
      baseUrl: servers.mcpUrl,
      authKind: "bearer",
      token: MCP_TOKEN,
      appNamespace: `ns${i}`,
    });

    // Cold start, before the long run: host spawn → first answered Configure + Check, and loading.
    await servers.setLatency(0);
    const coldStart = await measureColdStart(consumerDir, {
      samples: COLD,
      providerTexts: texts,
      config,
      program: { ...program("sb_cold", 0) },
      log,
    });
    // The plugin's start (issue 18): to its first answered Configure, beside a bare provider.main.
    const pluginStart = await measurePluginStart(consumerDir, {
      samples: COLD,
      config: { apiUrl: servers.url, apiKey: secret(API_KEY) },
      log,
    });

    // The long-lived hosts, one per subject.
    const env = profilingEnv(args["cpu-prof-dir"]);
    const ours = await startHost(consumerDir, { providerText: texts.ours, env });
    hosts.push(ours);
    const floor = await startHost(consumerDir, { providerText: texts.hostFloor, env });
    hosts.push(floor);
    log(`hosts: ours pid ${ours.pid}, host floor pid ${floor.pid}`);
    await ours.configure(config);
    await floor.configure(config);
    const runners: Record<Subject, Runner> = {
      ours: hostRunner(ours),
      hostFloor: hostRunner(floor),
      http: httpRunner(http),
      httpOneCall: httpRunner(http, true),
    };

    await sameStateShape(ours, floor, program("sb_shape", 0));

    /**
     * Deletes the rows a lifecycle or a growth round made (untimed, at 0 ms), so that the emulator
     * holds only what the next measurement needs: with 20,000 rows kept, its heap grew to 350 MB and
     * its garbage collection held requests up to 12–16 ms (p99 of 400 GETs: 4.4 → 14.6 ms), landing
     * on whichever subject was running.
     */
    const removeRows = async (sets: Record<Subject, Resource[]>, latency: number) => {
      await servers.setLatency(0);
      for (const subject of SUBJECTS) {
        const made = sets[subject].filter((r) => r.id !== undefined);
        await pool(made, 4 * PARALLEL, (r) => http.remove(r.program, r.id!));
      }
      await servers.setLatency(latency);
    };

    const samples = new Map<Key, Sample>();
    const rss: Record<"ours" | "hostFloor", number[]> = { ours: [], hostFloor: [] };
    const stateBytes: Record<"ours" | "hostFloor", number[]> = { ours: [], hostFloor: [] };
    const largest = Math.max(...SIZES);
    let rssResettable = true;
    const setsFor = (sandbox: (s: Subject) => string, n: number, namespace: (i: number) => string) =>
      Object.fromEntries(
        SUBJECTS.map((s) => [
          s,
          Array.from({ length: n }, (_, i) => ({
            program: { ...program(sandbox(s), i), appNamespace: namespace(i) },
          })),
        ]),
      ) as Record<Subject, Resource[]>;

    /**
     * Untimed lifecycles per subject until V8 has compiled what each uses: the rounds measure the
     * steady state, where a user's long `up` spends its time, and the cold start and the plugin face
     * (fresh processes) measure what a start costs. Ours has more code to compile than a floor:
     * traced with --trace-opt at 20 ms (N = 50 updates), its host was still optimizing 122
     * functions after 500 updates (the floor 77), 1.6 ms of compile each on the other core, and
     * after 2000 its update was at parity (186 ms vs 194 ms a cycle). The 10-resource warm-up before
     * left that compile inside round 1, which a mean (targets.ts) counts.
     */
    await servers.setLatency(0);
    for (let w = 0; w < WARM_LIFECYCLES; w++) {
      log(`warm-up lifecycle ${w + 1}/${WARM_LIFECYCLES}, N = ${WARM_N}, 0 ms`);
      const sets = setsFor(
        (s) => `sb_warm_${s}_w${w}`,
        WARM_N,
        (i) => `ns${i}`,
      );
      for (const op of OPS) {
        for (const subject of subjectsOf(op)) {
          await runners[subject].prepare(op, sets[subject]);
          await pool(sets[subject], PARALLEL, (r) => runners[subject].run(op, r));
        }
      }
      await removeRows(sets, 0);
    }

    // The lifecycle: every operation over N resources, in sandboxes of their own.
    for (let round = 0; round < ROUNDS; round++) {
      for (const latency of LATENCIES) {
        await servers.setLatency(latency);
        for (const [ni, n] of SIZES.entries()) {
          log(`round ${round + 1}/${ROUNDS}, latency ${latency} ms, N = ${n}`);
          if (n === largest) for (const h of hosts) rssResettable = resetPeakRss(h.pid) && rssResettable;
          // One resource's operation lasts a few ms, as long as a hiccup of the shared machine: small
          // lifecycles are repeated so that their means are over rounds × repeats, not rounds alone.
          for (let k = 0; k < repeatsOf(n, latency); k++) {
            const sets = setsFor(
              (s) => `sb_${s}_r${round}_l${latency}_n${n}_k${k}`,
              n,
              (i) => `ns${i}`,
            );
            for (const [oi, op] of OPS.entries()) {
              const label = `N = ${n}, latency ${latency} ms`;
              const timed = await timeOperation(op, sets, runners, servers, round + ni + oi + k, label);
              record(samples, (s) => `lifecycle|${n}|${latency}|0|${op}|${s}`, timed);
              if (op === "create" && n === largest) {
                for (const subject of ["ours", "hostFloor"] as const) {
                  const bytes = sets[subject].map((r) => Buffer.byteLength(JSON.stringify(r.props)));
                  stateBytes[subject].push(mean(bytes));
                }
              }
            }
            await removeRows(sets, latency);
          }
          if (n === largest) {
            rss.ours.push(peakRssKb(ours.pid) ?? NaN);
            rss.hostFloor.push(peakRssKb(floor.pid) ?? NaN);
          }
        }
      }
    }

    // Growth: create and refresh GROWTH_N resources in sandboxes that already hold S sources (other
    // stacks'), since create's snapshot lists them all. Each subject gets its sandbox per S, seeded
    // once; the created rows are deleted after each round (untimed) so that S stays S.
    await servers.setLatency(0);
    const grown = (subject: Subject, size: number) => `sb_grown_${subject}_s${size}`;
    for (const size of GROWTH.filter((x) => x > 0)) {
      log(`seeding ${SUBJECTS.length} sandboxes with ${size} sources each …`);
      for (const subject of SUBJECTS) {
        const seeds = Array.from({ length: size }, (_, i) => ({
          ...program(grown(subject, size), i),
          name: `other stack ${i}`,
          appNamespace: `other${i}`,
        }));
        await pool(seeds, 4 * PARALLEL, async (p) => void (await http.createOneCall(p)));
      }
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const latency of GROWTH_LATENCIES) {
        await servers.setLatency(latency);
        for (const [si, size] of GROWTH.entries())
          for (let k = 0; k < growthRepeatsOf(latency); k++) {
            log(
              `growth: round ${round + 1}/${ROUNDS}, latency ${latency} ms, ${size} sources in the sandbox`,
            );
            const sets = setsFor(
              (s) => grown(s, size),
              GROWTH_N,
              (i) => `grow_r${round}_l${latency}_k${k}_${i}`,
            );
            // The engine's Check, untimed: create takes the checked inputs.
            for (const subject of subjectsOf("check"))
              await pool(sets[subject], PARALLEL, (r) => runners[subject].run("check", r));
            for (const [oi, op] of (["create", "refresh"] as const).entries()) {
              const label = `N = ${GROWTH_N}, ${size} sources in the sandbox, latency ${latency} ms`;
              const timed = await timeOperation(op, sets, runners, servers, round + si + oi + k, label);
              record(samples, (s) => `growth|${GROWTH_N}|${latency}|${size}|${op}|${s}`, timed);
            }
            await removeRows(sets, latency);
          }
      }
    }

    // The plugin face through the real CLI (plugin-face.ts): N = 100 at 20 ms.
    const pluginFace = await measurePluginFace(consumerDir, {
      n: 100,
      rounds: FACE_ROUNDS,
      latencyMs: 20,
      servers,
      log,
    });

    // --- report ---------------------------------------------------------------------------------
    const rows = [];
    const ms = (sample: Sample | undefined) => (sample ? round2(mean(sample.ms)) : null);
    const calls = (sample: Sample | undefined) => (sample ? round2(median(sample.calls)) : null);
    const cells: [Series, number, number, number, readonly Op[]][] = [
      ...LATENCIES.flatMap((l) =>
        SIZES.map((n) => ["lifecycle", n, l, 0, OPS] as [Series, number, number, number, readonly Op[]]),
      ),
      ...GROWTH_LATENCIES.flatMap((l) =>
        GROWTH.map(
          (size) =>
            ["growth", GROWTH_N, l, size, ["create", "refresh"]] as [
              Series,
              number,
              number,
              number,
              readonly Op[],
            ],
        ),
      ),
    ];
    for (const [series, n, latency, size, ops] of cells) {
      for (const op of ops) {
        const get = (s: Subject) => samples.get(`${series}|${n}|${latency}|${size}|${op}|${s}`);
        rows.push({
          series,
          n,
          latencyMs: latency,
          sandboxSize: size,
          op,
          oursMs: ms(get("ours")) ?? NaN,
          hostFloorMs: ms(get("hostFloor")) ?? NaN,
          // The 5th–95th percentiles of ours/host over resamplings of this cell's lifecycles.
          oursOverHostRange90: pairedRatioRange(get("ours")!.ms, get("hostFloor")!.ms),
          httpFloorMs: ms(get("http")),
          apiCalls: calls(get("ours")) ?? NaN,
          apiCallsMin: MIN_CALLS[op],
          hostFloorApiCalls: calls(get("hostFloor")),
          httpFloorApiCalls: calls(get("http")),
          ...(op === "create" ? { createOneCallHttpMs: ms(get("httpOneCall")) } : {}),
        });
      }
    }
    const results = {
      machine: {
        ...machineInfo(),
        rounds: ROUNDS,
        parallel: PARALLEL,
        durationS: Math.round((performance.now() - started) / 1000),
      },
      rows,
      targets: targetChecks(rows, pluginFace),
      twinSafety: twinSafetyPrices(rows),
      growth: growthPrices(rows),
      coldStart,
      pluginStart,
      pluginFace,
      memory: {
        n: largest,
        peakRssMb: {
          ours: round2(Math.max(...rss.ours) / 1024),
          hostFloor: round2(Math.max(...rss.hostFloor) / 1024),
        },
        peakResetPerN: rssResettable,
      },
      bytes: {
        providerText: { ours: Buffer.byteLength(texts.ours), hostFloor: Buffer.byteLength(texts.hostFloor) },
        statePerResource: {
          ours: Math.round(median(stateBytes.ours)),
          hostFloor: Math.round(median(stateBytes.hostFloor)),
        },
      },
    };
    writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(renderTable(results));
    log(`wrote ${path.relative(process.cwd(), args.out)} in ${results.machine.durationS} s`);
  } finally {
    for (const h of hosts) await h.kill();
    await http.close();
    await servers.close();
    await removeTemp(consumerDir);
  }
}

/**
 * NODE_OPTIONS for a profiled host. `--cpu-prof` is refused in NODE_OPTIONS and the harness stops
 * hosts with SIGTERM (no normal exit), so a preload runs the same V8 profiler through
 * `node:inspector` and writes `<pid>.cpuprofile` on SIGTERM.
 */
function profilingEnv(dir: string | undefined): NodeJS.ProcessEnv {
  if (dir === undefined) return {};
  const abs = path.resolve(dir);
  mkdirSync(abs, { recursive: true });
  const preload = path.join(abs, "profile-preload.js");
  const code = `
    const inspector = require("node:inspector");
    const fs = require("node:fs");
    const session = new inspector.Session();
    session.connect();
    session.post("Profiler.enable", () => session.post("Profiler.start"));
    process.on("SIGTERM", () => {
      session.post("Profiler.stop", (err, res) => {
        if (!err) fs.writeFileSync(${JSON.stringify(abs)} + "/" + process.pid + ".cpuprofile", JSON.stringify(res.profile));
        process.exit(0);
      });
    });
  `;
  writeFileSync(preload, code);
  log(`profiling the hosts into ${abs}`);
  return { NODE_OPTIONS: `--require ${preload}` };
}

type Results = {
  rows: (PriceRow & {
    apiCalls: number;
    apiCallsMin: number;
    hostFloorApiCalls: number | null;
    oursOverHostRange90: [number, number];
  })[];
  targets: Targets;
  twinSafety: TwinSafetyPrice[];
  growth: GrowthPrice[];
  coldStart: ColdStart;
  pluginStart: PluginStart;
  pluginFace: PluginFace;
  memory: { n: number; peakRssMb: { ours: number; hostFloor: number } };
  bytes: {
    providerText: { ours: number; hostFloor: number };
    statePerResource: { ours: number; hostFloor: number };
  };
  machine: { node: string; cpus: number; loadAverage1m: number; rounds: number; parallel: number };
};

function renderTable(r: Results): string {
  const head = [
    "latency",
    "N",
    "in sandbox",
    "op",
    "ours ms",
    "host floor ms",
    "HTTP floor ms",
    "ours/host",
    "ours/HTTP",
    "ours/host 90 % range",
    "ms/res over host",
    "API calls: ours, floors (min)",
    "HTTP 1-call create ms",
  ];
  const cells = (row: Results["rows"][number]) => [
    `${row.latencyMs} ms`,
    String(row.n),
    String(row.sandboxSize),
    row.op,
    row.oursMs.toFixed(1),
    row.hostFloorMs.toFixed(1),
    row.httpFloorMs === null ? "—" : row.httpFloorMs.toFixed(1),
    (row.oursMs / row.hostFloorMs).toFixed(2),
    row.httpFloorMs === null ? "—" : (row.oursMs / row.httpFloorMs).toFixed(2),
    row.oursOverHostRange90.map((x) => x.toFixed(2)).join("–"),
    ((row.oursMs - row.hostFloorMs) / row.n).toFixed(3),
    `${row.apiCalls}, ${row.hostFloorApiCalls ?? "—"} (${row.apiCallsMin})`,
    row.createOneCallHttpMs == null ? "—" : row.createOneCallHttpMs.toFixed(1),
  ];
  const lines = r.rows.map(cells);
  const widths = head.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c]!.length)));
  const fmt = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(" | ")} |`;
  const table = (series: Series) => [
    fmt(head),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...r.rows.filter((row) => row.series === series).map((row) => fmt(cells(row))),
  ];
  return [
    `pulumi-copass bench — node ${r.machine.node}, ${r.machine.cpus} cpus, load ${r.machine.loadAverage1m}, ` +
      `means of ${r.machine.rounds} interleaved rounds, ${r.machine.parallel} in parallel`,
    "",
    "The lifecycle, in empty sandboxes:",
    ...table("lifecycle"),
    "",
    "Growth: create and refresh in sandboxes that already hold other sources:",
    ...table("growth"),
    "",
    ...targetLines(r.targets),
    "",
    ...r.twinSafety.map(
      (p) =>
        `exactly-once creates (the snapshot listing), ${p.latencyMs} ms latency: ${p.oneCreateMs} ms for one create alone, ` +
        `${p.perCreateMs} ms per create at N = ${p.n}`,
    ),
    ...r.growth.map(
      (g) =>
        `growth, ${g.latencyMs} ms latency: ms per create per 1000 sources in the sandbox (0 → ${g.sandboxSize}): ` +
        `ours ${g.msPerCreatePer1000Sources.ours}, host floor ${g.msPerCreatePer1000Sources.hostFloor}, ` +
        `HTTP floor ${g.msPerCreatePer1000Sources.httpFloor ?? "—"}`,
    ),
    "",
    ...coldStartLines(r.coldStart),
    pluginStartLine(r.pluginStart),
    pluginFaceLine(r.pluginFace),
    `peak RSS of the host at N = ${r.memory.n}: ours ${r.memory.peakRssMb.ours} MB, host floor ${r.memory.peakRssMb.hostFloor} MB`,
    `__provider: ours ${r.bytes.providerText.ours} B, host floor ${r.bytes.providerText.hostFloor} B; ` +
      `state per resource: ours ${r.bytes.statePerResource.ours} B, host floor ${r.bytes.statePerResource.hostFloor} B`,
    "",
  ].join("\n");
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
