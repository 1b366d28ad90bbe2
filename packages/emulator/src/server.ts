/**
 * The emulator's HTTP layer (json-server's `app.ts`): routes, statuses and the one place where
 * bodies are written. State and rules are in `store.ts`, the health check in `probe.ts`, fault
 * matching in `faults.ts`.
 *
 * Response conventions, all built by `send`/`errorResult` below:
 * - success: 200 with the store's object;
 * - service errors: `{error, detail}` with the StoreError's status (400, 404) or 401;
 * - framework errors: 422 `{detail: [{type, loc, msg}]}` (never the input);
 * - unknown route: 404, known path with another method: 405.
 */
import * as http from "node:http";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Emulator, EmulatorOptions, FaultAction, RequestLogEntry } from "./api";
import { checkFaultRule, FaultSet, statusFaultBody } from "./faults";
import { filePersistence } from "./persistence";
import { createMcpProbe, DEFAULT_PROBE_TIMEOUT_MS } from "./probe";
import { Store, StoreError } from "./store";
import { FrameworkError, parseJsonObject } from "./validate";

interface Result {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

type Operation = "register" | "patch" | "test" | "revoke" | "get" | "list" | "delete";

interface ApiRoute {
  operation: Operation;
  method: string;
  pattern: RegExp;
}

const PREFIX = "^/api/v1/storage/sandboxes/([^/]+)/sources";
/** Order matters only for readability: patterns are anchored and do not overlap for one method. */
const ROUTES: ApiRoute[] = [
  { operation: "register", method: "POST", pattern: new RegExp(`${PREFIX}/user-mcp$`) },
  { operation: "patch", method: "PATCH", pattern: new RegExp(`${PREFIX}/([^/]+)/user-mcp$`) },
  { operation: "test", method: "POST", pattern: new RegExp(`${PREFIX}/([^/]+)/user-mcp/test$`) },
  { operation: "revoke", method: "POST", pattern: new RegExp(`${PREFIX}/([^/]+)/user-mcp/revoke$`) },
  { operation: "get", method: "GET", pattern: new RegExp(`${PREFIX}/([^/]+)$`) },
  { operation: "delete", method: "DELETE", pattern: new RegExp(`${PREFIX}/([^/]+)$`) },
  { operation: "list", method: "GET", pattern: new RegExp(`${PREFIX}$`) },
];

const MAX_BODY_BYTES = 1024 * 1024;

type Routed =
  | { kind: "api"; operation: Operation; params: string[] }
  | { kind: "admin" }
  | { kind: "none"; status: 404 | 405; allow?: string };

function route(method: string, path: string): Routed {
  if (path.startsWith("/_emulator/")) return { kind: "admin" };
  const allowed: string[] = [];
  for (const r of ROUTES) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    if (r.method !== method) {
      allowed.push(r.method);
      continue;
    }
    try {
      return { kind: "api", operation: r.operation, params: m.slice(1).map((p) => decodeURIComponent(p)) };
    } catch {
      return { kind: "none", status: 404 };
    }
  }
  return allowed.length > 0
    ? { kind: "none", status: 405, allow: allowed.join(", ") }
    : { kind: "none", status: 404 };
}

function errorBody(status: number, error: string, detail: string): Result {
  return { status, body: { error, detail } };
}

function errorResult(err: unknown): Result {
  if (err instanceof StoreError) return errorBody(err.status, err.code, err.detail);
  if (err instanceof FrameworkError) return { status: 422, body: { detail: err.issues } };
  // Only the class name: a message could carry a request value.
  const name = err instanceof Error ? err.name : typeof err;
  process.stderr.write(`copass-emulator: internal error (${name})\n`);
  return errorBody(500, "internal_error", "the emulator failed to handle the request");
}

function bearerKey(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m?.[1];
}

function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  if (!Array.isArray(options.apiKeys) || options.apiKeys.length === 0 || options.apiKeys.some((k) => !k)) {
    throw new TypeError("startEmulator needs at least one non-empty API key in apiKeys");
  }
  const apiKeys = new Set(options.apiKeys);
  const store = new Store({
    probe: createMcpProbe({ timeoutMs: options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS }),
    echoCredential: options.echoCredentialInHealthError === true,
    ...(options.dataFile !== undefined ? { persistence: filePersistence(options.dataFile) } : {}),
  });
  const faults = new FaultSet();
  const log: RequestLogEntry[] = [];
  const sockets = new Set<Socket>();
  /** Pending delay faults; close() ends them early so that it stays prompt. */
  const timers = new Map<NodeJS.Timeout, () => void>();
  let closed = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.set(t, resolve);
    });

  async function api(
    req: http.IncomingMessage,
    raw: string,
    operation: Operation,
    params: string[],
    query: URLSearchParams,
  ) {
    const key = bearerKey(req.headers.authorization);
    if (key === undefined || !apiKeys.has(key)) {
      return errorBody(
        401,
        "unauthorized",
        "missing or unknown API key; send Authorization: Bearer <api key>",
      );
    }
    const [sandboxId = "", sourceId = ""] = params;
    switch (operation) {
      case "register":
        return { status: 200, body: await store.register(key, sandboxId, parseJsonObject(raw)) };
      case "patch":
        return { status: 200, body: store.patch(key, sandboxId, sourceId, parseJsonObject(raw)) };
      case "test":
        return { status: 200, body: await store.test(key, sandboxId, sourceId) };
      case "revoke":
        return { status: 200, body: store.revoke(key, sandboxId, sourceId) };
      case "get":
        return { status: 200, body: store.get(key, sandboxId, sourceId) };
      case "delete":
        return { status: 200, body: store.delete(key, sandboxId, sourceId) };
      case "list": {
        const filter: { provider?: string; status?: string } = {};
        const provider = query.get("provider");
        const status = query.get("status");
        if (provider !== null) filter.provider = provider;
        if (status !== null) filter.status = status;
        const sources = store.list(key, sandboxId, filter);
        return { status: 200, body: { sources, count: sources.length } };
      }
    }
  }

  function admin(req: http.IncomingMessage, raw: string, path: string): Result {
    if (options.adminKey === undefined) return errorBody(404, "not_found", "no such route");
    const given = req.headers["x-emulator-admin-key"];
    if (given === undefined)
      return errorBody(401, "unauthorized", "send the admin key in x-emulator-admin-key");
    if (given !== options.adminKey)
      return errorBody(403, "forbidden", "the x-emulator-admin-key is not the admin key");
    const key = `${req.method} ${path}`;
    switch (key) {
      case "POST /_emulator/faults":
        try {
          faults.inject(checkFaultRule(parseJsonObject(raw)));
          return { status: 200, body: { success: true, pending: faults.pending() } };
        } catch (err) {
          if (err instanceof FrameworkError) return errorResult(err);
          return errorBody(400, "invalid_fault", err instanceof Error ? err.message : "invalid fault rule");
        }
      case "DELETE /_emulator/faults":
        faults.reset();
        return { status: 200, body: { success: true } };
      case "GET /_emulator/requests":
        return { status: 200, body: { requests: log.slice() } };
      case "DELETE /_emulator/requests":
        log.length = 0;
        return { status: 200, body: { success: true } };
      default:
        return errorBody(404, "not_found", "no such admin route");
    }
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", "http://emulator.invalid");
    const path = url.pathname;
    const routed = route(method, path);
    const operation =
      routed.kind === "api" ? routed.operation : routed.kind === "admin" ? "admin" : "unknown";

    const record = (status: number, fault?: FaultAction["kind"]) => {
      // Admin calls are the test harness talking, not traffic under test: they would skew call counts.
      if (routed.kind === "admin") return;
      const entry: RequestLogEntry = {
        method,
        path,
        status,
        operation,
        durationMs: performance.now() - started,
      };
      if (fault !== undefined) entry.fault = fault;
      log.push(entry);
    };
    const send = (result: Result, fault?: FaultAction["kind"]) => {
      const payload = JSON.stringify(result.body);
      // Logged before the bytes leave, so a client that reads the log after its response sees the entry.
      record(result.status, fault);
      res.writeHead(result.status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(payload),
        ...result.headers,
      });
      res.end(payload);
    };
    const drop = (status: number, fault: FaultAction["kind"]) => {
      record(status, fault);
      req.socket.destroy();
    };

    const raw = await readBody(req);
    if (raw === undefined)
      return send(errorBody(413, "body_too_large", `request bodies are limited to ${MAX_BODY_BYTES} bytes`));
    if (routed.kind === "admin") return send(admin(req, raw, path));
    if (routed.kind === "none") {
      return routed.status === 405
        ? send({
            ...errorBody(405, "method_not_allowed", "method not allowed on this route"),
            headers: { allow: routed.allow ?? "" },
          })
        : send(errorBody(404, "not_found", "no such route"));
    }

    const fault = faults.take({ method, path, operation });
    if (fault?.kind === "status") {
      const headers: Record<string, string> = {};
      if (fault.retryAfterSeconds !== undefined) headers["retry-after"] = String(fault.retryAfterSeconds);
      const body = statusFaultBody(fault, { authorization: req.headers.authorization, body: raw });
      return send({ status: fault.status, body, headers }, "status");
    }
    if (fault?.kind === "drop") return drop(0, "drop");
    if (fault?.kind === "delay") {
      await sleep(fault.ms);
      // Closed while waiting: do not touch state (or the data file) after close().
      if (closed) return drop(0, "delay");
    }

    let result: Result;
    try {
      result = await api(req, raw, routed.operation, routed.params, url.searchParams);
    } catch (err) {
      result = errorResult(err);
    }
    // The status the handler produced is logged, although the client never receives it.
    if (fault?.kind === "commit-then-drop") return drop(result.status, "commit-then-drop");
    send(result, fault?.kind);
  }

  // Requests being handled, and who waits for none (settled()).
  let handling = 0;
  let whenSettled: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    handling++;
    handle(req, res)
      .catch((err: unknown) => {
        if (!res.headersSent) {
          const { status, body } = errorResult(err);
          res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
        }
      })
      .finally(() => {
        if (--handling > 0) return;
        const waiting = whenSettled;
        whenSettled = [];
        for (const wake of waiting) wake();
      });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  // A wildcard bind is reachable on loopback; the URL names an address a client can dial.
  const urlHost =
    host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "[::1]" : host.includes(":") ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    faults,
    requestLog: () => log.slice(),
    clearRequestLog: () => {
      log.length = 0;
    },
    settled: () =>
      handling === 0 ? Promise.resolve() : new Promise<void>((resolve) => whenSettled.push(resolve)),
    close() {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        store.dispose();
        for (const [t, wake] of timers) {
          clearTimeout(t);
          wake();
        }
        timers.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
