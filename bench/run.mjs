// Benchmark of the Copass client against the local emulator, on loopback, using the BUILT package
// (dist/). Run with `npm run bench` (builds first). Bounded loops; stops by itself.
//
//   1. GET one source: requests/s and p50/p95 latency (2 000 requests, concurrency 8).
//   2. Register with a live MCP health check (initialize + tools/list): p50/p95 (60 registers).
//   3. registerUserMcpReconciled: API calls (from the emulator's request log) on the happy path
//      and after a committed-then-dropped POST, with and without an explicit app_namespace.
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";

const require = createRequire(import.meta.url);
const { CopassClient } = require("../dist/client/index.js");
const { startEmulator, startMcpServer } = require("../dist/emulator/index.js");

const GETS = 2_000;
const CONCURRENCY = 8;
const REGISTERS = 60;
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

  // 3. API calls of registerUserMcpReconciled.
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
    await client.registerUserMcpReconciled(sb, body(c.ns ? { app_namespace: c.ns } : {}));
    const calls = emulator.requestLog().map((e) => (e.fault ? `${e.operation}(${e.fault})` : e.operation));
    const { count } = await client.listSources(sb);
    rows.push([
      `registerUserMcpReconciled: ${c.label}`,
      `${calls.length} API calls`,
      `${calls.join(", ")}; sources: ${count}`,
    ]);
  }
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
