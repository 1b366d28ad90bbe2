/**
 * Drives Pulumi's own dynamic-provider host over gRPC exactly as the engine does, with no Pulumi
 * CLI (DESIGN §4; reference pulumi-dynamic-providers.md §5.2). No vitest import: the demo uses it too.
 *
 * - `packAndInstall()` builds and packs this package, then installs the tarball into a throwaway
 *   consumer project outside the repo, so tests see what users get (the `files` list, the
 *   `exports` map, a `require("pulumi-copass/provider")` resolved from the program's folder).
 * - `captureProviderText()` runs a tiny program under `pulumi.runtime.setMocks` in that folder and
 *   returns the `__provider` text the SDK serialized, which the engine would store in state.
 * - The SDK version installed and the Node that runs the program and the host come from
 *   `COPASS_TEST_PULUMI_VERSION` and `COPASS_TEST_NODE` (`npm run test:matrix` sets them per row).
 * - `startHost()` spawns the consumer's `@pulumi/pulumi/cmd/dynamic-provider` and returns a client
 *   whose methods take and return plain JS objects. Like the SDK, it adds `__provider` to the
 *   program's inputs (check's news; create's and the new inputs of diff and update, which the
 *   engine takes from check's answer); stored state (olds, read's and delete's properties) goes
 *   as given, `__provider` or not, as the engine sends what it stored. It calls Configure first
 *   and decodes "created but failed to initialize" errors.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";

/**
 * The repository root: the nearest folder above this file whose package.json is pulumi-copass's
 * (this file runs from test/support under vitest, and compiled under .tmp/ for the demo).
 */
export const repoRoot = findRepoRoot(__dirname);

function findRepoRoot(from: string): string {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, "package.json");
    if (
      existsSync(pkg) &&
      (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "pulumi-copass"
    ) {
      return dir;
    }
  }
  throw new Error(`no pulumi-copass package.json above ${from}`);
}

/**
 * The `@pulumi/pulumi` version the consumer projects install: `COPASS_TEST_PULUMI_VERSION`, else
 * 3.248.0, the oldest release the peer range claims and the last that supports Node 20 (DESIGN §4).
 * `npm run test:matrix` sets it per row.
 */
export const pulumiVersion = process.env.COPASS_TEST_PULUMI_VERSION || "3.248.0";

/**
 * The Node binary that runs Pulumi's side, as `pulumi` would run it on the user's machine: the
 * program whose closure serializer writes `__provider`, and the dynamic-provider host.
 * `COPASS_TEST_NODE`, else the Node running the tests. `npm run test:matrix` sets it per row.
 */
export const hostNode = process.env.COPASS_TEST_NODE || process.execPath;

/** The `@pulumi/pulumi` version installed in a consumer project. */
export function installedPulumiVersion(consumerDir: string): string {
  const pkg = path.join(consumerDir, "node_modules", "@pulumi", "pulumi", "package.json");
  return (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
}

/** Secret envelope signature and value, as in Pulumi's RPC layer. */
const secretSig = "4dabf18193072939515e22adb298388d";
const secretSigValue = "1b47061264138c4ac30d75fd1eb44270";

/** The sentinel the engine sends for values not known yet (preview of a computed value). */
export const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Wraps a config value as the engine sends a secret (`pulumi config set --secret`). */
export function secret(value: unknown): Record<string, unknown> {
  return { [secretSig]: secretSigValue, value };
}

// ---------------------------------------------------------------------------------------------
// Processes

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never throws on a non-zero exit (the caller decides). */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 300_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function describeFailure(what: string, r: RunResult): Error {
  return new Error(`${what} exited with ${r.code}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`);
}

/** The parent's environment without Copass settings (so a test opts into each one) and without Pulumi's. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("COPASS_") || k.startsWith("PULUMI_")) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

// ---------------------------------------------------------------------------------------------
// Pack and install

/**
 * `npm run build`, then `npm pack` into a temporary folder; returns the tarball's path.
 * A failing build fails here, loudly, with tsc's errors: packing what a broken build left in dist/
 * (stale files of an earlier build included) would test code that is not the source's.
 */
export async function packPackage(root = repoRoot): Promise<string> {
  const build = await run("npm", ["run", "build"], { cwd: root });
  if (build.code !== 0) {
    const errors = (build.stdout + build.stderr)
      .split("\n")
      .filter((l) => l.includes("error TS"))
      .slice(0, 20)
      .join("\n");
    throw new Error(
      `npm run build failed (exit ${build.code}), so nothing was packed and the host tests cannot run:\n` +
        (errors || `${build.stdout.slice(-2000)}\n${build.stderr.slice(-4000)}`),
    );
  }
  const dest = await mkdtemp(path.join(os.tmpdir(), "copass-pack-"));
  // --ignore-scripts: the build above is the one `prepack` would run.
  const pack = await run("npm", ["pack", "--ignore-scripts", "--pack-destination", dest, "--silent"], {
    cwd: root,
  });
  if (pack.code !== 0) throw describeFailure("npm pack", pack);
  const tgz = (await readdir(dest)).find((f) => f.endsWith(".tgz"));
  if (!tgz) throw new Error(`npm pack wrote no tarball to ${dest}`);
  return path.join(dest, tgz);
}

/**
 * Creates a consumer project in os.tmpdir() and installs the tarball plus `@pulumi/pulumi`
 * there, offline-friendly (the npm cache is warm). Returns the project's folder.
 */
export async function installConsumer(tgz: string, label = "consumer"): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `copass-${label}-`));
  const pkg = {
    name: `copass-${label}`,
    version: "0.0.0",
    private: true,
    description: "pulumi-copass test consumer",
  };
  await writeFile(path.join(dir, "package.json"), JSON.stringify(pkg, null, 2));
  const install = await run(
    "npm",
    [
      "install",
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      tgz,
      `@pulumi/pulumi@${pulumiVersion}`,
    ],
    { cwd: dir, env: cleanEnv() },
  );
  if (install.code !== 0) throw describeFailure("npm install in the consumer project", install);
  return dir;
}

/** Build, pack, and install into a fresh consumer project. Returns its folder. */
export async function packAndInstall(): Promise<string> {
  return installConsumer(await packPackage());
}

/** Removes a folder made by packPackage/installConsumer (only under os.tmpdir()). */
export async function removeTemp(dir: string): Promise<void> {
  if (!path.resolve(dir).startsWith(os.tmpdir() + path.sep)) return;
  await rm(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Capture the serialized provider

export interface CaptureOptions {
  /** Token the program passes as a plain string (to prove it never reaches `__provider`). */
  token?: string;
  /** Set as COPASS_API_KEY in the capture process (to prove it is never captured). */
  apiKey?: string;
}

export interface Capture {
  /** The `__provider` text, as the engine stores it in state. */
  providerText: string;
  /** Whether the SDK wrapped `__provider` in a secret envelope (it must not need to). */
  providerIsSecret: boolean;
  /** The resource's type token. */
  type: string;
  /** What the program wrote to stderr: Node's and Pulumi's warnings land in the user's output. */
  stderr: string;
  /** `process.version` of the Node that ran the program (`hostNode`). */
  nodeVersion: string;
}

const captureProgram = `
"use strict";
const pulumi = require("@pulumi/pulumi");
const recorded = [];
pulumi.runtime.setMocks(
  {
    newResource(args) { recorded.push(args); return { id: args.name + "-id", state: args.inputs }; },
    call() { throw new Error("no calls expected"); },
  },
  "copass-capture", "dev", false,
);
const { UserMcpSource } = require("pulumi-copass");
const res = new UserMcpSource("capture", {
  sandboxId: "sb_capture",
  name: "capture",
  baseUrl: "https://mcp.example.com/mcp",
  authKind: "bearer",
  token: process.env.CAPTURE_TOKEN,
});
res.id.apply(() => {
  const r = recorded.find((x) => x.name === "capture");
  let p = r.inputs.__provider;
  const isSecret = typeof p === "object" && p !== null && "${secretSig}" in p;
  if (isSecret) p = p.value;
  process.stdout.write(
    JSON.stringify({ providerText: p, providerIsSecret: isSecret, type: r.type, nodeVersion: process.version }),
  );
});
`;

/** The same under mocks with a bare dynamic provider and nothing of ours. */
const bareProgram = `
"use strict";
const pulumi = require("@pulumi/pulumi");
pulumi.runtime.setMocks(
  {
    newResource(args) { return { id: args.name + "-id", state: args.inputs }; },
    call() { throw new Error("no calls expected"); },
  },
  "copass-capture", "dev", false,
);
const res = new pulumi.dynamic.Resource({ create: async () => ({ id: "bare" }) }, "bare", {});
res.id.apply(() => process.stdout.write("{}"));
`;

/** Writes `program` into the consumer folder and runs it with the host's Node; fails on a non-zero exit. */
async function runProgram(consumerDir: string, name: string, program: string, env: NodeJS.ProcessEnv) {
  const file = path.join(consumerDir, name);
  await writeFile(file, program);
  const r = await run(hostNode, [file], { cwd: consumerDir, env, timeoutMs: 120_000 });
  if (r.code !== 0) throw describeFailure(`the program ${name}`, r);
  return r;
}

/** Runs a program under mocks in the consumer folder and returns the serialized provider. */
export async function captureProviderText(consumerDir: string, opts: CaptureOptions = {}): Promise<Capture> {
  const env = cleanEnv({
    CAPTURE_TOKEN: opts.token ?? "capture-token-not-a-secret",
    ...(opts.apiKey === undefined ? {} : { COPASS_API_KEY: opts.apiKey }),
  });
  const r = await runProgram(consumerDir, "capture-provider.js", captureProgram, env);
  return { ...(JSON.parse(r.stdout) as Omit<Capture, "stderr">), stderr: r.stderr };
}

/**
 * The stderr of a program whose one resource is a bare dynamic resource: what Pulumi's serializer
 * prints for any dynamic provider on this Node (on Node 26, an FFI ExperimentalWarning).
 */
export async function bareDynamicResourceStderr(consumerDir: string): Promise<string> {
  return (await runProgram(consumerDir, "capture-bare.js", bareProgram, cleanEnv())).stderr;
}

// ---------------------------------------------------------------------------------------------
// The host over gRPC

export type DiffChanges = "DIFF_UNKNOWN" | "DIFF_NONE" | "DIFF_SOME";
export type Props = Record<string, unknown>;

export interface CheckResult {
  inputs: Props;
  failures: { property: string; reason: string }[];
}
export interface DiffResult {
  changes: DiffChanges;
  replaces: string[];
  deleteBeforeReplace: boolean;
  /** The plugin's detailed diff (property → ADD, UPDATE_REPLACE, …); absent when none was sent. */
  detailed?: Record<string, string>;
}
export interface CreateResult {
  id: string;
  properties: Props;
}
export interface ReadResult {
  id: string;
  properties: Props;
  /** Present when the provider returned `inputs` (the engine then stores them). */
  inputs?: Props;
}

/** "Created but failed to initialize": the engine keeps `id` and `properties` in state. */
export interface InitFailure {
  id: string;
  properties: Props;
  reasons: string[];
}

/** A gRPC error from the host, with the init-failure details when it sent them. */
export class HostError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly details: string,
    readonly initFailed?: InitFailure,
  ) {
    super(`${method} failed (gRPC ${code}): ${details}`);
    this.name = "HostError";
  }
}

export interface HostOptions {
  /** Extra environment for the host (e.g. COPASS_API_KEY). COPASS_* from the parent are dropped. */
  env?: NodeJS.ProcessEnv;
  /** Project name (PULUMI_NODEJS_PROJECT); un-namespaced config keys get it as prefix. */
  project?: string;
  /** The `__provider` text to add to requests; default: captured from the consumer folder once. */
  providerText?: string;
  /** Per-call deadline, ms. Default 120 000. */
  callTimeoutMs?: number;
  /**
   * Start this provider plugin executable instead of the consumer's dynamic-provider host (the
   * `copass` plugin: no `__provider` is added, its gRPC stubs come from `consumerDir`).
   */
  plugin?: string;
  /**
   * Start this command instead, as is, not through `hostNode` (a release's self-contained
   * executable, or qemu running one), with exactly `env` as its environment: nothing inherited,
   * as under `env -i`. Implies a plugin (no `__provider`).
   */
  exec?: string[];
  /** The folder the process starts in; default `consumerDir`. */
  cwd?: string;
}

export interface Host {
  readonly port: number;
  /** The host process's id (the bench reads its memory from /proc). */
  readonly pid: number;
  readonly consumerDir: string;
  /** The `__provider` text added to every request. */
  readonly providerText: string;
  /** Everything the host wrote to stdout and stderr so far (for leak scans). */
  output(): { stdout: string; stderr: string };
  getPluginInfo(): Promise<{ version: string }>;
  /** GetSchema's answer (a plugin's package schema, JSON text). */
  getSchema(): Promise<string>;
  /** Stack config (`copass:apiKey` …); wrap secret values with `secret()`. */
  configure(config: Props): Promise<{ acceptSecrets: boolean }>;
  check(olds: Props, news: Props): Promise<CheckResult>;
  diff(id: string, olds: Props, news: Props): Promise<DiffResult>;
  create(props: Props): Promise<CreateResult>;
  read(id: string, props: Props, inputs?: Props): Promise<ReadResult>;
  update(id: string, olds: Props, news: Props): Promise<{ properties: Props }>;
  delete(id: string, props: Props): Promise<void>;
  kill(): Promise<void>;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the generated gRPC stubs are untyped JS */
interface Stubs {
  grpc: any;
  provrpc: any;
  provproto: any;
  statusproto: any;
  Struct: any;
  Empty: any;
}

/** Loads the gRPC stubs the consumer's host uses (same copies, so messages are compatible). */
function loadStubs(consumerDir: string): Stubs {
  const fromPulumi = createRequire(
    path.join(consumerDir, "node_modules", "@pulumi", "pulumi", "package.json"),
  );
  return {
    grpc: fromPulumi("@grpc/grpc-js"),
    provrpc: fromPulumi("@pulumi/pulumi/proto/provider_grpc_pb"),
    provproto: fromPulumi("@pulumi/pulumi/proto/provider_pb"),
    statusproto: fromPulumi("@pulumi/pulumi/proto/status_pb"),
    Struct: fromPulumi("google-protobuf/google/protobuf/struct_pb").Struct,
    Empty: fromPulumi("google-protobuf/google/protobuf/empty_pb").Empty,
  };
}

/** Struct.fromJavaScript rejects `undefined`; the engine never sends it, so drop it. */
function plain(value: Props): Props {
  return JSON.parse(JSON.stringify(value)) as Props;
}

/** Spawns the consumer's dynamic-provider host and connects to it. */
export async function startHost(consumerDir: string, opts: HostOptions = {}): Promise<Host> {
  const s = loadStubs(consumerDir);
  const isPlugin = opts.plugin !== undefined || opts.exec !== undefined;
  const providerText = isPlugin
    ? ""
    : (opts.providerText ?? (await captureProviderText(consumerDir)).providerText);
  const project = opts.project ?? "copass-test";
  const hostMain = path.join(
    consumerDir,
    "node_modules",
    "@pulumi",
    "pulumi",
    "cmd",
    "dynamic-provider",
    "index.js",
  );
  const [program, ...args] = opts.exec ?? [hostNode, opts.plugin ?? hostMain];
  const child: ChildProcess = spawn(program!, [...args, "127.0.0.1:1"], {
    cwd: opts.cwd ?? consumerDir,
    env:
      opts.exec !== undefined
        ? (opts.env ?? {})
        : cleanEnv({
            PULUMI_NODEJS_PROJECT: project,
            PULUMI_PROJECT: project,
            PULUMI_NODEJS_STACK: "dev",
            ...opts.env,
          }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (d: Buffer) => {
      stdout += d.toString();
      const nl = stdout.indexOf("\n");
      if (nl >= 0) resolve(Number(stdout.slice(0, nl).trim()));
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) =>
      reject(new Error(`the host exited with ${code} before printing its port\n${stderr}`)),
    );
    child.once("error", reject);
  });
  const client = new s.provrpc.ResourceProviderClient(
    `127.0.0.1:${port}`,
    s.grpc.credentials.createInsecure(),
  );
  const timeoutMs = opts.callTimeoutMs ?? 120_000;

  /** Program inputs: the SDK always adds `__provider`, and check's answer carries it on. */
  const withProvider = (p: Props): Props =>
    providerText === "" ? plain(p) : { __provider: providerText, ...plain(p) };
  /** Stored state: exactly what the engine kept (an init-failed step may have no `__provider`). */
  const stored = (p: Props): Props => plain(p);
  const struct = (p: Props): any => s.Struct.fromJavaScript(p);

  function call<T>(method: string, req: any): Promise<T> {
    return new Promise((resolve, reject) => {
      client[method](req, { deadline: new Date(Date.now() + timeoutMs) }, (err: any, resp: T) => {
        if (err) reject(toHostError(method, err));
        else resolve(resp);
      });
    });
  }

  function toHostError(method: string, err: any): HostError {
    let initFailed: InitFailure | undefined;
    const bins: Buffer[] = err.metadata?.get?.("grpc-status-details-bin") ?? [];
    for (const bin of bins) {
      const status = s.statusproto.Status.deserializeBinary(new Uint8Array(bin));
      for (const any of status.getDetailsList()) {
        if (any.getTypeName() !== "pulumirpc.ErrorResourceInitFailed") continue;
        const d = s.provproto.ErrorResourceInitFailed.deserializeBinary(any.getValue_asU8());
        initFailed = {
          id: d.getId(),
          properties: d.getProperties()?.toJavaScript() ?? {},
          reasons: d.getReasonsList(),
        };
      }
    }
    return new HostError(method, err.code, err.details ?? err.message, initFailed);
  }

  const changesName: Record<number, DiffChanges> = {
    [s.provproto.DiffResponse.DiffChanges.DIFF_UNKNOWN]: "DIFF_UNKNOWN",
    [s.provproto.DiffResponse.DiffChanges.DIFF_NONE]: "DIFF_NONE",
    [s.provproto.DiffResponse.DiffChanges.DIFF_SOME]: "DIFF_SOME",
  };

  const kindName = Object.fromEntries(
    Object.entries(s.provproto.PropertyDiff.Kind).map(([name, value]) => [value, name]),
  ) as Record<number, string>;
  const detailedOf = (map: any): Record<string, string> =>
    Object.fromEntries(map.toArray().map(([key, diff]: [string, any]) => [key, kindName[diff[0] ?? 0]]));

  const host: Host = {
    port,
    pid: child.pid ?? 0,
    consumerDir,
    providerText,
    output: () => ({ stdout, stderr }),

    async getPluginInfo() {
      const resp: any = await call("getPluginInfo", new s.Empty());
      return { version: resp.getVersion() };
    },

    async getSchema() {
      const req = new s.provproto.GetSchemaRequest();
      req.setVersion(0);
      const resp: any = await call("getSchema", req);
      return resp.getSchema();
    },

    async configure(config) {
      const req = new s.provproto.ConfigureRequest();
      req.setArgs(struct(plain(config)));
      const resp: any = await call("configure", req);
      return { acceptSecrets: resp.getAcceptsecrets() };
    },

    async check(olds, news) {
      const req = new s.provproto.CheckRequest();
      req.setUrn(`urn:pulumi:dev::${project}::pulumi-nodejs:dynamic/copass:UserMcpSource::r`);
      req.setOlds(struct(stored(olds)));
      req.setNews(struct(withProvider(news)));
      const resp: any = await call("check", req);
      return {
        inputs: resp.getInputs()?.toJavaScript() ?? {},
        failures: resp
          .getFailuresList()
          .map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
      };
    },

    async diff(id, olds, news) {
      const req = new s.provproto.DiffRequest();
      req.setId(id);
      req.setOlds(struct(stored(olds)));
      req.setNews(struct(withProvider(news)));
      const resp: any = await call("diff", req);
      return {
        changes: changesName[resp.getChanges()] ?? "DIFF_UNKNOWN",
        replaces: resp.getReplacesList(),
        deleteBeforeReplace: resp.getDeletebeforereplace(),
        ...(resp.getHasdetaileddiff() ? { detailed: detailedOf(resp.getDetaileddiffMap()) } : {}),
      };
    },

    async create(props) {
      const req = new s.provproto.CreateRequest();
      req.setProperties(struct(withProvider(props)));
      const resp: any = await call("create", req);
      return { id: resp.getId(), properties: resp.getProperties()?.toJavaScript() ?? {} };
    },

    async read(id, props, inputs) {
      const req = new s.provproto.ReadRequest();
      req.setId(id);
      req.setProperties(struct(stored(props)));
      if (inputs) req.setInputs(struct(stored(inputs)));
      const resp: any = await call("read", req);
      return {
        id: resp.getId(),
        properties: resp.getProperties()?.toJavaScript() ?? {},
        inputs: resp.getInputs()?.toJavaScript(),
      };
    },

    async update(id, olds, news) {
      const req = new s.provproto.UpdateRequest();
      req.setId(id);
      req.setOlds(struct(stored(olds)));
      req.setNews(struct(withProvider(news)));
      const resp: any = await call("update", req);
      return { properties: resp.getProperties()?.toJavaScript() ?? {} };
    },

    async delete(id, props) {
      const req = new s.provproto.DeleteRequest();
      req.setId(id);
      req.setProperties(struct(stored(props)));
      await call("delete", req);
    },

    async kill() {
      client.close();
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
  return host;
}
/* eslint-enable @typescript-eslint/no-explicit-any */
