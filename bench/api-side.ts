/**
 * The bench's API side as the bench process sees it: servers.ts (the emulator and a real MCP
 * server) started in a process of their own, and the emulator's admin endpoints the bench uses
 * (the modelled latency, the request log). bench.ts and face.ts share it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";

export const API_KEY = "olk_bench_0a1b2c3d4e5f";
export const ADMIN_KEY = "admin_bench_9f8e7d";
export const MCP_TOKEN = "mcp_bench_token_5a6b7c";

/** One API request as the emulator logged it (admin calls are not logged). */
export interface LoggedRequest {
  method: string;
  path: string;
  /** The API operation the emulator routed it to: list, register, get, test, patch, revoke, … */
  operation: string;
}

export interface Servers {
  url: string;
  mcpUrl: string;
  setLatency(ms: number): Promise<void>;
  clearLog(): Promise<void>;
  /** Paths of the API requests logged since the last clearLog. */
  requests(): Promise<string[]>;
  /** The API requests logged since the last clearLog, with their method and operation. */
  requestLog(): Promise<LoggedRequest[]>;
  close(): Promise<void>;
}

export async function startServers(): Promise<Servers> {
  const script = path.join(__dirname, "servers.js");
  const child: ChildProcess = spawn(process.execPath, [script], {
    env: { ...process.env, BENCH_API_KEY: API_KEY, BENCH_ADMIN_KEY: ADMIN_KEY, BENCH_MCP_TOKEN: MCP_TOKEN },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const ready = await new Promise<{ url: string; mcpUrl: string }>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as { url: string; mcpUrl: string });
    });
    child.once("exit", (code) => reject(new Error(`bench servers exited with ${code}`)));
  });
  const admin = async (method: string, p: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${ready.url}/_emulator/${p}`, {
      method,
      headers: { "x-emulator-admin-key": ADMIN_KEY, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`emulator admin ${method} ${p}: HTTP ${res.status}`);
    return res.json();
  };
  const requestLog = async () =>
    ((await admin("GET", "requests")) as { requests: LoggedRequest[] }).requests.map(
      ({ method, path, operation }) => ({ method, path, operation }),
    );
  return {
    ...ready,
    async setLatency(ms) {
      await admin("DELETE", "faults");
      // Every API request waits `ms` before it is handled: a modelled network and service time.
      if (ms > 0) await admin("POST", "faults", { action: { kind: "delay", ms }, times: "Infinity" });
    },
    clearLog: async () => void (await admin("DELETE", "requests")),
    requests: async () => (await requestLog()).map((r) => r.path),
    requestLog,
    async close() {
      const exited = new Promise((r) => child.once("exit", r));
      child.stdin!.end();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
