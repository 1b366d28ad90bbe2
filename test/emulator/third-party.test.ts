/**
 * The probe is not tuned to our own sample server: the reference MCP server
 * (@modelcontextprotocol/server-everything, Streamable HTTP, stateful sessions, express) passes too.
 * It picks its transport from argv[2] and its port from the PORT env, and says it is ready on stderr.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../packages/emulator/src";
import { base, call, registerBody, startTestEmulator } from "./helpers";

const ENTRY = path.join(
  __dirname,
  "../../node_modules/@modelcontextprotocol/server-everything/dist/index.js",
);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts server-everything and resolves once it logs that it listens (or rejects if it exits). */
function startEverything(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [ENTRY, "streamableHttp"], {
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes(`listening on port ${port}`)) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`server-everything exited with ${code}: ${stderr}`)));
  });
}

let emulator: Emulator;
let everything: ChildProcess | undefined;
let port: number;

beforeAll(async () => {
  emulator = await startTestEmulator({ probeTimeoutMs: 10_000 });
  port = await freePort();
  everything = await startEverything(port);
});

afterAll(async () => {
  await emulator?.close();
  if (everything && everything.exitCode === null) {
    const exited = new Promise((resolve) => everything?.once("exit", resolve));
    everything.kill("SIGKILL");
    await exited;
  }
});

describe("@modelcontextprotocol/server-everything as the tenant's MCP server", () => {
  it("registers active with auth_kind none against its /mcp endpoint", async () => {
    const res = await call(emulator, "POST", `${base()}/user-mcp`, {
      body: registerBody({ base_url: `http://127.0.0.1:${port}/mcp`, auth_kind: "none", token: undefined }),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "active", health_error: null });
  });

  it("answers a wrong path with an HTTP reason rather than active", async () => {
    const res = await call(emulator, "POST", `${base()}/user-mcp`, {
      body: registerBody({ base_url: `http://127.0.0.1:${port}/nope`, auth_kind: "none", token: undefined }),
    });
    expect(res.body).toMatchObject({ status: "error", health_error: "MCP server answered HTTP 404" });
  });
});
