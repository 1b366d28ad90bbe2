/**
 * The two floors the bench compares our provider with.
 *
 * - The host floor: the least a dynamic provider can be, written by hand as the `__provider` text
 *   Pulumi's host evaluates (`exports.handler`, what the SDK's serializer emits). Global `fetch`,
 *   no validation, no retries, no redaction, no health policy; the same API calls as ours. It runs
 *   in the same host as ours, over the same RPCs, so ours / host floor is our own cost.
 * - The HTTP floor: the same API calls made directly with undici from the bench process, with
 *   no host and no gRPC, so ours / HTTP floor is everything a user pays beyond the wire.
 *
 * The host floor also answers what the resource's contract needs, as ours does: a read returns the
 * inputs as Copass has them (else refresh could not show drift), so both send the host answers of
 * the same shape and ours / host floor is not the price of a feature.
 *
 * "The same API calls" includes create's snapshot: ours lists the sandbox's user_mcp sources before
 * it registers (the twin rule, DESIGN §2), so both floors list (and parse the answer) too, and
 * ours / floor stays the cost of our code. What the snapshot itself costs is measured apart: the
 * HTTP floor's `createOneCall` registers without it (`createOneCallHttpMs` in results.json).
 */
import { Agent } from "undici";

/** The hand-written provider. `diff` compares the fields the bench's program sets. */
export const hostFloorProviderText = `
exports.handler = () => {
  let base = "";
  let key = "";
  const call = async (method, path, body) => {
    const res = await fetch(base + "/api/v1/storage/sandboxes/" + path, {
      method,
      headers: { authorization: "Bearer " + key, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(method + " " + path + ": HTTP " + res.status);
    return json;
  };
  const src = (p, id) => encodeURIComponent(p.sandboxId) + "/sources/" + encodeURIComponent(id);
  const FIELDS = { name: "name", baseUrl: "base_url", authKind: "auth_kind", token: "token", appNamespace: "app_namespace" };
  return {
    configure: async (req) => {
      base = req.config.get("copass:apiUrl");
      key = req.config.get("copass:apiKey");
    },
    check: async (olds, news) => ({ inputs: news }),
    diff: async (id, olds, news) => ({ changes: Object.keys(FIELDS).some((k) => olds[k] !== news[k]) }),
    create: async (p) => {
      // The snapshot ours takes before it registers (create-once.ts): listed, parsed, not used.
      await call("GET", encodeURIComponent(p.sandboxId) + "/sources?provider=user_mcp");
      const body = {};
      for (const k in FIELDS) if (p[k] !== undefined) body[FIELDS[k]] = p[k];
      const r = await call("POST", encodeURIComponent(p.sandboxId) + "/sources/user-mcp", body);
      return { id: r.data_source_id, outs: { ...p, dataSourceId: r.data_source_id, status: r.status } };
    },
    read: async (id, p) => {
      const s = await call("GET", src(p, id));
      let status = s.status;
      if (p.healthCheckOnRefresh !== false) status = (await call("POST", src(p, id) + "/user-mcp/test")).status;
      // The inputs as Copass now has them: what any provider must return for refresh to show drift
      // (a rename at Copass) in the next preview, as ours does.
      const inputs = { sandboxId: p.sandboxId, name: s.name };
      for (const k in FIELDS) if (k !== "name" && p[k] !== undefined) inputs[k] = p[k];
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
`;

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
