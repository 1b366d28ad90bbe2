/**
 * The health check is real: the emulator's probe talks MCP (initialize + tools/list) over HTTP to
 * a sample server built on the official SDK, with the source's credential.
 */
import * as http from "node:http";
import type { Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMcpServer, type Emulator, type SampleMcpServer } from "../../packages/emulator/src";
import { createMcpProbe, describeProbeError } from "../../packages/emulator/src/probe";
import { base, call, registerBody, startTestEmulator, TOKEN } from "./helpers";

let emulator: Emulator;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  emulator = await startTestEmulator();
});
afterEach(async () => {
  await emulator.close();
  for (const fn of cleanups.splice(0)) await fn();
});

async function sample(auth: Parameters<typeof startMcpServer>[0]["auth"]): Promise<SampleMcpServer> {
  const server = await startMcpServer({ auth });
  cleanups.push(() => server.close());
  return server;
}

describe("register runs a one-shot MCP health check", () => {
  it("marks a bearer source active when the MCP server accepts its token", async () => {
    const mcp = await sample({ kind: "bearer", token: TOKEN });
    const res = await call(emulator, "POST", `${base()}/user-mcp`, {
      body: registerBody({ base_url: mcp.url }),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "active", health_error: null, ingestion_mode: "user_mcp" });
    expect(res.body.data_source_id).toMatch(/^ds_[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it("keeps the row with status error and a 401 reason when the token is wrong", async () => {
    const mcp = await sample({ kind: "bearer", token: "the-right-one" });
    const res = await call(emulator, "POST", `${base()}/user-mcp`, {
      body: registerBody({ base_url: mcp.url }),
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("error");
    expect(res.body.health_error).toBe("MCP server answered HTTP 401");
    const got = await call(emulator, "GET", `${base()}/${res.body.data_source_id}`);
    expect(got.body).toMatchObject({ status: "error", health_error: "MCP server answered HTTP 401" });
  });

  it("sends the token in the named header for header_token", async () => {
    const mcp = await sample({ kind: "header_token", header: "X-Api-Key", token: TOKEN });
    const res = await call(emulator, "POST", `${base()}/user-mcp`, {
      body: registerBody({ base_url: mcp.url, auth_kind: "header_token", auth_header: "X-Api-Key" }),
    });
    expect(res.body).toMatchObject({ status: "active", health_error: null });
  });

  it("sends no credential for auth_kind none", async () => {
    const mcp = await sample({ kind: "none" });
    const res = await call(emulator, "POST", `${base()}/user-mcp`, {
      body: registerBody({ base_url: mcp.url, auth_kind: "none", token: undefined }),
    });
    expect(res.body).toMatchObject({ status: "active", health_error: null });
  });

  it("reports connection refused for a port nobody listens on", async () => {
    const res = await call(emulator, "POST", `${base()}/user-mcp`, { body: registerBody() });
    expect(res.body).toMatchObject({ status: "error", health_error: "connection refused" });
  });
});

describe("POST …/test follows the MCP server through an outage", () => {
  it("goes error while the server is stopped and active again once it is back", async () => {
    const mcp = await sample({ kind: "bearer", token: TOKEN });
    const reg = await call(emulator, "POST", `${base()}/user-mcp`, {
      body: registerBody({ base_url: mcp.url }),
    });
    const testPath = `${base()}/${reg.body.data_source_id}/user-mcp/test`;
    expect(reg.body.status).toBe("active");

    await mcp.stop();
    const down = await call(emulator, "POST", testPath);
    expect(down.status).toBe(200);
    expect(down.body.status).toBe("error");
    expect(down.body.health_error).toBe("connection refused");
    expect(down.text).not.toContain(TOKEN);

    await mcp.start();
    const up = await call(emulator, "POST", testPath);
    expect(up.body).toMatchObject({ status: "active", health_error: null });
  });
});

describe("probe timeout", () => {
  it("gives up on a server that accepts and never answers, within the limit", async () => {
    const sockets = new Set<Socket>();
    const silent = http.createServer(() => undefined);
    silent.on("connection", (s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          silent.close(() => resolve());
        }),
    );
    const port = (silent.address() as { port: number }).port;
    const probe = createMcpProbe({ timeoutMs: 300 });
    const started = Date.now();
    const result = await probe({ baseUrl: `http://127.0.0.1:${port}/mcp`, authKind: "bearer", token: TOKEN });
    const elapsed = Date.now() - started;
    expect(result).toEqual({ ok: false, reason: "timed out after 300 ms" });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2_000);

    // The same through the emulator: the register still answers, with the timeout as the reason.
    const quick = await startTestEmulator({ probeTimeoutMs: 300 });
    cleanups.push(() => quick.close());
    const res = await call(quick, "POST", `${base()}/user-mcp`, {
      body: registerBody({ base_url: `http://127.0.0.1:${port}/mcp` }),
    });
    expect(res.body).toMatchObject({ status: "error", health_error: "timed out after 300 ms" });
  });
});

describe("describeProbeError", () => {
  it.each([
    [
      "a socket error code deep in the cause chain",
      Object.assign(new TypeError("fetch failed"), {
        cause: Object.assign(new Error("x"), { code: "ENOTFOUND" }),
      }),
      "host not found",
    ],
    [
      "an unknown socket code",
      Object.assign(new Error("x"), { code: "EWHATEVER" }),
      "network error (EWHATEVER)",
    ],
    ["a value that is not an Error", "boom", "health check failed (unrecognised error from the MCP client)"],
  ])("maps %s to a short reason", (_name, err, reason) => {
    expect(describeProbeError(err, 1000)).toBe(reason);
  });
});
