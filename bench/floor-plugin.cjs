// The floor of the plugin face (issue 24 §3): the least a `copass` resource-provider plugin can be,
// written by hand on `@pulumi/pulumi/provider`'s `main()`: the same schema as ours (schema.json,
// byte for byte, so a YAML program type-checks identically) and the same API calls per operation
// (create lists the sandbox's user_mcp sources, then registers; read GETs, then re-tests; update
// PATCHes; delete revokes), through the same HTTP library as ours (undici; floors.ts says why) and
// nothing else: no validation, no retries, no redaction, no health policy. plugin-face.ts writes a
// launcher named pulumi-resource-copass that calls this module's export with the consumer project,
// where @pulumi/pulumi and the packed pulumi-copass are installed.
"use strict";
const { createRequire } = require("node:module");
const { readFileSync } = require("node:fs");
const path = require("node:path");

/** Pulumi's secret envelope: `{ [SIG_KEY]: SECRET_SIG, value }`. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const plain = (v) => (v !== null && typeof v === "object" && SIG_KEY in v ? v.value : v);

/** The program's fields and their names on the wire. */
const FIELDS = {
  name: "name",
  baseUrl: "base_url",
  authKind: "auth_kind",
  token: "token",
  appNamespace: "app_namespace",
};

/**
 * With `oursState`, the state ours records, without our code: the schema's defaults among the
 * checked inputs, and every output property of the schema (null when the floor has no value).
 */
function stateShape(schema, oursState) {
  if (!oursState) return { inputs: (news) => news, outputs: (outs) => outs };
  const { defaults, outputs } = contractState(schema);
  return {
    inputs: (news) => ({ ...defaults, ...news }),
    outputs: (outs) => ({ ...Object.fromEntries(outputs.map((k) => [k, null])), ...outs }),
  };
}

/**
 * The state the schema declares: its input defaults (ingestToolCalls, which the schema leaves
 * without one, checks to [] as ours does) and its output-only properties. The dynamic face's host
 * floor (floors.ts) uses it too.
 */
function contractState(schema) {
  const resource = JSON.parse(schema).resources["copass:index:UserMcpSource"];
  const defaults = { ingestToolCalls: [] };
  for (const [k, spec] of Object.entries(resource.inputProperties)) {
    if (spec.default !== undefined) defaults[k] = spec.default;
  }
  const outputs = Object.keys(resource.properties).filter((k) => !(k in resource.inputProperties));
  return { defaults, outputs };
}

function provider(version, schema, oursState, fromOurs) {
  const shape = stateShape(schema, oursState);
  let base = "";
  let key = "";
  let agent;
  const call = async (method, p, body) => {
    // The undici our package depends on (not the project's top-level one), loaded on the first
    // call as ours loads it.
    agent ??= new (fromOurs("undici").Agent)({ keepAliveTimeout: 10_000 });
    const url = new URL(`api/v1/storage/sandboxes/${p}`, base.endsWith("/") ? base : `${base}/`);
    const res = await agent.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.body.json();
    if (res.statusCode !== 200) throw new Error(`${method} ${p}: HTTP ${res.statusCode}`);
    return json;
  };
  const sandbox = (p) => encodeURIComponent(plain(p.sandboxId));
  const src = (p, id) => `${sandbox(p)}/sources/${encodeURIComponent(id)}`;
  return {
    version,
    schema,
    configure(config) {
      base = config.apiUrl;
      key = config.apiKey;
    },
    check: async (_urn, _olds, news) => ({ inputs: shape.inputs(news) }),
    diff: async (_id, _urn, olds, news) => ({
      changes: ["sandboxId", ...Object.keys(FIELDS)].some((k) => plain(olds[k]) !== plain(news[k])),
    }),
    create: async (_urn, p) => {
      await call("GET", `${sandbox(p)}/sources?provider=user_mcp`);
      const body = {};
      for (const k in FIELDS) if (p[k] !== undefined) body[FIELDS[k]] = plain(p[k]);
      const r = await call("POST", `${sandbox(p)}/sources/user-mcp`, body);
      const outs = { ...p, dataSourceId: r.data_source_id, status: r.status };
      return { id: r.data_source_id, outs: shape.outputs(outs) };
    },
    read: async (id, _urn, p) => {
      const s = await call("GET", src(p, id));
      let status = s.status;
      if (p.healthCheckOnRefresh !== false)
        status = (await call("POST", `${src(p, id)}/user-mcp/test`)).status;
      return { id, props: { ...p, name: s.name, status } };
    },
    update: async (id, _urn, olds, news) => {
      const body = {};
      for (const k in FIELDS) if (plain(olds[k]) !== plain(news[k])) body[FIELDS[k]] = plain(news[k]);
      const r = await call("PATCH", `${src(news, id)}/user-mcp`, body);
      return { outs: { ...olds, ...news, status: r.status } };
    },
    delete: async (id, _urn, p) => {
      await call("POST", `${src(p, id)}/user-mcp/revoke`);
    },
  };
}

module.exports = serveFloor;
module.exports.contractState = contractState;

function serveFloor(consumerDir, { oursState = false } = {}) {
  const fromProject = createRequire(path.join(consumerDir, "package.json"));
  // The gRPC module @pulumi/pulumi itself loads (resolved from its folder), to reach its server.
  const fromPulumi = createRequire(fromProject.resolve("@pulumi/pulumi/package.json"));
  const grpc = fromPulumi("@grpc/grpc-js");
  const providerPb = fromPulumi("./proto/provider_pb");
  const ours = path.dirname(fromProject.resolve("pulumi-copass/package.json"));
  const { version } = JSON.parse(readFileSync(path.join(ours, "package.json"), "utf8"));
  const floor = provider(
    version,
    readFileSync(path.join(ours, "schema.json"), "utf8"),
    oursState,
    createRequire(path.join(ours, "package.json")),
  );

  // main()'s Configure never hands the provider its config (it answers and drops it), and it tells
  // the engine to send resources and output values. So the one RPC the floor replaces: read the
  // settings, and answer what ours answers (secrets yes, resources and outputs no, no preview).
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service, implementation) {
    implementation.configure = (call, callback) => {
      const args = call.request.getArgs()?.toJavaScript() ?? {};
      const variables = Object.fromEntries(call.request.getVariablesMap().toArray());
      const setting = (name) => plain(args[name]) ?? variables[`copass:config:${name}`];
      floor.configure({ apiUrl: setting("apiUrl"), apiKey: setting("apiKey") });
      const response = new providerPb.ConfigureResponse();
      response.setAcceptsecrets(true);
      response.setAcceptresources(false);
      response.setAcceptoutputs(false);
      response.setSupportspreview(false);
      callback(null, response);
    };
    return addService.call(this, service, implementation);
  };
  fromProject("@pulumi/pulumi/provider").main(floor, process.argv.slice(2));
}
