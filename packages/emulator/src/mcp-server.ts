/**
 * A small real MCP server (official SDK, Streamable HTTP, stateless: a fresh server and transport
 * per request) for tests, the demo and users' CI. It checks one credential the way a tenant's
 * server would, and can be stopped and started again on the same port to simulate an outage.
 */
import * as http from "node:http";
import type { Socket } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

export type McpServerAuth =
  | { kind: "bearer"; token: string }
  | { kind: "header_token"; header: string; token: string }
  | { kind: "none" };

export interface McpServerOptions {
  auth: McpServerAuth;
  /** Tool names it lists; each answers a short text. Default `["search_accounts", "get_account"]`. */
  tools?: string[];
  /** Default 0: a free port, kept across stop()/start(). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface SampleMcpServer {
  /** The MCP endpoint, e.g. `http://127.0.0.1:40123/mcp` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Stops listening and closes open connections (an outage); `start()` brings it back. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** Same as stop(); for symmetry with the emulator. */
  close(): Promise<void>;
}

export const DEFAULT_TOOLS = ["search_accounts", "get_account"];

function authorized(req: http.IncomingMessage, auth: McpServerAuth): boolean {
  if (auth.kind === "none") return true;
  if (auth.kind === "bearer") return req.headers.authorization === `Bearer ${auth.token}`;
  return req.headers[auth.header.toLowerCase()] === auth.token;
}

function jsonRpcError(res: http.ServerResponse, status: number, message: string): void {
  res
    .writeHead(status, { "content-type": "application/json" })
    .end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}

function buildServer(tools: string[]): McpServer {
  const server = new McpServer({ name: "copass-sample-mcp", version: "1.0.0" });
  for (const name of tools) {
    server.registerTool(name, { description: `Sample tool ${name}` }, async () => ({
      content: [{ type: "text", text: `${name}: ok` }],
    }));
  }
  return server;
}

export async function startMcpServer(options: McpServerOptions): Promise<SampleMcpServer> {
  const tools = options.tools ?? DEFAULT_TOOLS;
  const host = options.host ?? "127.0.0.1";
  const sockets = new Set<Socket>();

  const httpServer = http.createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://sample.invalid").pathname;
    if (path !== "/mcp") return jsonRpcError(res, 404, "Not found");
    if (!authorized(req, options.auth)) return jsonRpcError(res, 401, "Unauthorized");
    // Stateless mode has no session to stream to (GET) or terminate (DELETE).
    if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      return jsonRpcError(res, 405, "Method not allowed");
    }
    const server = buildServer(tools);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    server
      .connect(transport)
      .then(() => transport.handleRequest(req, res))
      .catch(() => {
        if (!res.headersSent) jsonRpcError(res, 500, "Internal server error");
      });
  });
  httpServer.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  let port = options.port ?? 0;
  let listening = false;
  const start = async () => {
    if (listening) return;
    await new Promise<void>((resolve, reject) => {
      httpServer.once("error", reject);
      httpServer.listen(port, host, () => {
        httpServer.off("error", reject);
        resolve();
      });
    });
    listening = true;
    const address = httpServer.address();
    if (typeof address === "object" && address !== null) port = address.port;
  };
  const stop = async () => {
    if (!listening) return;
    listening = false;
    await new Promise<void>((resolve) => {
      httpServer.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  };

  await start();
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/mcp`,
    port,
    stop,
    start,
    close: stop,
  };
}
