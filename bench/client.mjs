// Benchmark of the Copass client against the local emulator, on loopback, using the BUILT package
// (dist/). Run with `npm run bench:client` (builds first). Bounded loops; stops by itself.
//
//   1. GET one source: requests/s and p50/p95 latency (2 000 requests, concurrency 8).
//   2. Register with a live MCP health check (initialize + tools/list): p50/p95 (60 registers).
//   3. createOnce (a create is never duplicated): API calls (from the emulator's request log) on the happy path
//      and after a committed-then-dropped POST, with and without an explicit app_namespace.
//   4. The provider's lifecycle operations in-process (dist/provider/provider.js, what Pulumi's
//      host calls through the shim): API calls and median latency of each, over LIFECYCLE_ROUNDS
//      rounds, with create with and without app_namespace interleaved for a side-by-side ratio.
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";

const require = createRequire(import.meta.url);
const { CopassClient, createOnce } = require("../dist/client/index.js");
const { startEmulator, startMcpServer } = require("copass-emulator");
const { provider } = require("../dist/provider/provider.js");
const { differingFields } = require("../dist/provider/diff.js");
const { checkInputs } = require("../dist/provider/schema.js");

const GETS = 2_000;
const CONCURRENCY = 8;
const REGISTERS = 60;
const LIFECYCLE_ROUNDS = 20;
const API_KEY = "olk_bench_key_0000000000";
const MCP_TOKEN = "mcp_bench_token_000000";

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function timedLoop(total, concurrency, fn) {
  const latencies = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const t0 = performance.now();
      await fn(i);
      latencies.push(performance.now() - t0);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  return { elapsedMs, p50: percentile(latencies, 50), p95: percentile(latencies, 95), n: total };
}

const mcp = await startMcpServer({ auth: { kind: "bearer", token: MCP_TOKEN } });
const emulator = await startEmulator({ apiKeys: [API_KEY] });
const client = new CopassClient({ apiUrl: emulator.url, apiKey: API_KEY, retry: { minDelayMs: 10 } });
const body = (extra = {}) => ({
  name: "bench",
  base_url: mcp.url,
  auth_kind: "bearer",
  token: MCP_TOKEN,
  ...extra,
});
/** The matcher the provider passes createOnce for `b`: the field table's comparator (provider.ts). */
const matching = (b) => {
  const { inputs } = checkInputs({
    sandboxId: "sb_bench",
    name: b.name,
    baseUrl: b.base_url,
    authKind: b.auth_kind,
    token: b.token,
    appNamespace: b.app_namespace,
  });
  return (row) => differingFields(row, inputs).length === 0;
};
const rows = [];

try {
  // 1. GET one.
  const { data_source_id: id } = await client.registerUserMcp("sb_bench_get", body());
  await client.getSource("sb_bench_get", id); // warm the keep-alive connection
  const get = await timedLoop(GETS, CONCURRENCY, () => client.getSource("sb_bench_get", id));
  rows.push([
    `GET one source (${GETS} req, concurrency ${CONCURRENCY})`,
    `${Math.round((GETS / get.elapsedMs) * 1000)} req/s`,
    `p50 ${get.p50.toFixed(2)} ms, p95 ${get.p95.toFixed(2)} ms`,
  ]);

  // 2. Register with the live health check (sequential: one probe at a time, like `pulumi up`).
  const reg = await timedLoop(REGISTERS, 1, async (i) => {
    const out = await client.registerUserMcp("sb_bench_register", body({ app_namespace: `ns${i}` }));
    if (out.status !== "active")
      throw new Error(`register ${i} came back ${out.status}: ${out.health_error}`);
  });
  rows.push([
    `register + live MCP health check (${REGISTERS}, sequential)`,
    `${Math.round((REGISTERS / reg.elapsedMs) * 1000)} req/s`,
    `p50 ${reg.p50.toFixed(2)} ms, p95 ${reg.p95.toFixed(2)} ms`,
  ]);

  // 3. API calls of createOnce.
  const cases = [
    { label: "happy path, explicit app_namespace", ns: "crm", fault: undefined },
    { label: "happy path, no app_namespace", ns: undefined, fault: undefined },
    { label: "commit-then-drop, explicit app_namespace", ns: "crm", fault: "commit-then-drop" },
    { label: "commit-then-drop, no app_namespace", ns: undefined, fault: "commit-then-drop" },
    { label: "drop (not committed), explicit app_namespace", ns: "crm", fault: "drop" },
    { label: "drop (not committed), no app_namespace", ns: undefined, fault: "drop" },
  ];
  for (const [i, c] of cases.entries()) {
    const sb = `sb_bench_reconcile_${i}`;
    emulator.faults.reset();
    emulator.clearRequestLog();
    if (c.fault) emulator.faults.inject({ operation: "register", action: { kind: c.fault } });
    // Without a namespace a dropped POST fails "may have been created" (no second POST): counted too.
    const request = body(c.ns ? { app_namespace: c.ns } : {});
    const outcome = await createOnce(client, sb, request, { matches: matching(request) }).then(
      () => "created",
      (e) => e.code,
    );
    const calls = emulator.requestLog().map((e) => (e.fault ? `${e.operation}(${e.fault})` : e.operation));
    const { count } = await client.listSources(sb);
    rows.push([
      `createOnce: ${c.label}`,
      `${calls.length} API calls`,
      `${calls.join(", ")}; ${outcome}; sources: ${count}`,
    ]);
  }

  // 4. Provider lifecycle, in-process.
  const settings = { "copass:apiUrl": emulator.url, "copass:apiKey": API_KEY };
  await provider.configure({ config: { get: (key) => settings[key] } });
  const samples = new Map(); // operation → { calls: string[], ms: number[] }
  const measure = async (op, fn) => {
    const before = emulator.requestLog().length;
    const t0 = performance.now();
    const result = await fn();
    const ms = performance.now() - t0;
    const calls = emulator
      .requestLog()
      .slice(before)
      .map((e) => e.operation);
    const sample = samples.get(op) ?? { calls, ms: [] };
    sample.ms.push(ms);
    samples.set(op, sample);
    return result;
  };
  const program = (sb, extra = {}) => ({
    sandboxId: sb,
    name: "bench",
    baseUrl: mcp.url,
    authKind: "bearer",
    token: MCP_TOKEN,
    ...extra,
  });
  for (let round = 0; round < LIFECYCLE_ROUNDS; round++) {
    const sb = `sb_bench_life_${round}`;
    const named = (await provider.check({}, program(sb, { appNamespace: "crm" }))).inputs;
    const unnamed = (await provider.check({}, program(sb))).inputs;
    // Alternate which goes first, so neither always runs on a warmer process.
    const order = round % 2 ? ["without", "with"] : ["with", "without"];
    const created = {};
    for (const which of order) {
      const inputs = which === "with" ? named : unnamed;
      created[which] = await measure(`create (${which} appNamespace)`, () => provider.create(inputs));
    }
    const { id, outs } = created.with;
    await measure("diff, nothing changed", () => provider.diff(id, outs, named));
    await measure("read (refresh, health re-test)", () => provider.read(id, outs));
    await measure("read (healthCheckOnRefresh: false)", () =>
      provider.read(id, { ...outs, healthCheckOnRefresh: false }),
    );
    const renamed = { ...named, name: `bench ${round}` };
    const updated = await measure("update (rename)", () => provider.update(id, outs, renamed));
    await measure("update (baseUrl change, re-test)", () =>
      provider.update(id, updated.outs, { ...renamed, baseUrl: mcp.url.replace("127.0.0.1", "localhost") }),
    );
    await measure("delete (revoke)", () => provider.delete(id, outs));
    await measure("delete again (already revoked)", () => provider.delete(id, outs));
    await provider.delete(created.without.id, created.without.outs);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [op, { calls, ms }] of samples) {
    rows.push([
      `provider ${op}`,
      `${calls.length} API calls`,
      `${calls.join(", ") || "none"}; median ${median(ms).toFixed(2)} ms (${ms.length} runs)`,
    ]);
  }
  const ratio =
    median(samples.get("create (without appNamespace)").ms) /
    median(samples.get("create (with appNamespace)").ms);
  rows.push([
    "ratio: create without / with appNamespace",
    `${ratio.toFixed(2)}x`,
    "median latency, interleaved in one run (both list first since issue 15 §2: ~1.0x)",
  ]);
} finally {
  await client.close();
  await emulator.close();
  await mcp.close();
}

const widths = [0, 1, 2].map((c) =>
  Math.max(...rows.map((r) => r[c].length), ["what", "result", "detail"][c].length),
);
const line = (r) => r.map((cell, c) => cell.padEnd(widths[c])).join(" | ");
console.log(`pulumi-copass bench — node ${process.version}, loopback emulator\n`);
console.log(line(["what", "result", "detail"]));
console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
for (const r of rows) console.log(line(r));
