/**
 * The real health check (DESIGN §5): the official MCP SDK client runs `initialize` and `tools/list`
 * against `base_url` over Streamable HTTP, with the source's credential, under a timeout.
 *
 * The reason of a failure is short and made from the error's kind (HTTP status, socket error code,
 * timeout), not from the server's response body, which could echo anything; the store also
 * redacts the token from it before storing.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { AuthKind } from "./validate";

export interface ProbeTarget {
  baseUrl: string;
  authKind: AuthKind;
  authHeader?: string;
  token?: string;
}

export type ProbeResult = { ok: true; tools: string[] } | { ok: false; reason: string };

export type ProbeFn = (target: ProbeTarget) => Promise<ProbeResult>;

export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

/** The headers that carry the source's credential (reference §7.14 inference, DOC-CUSTOM-MCP). */
export function authHeaders(target: ProbeTarget): Record<string, string> {
  if (target.token === undefined) return {};
  if (target.authKind === "bearer") return { Authorization: `Bearer ${target.token}` };
  if (target.authKind === "header_token" && target.authHeader) return { [target.authHeader]: target.token };
  return {};
}

/**
 * A failure reason that quotes the credential the probe sent, as an MCP server that echoes it
 * (and a Copass that relays the server's answer verbatim) would report it. Only for the emulator's
 * `echoCredentialInHealthError` test mode; never redacted, on purpose.
 */
export function reasonQuotingCredential(reason: string, target: ProbeTarget): string {
  const sent = Object.entries(authHeaders(target)).map(([name, value]) => `${name}: ${value}`);
  return sent.length === 0 ? reason : `${reason}; the MCP server was sent ${sent.join(", ")}`;
}

class ProbeTimeout extends Error {}

const SOCKET_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by the MCP server",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
  UND_ERR_SOCKET: "connection closed by the MCP server",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  DEPTH_ZERO_SELF_SIGNED_CERT: "TLS certificate not trusted (self-signed)",
  SELF_SIGNED_CERT_IN_CHAIN: "TLS certificate not trusted (self-signed chain)",
  CERT_HAS_EXPIRED: "TLS certificate expired",
  ERR_TLS_CERT_ALTNAME_INVALID: "TLS certificate does not match the host",
};

/** Maps an error of the SDK / fetch to a short, value-free reason. Exported for unit tests. */
export function describeProbeError(err: unknown, timeoutMs: number): string {
  if (err instanceof ProbeTimeout) return `timed out after ${timeoutMs} ms`;
  if (err instanceof StreamableHTTPError) {
    return err.code !== undefined && err.code > 0
      ? `MCP server answered HTTP ${err.code}`
      : "MCP server answered with an unexpected content type";
  }
  if (err instanceof Error && err.name === "UnauthorizedError") return "MCP server answered HTTP 401";
  if (err instanceof McpError && err.code === ErrorCode.RequestTimeout)
    return `timed out after ${timeoutMs} ms`;
  if (err instanceof McpError) return `MCP error ${err.code} during initialize or tools/list`;
  let cause: unknown = err;
  for (let depth = 0; depth < 4 && cause instanceof Error; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string") return SOCKET_REASONS[code] ?? `network error (${code})`;
    // fetch refuses the WHATWG "bad ports" (e.g. 9, 25, 6000) before connecting.
    if (cause.message === "bad port")
      return "port blocked by fetch (a WHATWG bad port); serve MCP on another port";
    cause = cause.cause;
  }
  if (err instanceof Error && err.name === "AbortError") return `timed out after ${timeoutMs} ms`;
  if (err instanceof SyntaxError) return "MCP server answered with invalid JSON";
  return "health check failed (unrecognised error from the MCP client)";
}

/** A probe using the official MCP SDK. Every call closes its client, whatever happened. */
export function createMcpProbe(options: { timeoutMs?: number } = {}): ProbeFn {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  return async (target) => {
    let url: URL;
    try {
      url = new URL(target.baseUrl);
    } catch {
      return { ok: false, reason: "base_url is not a valid URL" };
    }
    const controller = new AbortController();
    const transport = new StreamableHTTPClientTransport(url, {
      requestInit: { headers: authHeaders(target) },
    });
    const client = new Client({ name: "copass-emulator-health", version: "1.0.0" });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new ProbeTimeout());
      }, timeoutMs);
    });
    const work = (async () => {
      const requestOptions = { signal: controller.signal, timeout: timeoutMs };
      await client.connect(transport, requestOptions);
      const listed = await client.listTools(undefined, requestOptions);
      return listed.tools.map((t) => t.name);
    })();
    // The losing promise must not become an unhandled rejection.
    work.catch(() => undefined);
    try {
      const tools = await Promise.race([work, deadline]);
      return { ok: true, tools };
    } catch (err) {
      return { ok: false, reason: describeProbeError(err, timeoutMs) };
    } finally {
      clearTimeout(timer);
      // Closing aborts the transport's in-flight fetch, so a server that never answers is let go.
      await client.close().catch(() => undefined);
    }
  };
}
