/**
 * The two floors the bench compares our provider with.
 *
 * - The host floor: the least a dynamic provider can be, written by hand as the `__provider` text
 *   Pulumi's host evaluates (`exports.handler`, what the SDK's serializer emits). No validation,
 *   no retries, no redaction, no health policy; the same API calls as ours. It runs in the same
 *   host as ours, over the same RPCs, so ours / host floor is our own cost.
 * - The HTTP floor: the same API calls made directly with undici from the bench process, with
 *   no host and no gRPC, so ours / HTTP floor is everything a user pays beyond the wire.
 *
 * What the host floor shares with ours is what any provider of this resource pays, not our code:
 * - the state the resource's schema declares: the defaults among the checked inputs, every output
 *   property, and a read that returns the inputs as Copass has them (else refresh could not show
 *   drift). The engine and the host carry that state on every call; the plugin face's floor
 *   (floor-plugin.cjs, whose `contractState` this uses) records the same;
 * - the HTTP library: undici's `Agent.request`, the very copy our package installs (7.x, beside
 *   the 6.x @pulumi/pulumi's dependencies hoist), loaded on the first API call as ours loads it.
 *   Since 7.30 (and 6.29) undici waits one event-loop turn before it reuses an idle keep-alive
 *   socket (GHSA-35p6-xmwp-9g52, a response-desync fix); with 10 calls in flight that wait was
 *   ~2 ms of a 20 ms call. Node 20's global `fetch` (its bundled undici 6.24), which this floor
 *   used before, showed none (issue 24: docs/performance.md).
 * The bench checks that ours and the host floor record the same keys (`sameStateShape` there).
 *
 * "The same API calls" includes create's snapshot: ours lists the sandbox's user_mcp sources before
 * it registers (the twin rule, DESIGN §2), so both floors list (and parse the answer) too, and
 * ours / floor stays the cost of our code. What the snapshot itself costs is measured apart: the
 * HTTP floor's `createOneCall` registers without it (`createOneCallHttpMs` in results.json).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { Agent } from "undici";
import { repoRoot } from "../test/support/pulumi-host";

/** floor-plugin.cjs's reading of the schema: the input defaults and the output-only properties. */
const { contractState } = createRequire(__filename)(path.join(repoRoot, "bench", "floor-plugin.cjs")) as {
  contractState(schema: string): { defaults: Record<string, unknown>; outputs: string[] };
};

/**
 * The hand-written provider, for the pulumi-copass installed in `consumerDir` (its schema gives
 * the state). `diff` compares the fields the bench's program sets. Without comments inside: the
 * host receives this text with every call, as it receives ours (2 KB), so it is sent unindented too.
 * - `call` loads the undici our package depends on (resolved from the installed pulumi-copass, not
 *   the project's top level, where @pulumi/pulumi's dependencies put undici 6) on the first call.
 * - `outs` sets every output property, null where the floor has no value.
 * - create lists before it registers: the snapshot ours takes (create-once.ts), parsed, not used.
 * - read returns the inputs as Copass now has them: what any provider must return for refresh to
 *   show drift (a rename at Copass) in the next preview, as ours does.
 */
export function hostFloorProviderText(consumerDir: string): string {
  const schema = path.join(consumerDir, "node_modules", "pulumi-copass", "schema.json");
  const { defaults, outputs } = contractState(readFileSync(schema, "utf8"));
  return `
exports.handler = () => {
  const DEFAULTS = ${JSON.stringify(defaults)};
  const OUTPUTS = ${JSON.stringify(outputs)};
  let base = "";
  let key = "";
  let agent;
  const call = async (method, path, body) => {
    agent ??= new (require("module").createRequire(require.resolve("pulumi-copass/package.json"))("undici").Agent)({ keepAliveTimeout: 10000 });
    const url = new URL("api/v1/storage/sandboxes/" + path, base.endsWith("/") ? base : base + "/");
    const res = await agent.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method,
      headers: { authorization: "Bearer " + key, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.body.json();
    if (res.statusCode !== 200) throw new Error(method + " " + path + ": HTTP " + res.statusCode);
    return json;
  };
  const src = (p, id) => encodeURIComponent(p.sandboxId) + "/sources/" + encodeURIComponent(id);
  const FIELDS = { name: "name", baseUrl: "base_url", authKind: "auth_kind", token: "token", appNamespace: "app_namespace" };
  const outs = (inputs, answer) => {
    const o = { ...inputs };
    for (const k of OUTPUTS) o[k] = null;
    o.apiEndpoint = base;
    o.dataSourceId = answer.data_source_id;
    o.status = answer.status;
    return o;
  };
  return {
    configure: async (req) => {
      base = req.config.get("copass:apiUrl");
      key = req.config.get("copass:apiKey");
    },
    check: async (olds, news) => ({ inputs: { ...DEFAULTS, ...news } }),
    diff: async (id, olds, news) => ({ changes: Object.keys(FIELDS).some((k) => olds[k] !== news[k]) }),
    create: async (p) => {
      await call("GET", encodeURIComponent(p.sandboxId) + "/sources?provider=user_mcp");
      const body = {};
      for (const k in FIELDS) if (p[k] !== undefined) body[FIELDS[k]] = p[k];
      const r = await call("POST", encodeURIComponent(p.sandboxId) + "/sources/user-mcp", body);
      return { id: r.data_source_id, outs: outs(p, r) };
    },
    read: async (id, p) => {
      const s = await call("GET", src(p, id));
      let status = s.status;
      if (p.healthCheckOnRefresh !== false) status = (await call("POST", src(p, id) + "/user-mcp/test")).status;
      const inputs = { ...p, name: s.name };
      for (const k of OUTPUTS) delete inputs[k];
      return { id, props: { ...p, name: s.name, status }, inputs };
    },
    update: async (id, olds, news) => {
      const body = {};
      for (const k in FIELDS) if (olds[k] !== news[k]) body[FIELDS[k]] = news[k];
      const r = await call("PATCH", src(news, id) + "/user-mcp", body);
      return { outs: { ...olds, ...news, status: r.status } };
    },
    delete: async (id, p) => {
      await call("POST", src(p, id) + "/user-mcp/revoke");
    },
  };
};
`.replace(/^ +/gm, "");
}

/** Bench program inputs (camelCase, as the resource takes them). */
export interface Program {
  sandboxId: string;
  name: string;
  baseUrl: string;
  authKind: "bearer";
  token: string;
  appNamespace: string;
}

/** The HTTP floor: one keep-alive agent, the minimal call of each operation. */
export class HttpFloor {
  readonly #agent = new Agent({ keepAliveTimeout: 10_000 });
  constructor(
    readonly apiUrl: string,
    readonly apiKey: string,
  ) {}

  async #call(
    method: "GET" | "POST" | "PATCH" | "DELETE",
    path: string,
    body?: unknown,
  ): Promise<Record<string, unknown>> {
    const res = await this.#agent.request({
      origin: this.apiUrl,
      path: `/api/v1/storage/sandboxes/${path}`,
      method,
      headers: { authorization: `Bearer ${this.apiKey}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.body.json()) as Record<string, unknown>;
    if (res.statusCode !== 200) throw new Error(`${method} ${path}: HTTP ${res.statusCode}`);
    return json;
  }

  /** Ours' create: the snapshot listing, then the register. */
  async create(p: Program): Promise<{ id: string; status: unknown }> {
    await this.#call("GET", `${encodeURIComponent(p.sandboxId)}/sources?provider=user_mcp`);
    return this.createOneCall(p);
  }

  /** The register alone: what a create costs without the snapshot that keeps it exactly-once. */
  async createOneCall(p: Program): Promise<{ id: string; status: unknown }> {
    const r = await this.#call("POST", `${encodeURIComponent(p.sandboxId)}/sources/user-mcp`, {
      name: p.name,
      base_url: p.baseUrl,
      auth_kind: p.authKind,
      token: p.token,
      app_namespace: p.appNamespace,
    });
    return { id: String(r.data_source_id), status: r.status };
  }

  async refresh(p: Program, id: string, health: boolean): Promise<unknown> {
    const s = await this.#call("GET", source(p, id));
    return health ? (await this.#call("POST", `${source(p, id)}/user-mcp/test`)).status : s.status;
  }

  async rename(p: Program, id: string, name: string): Promise<void> {
    await this.#call("PATCH", `${source(p, id)}/user-mcp`, { name });
  }

  async delete(p: Program, id: string): Promise<void> {
    await this.#call("POST", `${source(p, id)}/user-mcp/revoke`);
  }

  /** Removes the row (the bench's cleanup between growth rounds; no provider's operation). */
  async remove(p: Program, id: string): Promise<void> {
    await this.#call("DELETE", source(p, id));
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

function source(p: Program, id: string): string {
  return `${encodeURIComponent(p.sandboxId)}/sources/${encodeURIComponent(id)}`;
}
