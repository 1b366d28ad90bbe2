/**
 * `pulumi-copass import` round trip: the generated program is exact (the expect-empty-plan check
 * of Terraform's import tests). Steps, each commented below:
 *
 *   seed the emulator (varied sources, one revoked) → run the packed bin as a subprocess →
 *   type-check the generated file against the packed package → run it with the tokens set →
 *   drive each resource's inputs through Pulumi's real dynamic-provider host (check, create) →
 *   every create adopted (no register), the emulator changed nothing but one rotated token →
 *   the next diff, and the one after a refresh, plan no change.
 *
 * Running the program: there is no Pulumi CLI here, so the compiled program runs under
 * `pulumi.runtime.setMocks` (mocked: the engine's resource monitor) with the tokens in stack
 * config as `pulumi config set --secret` leaves them; the inputs each `UserMcpSource` registers
 * are recorded and sent to the real host exactly as the engine would send them.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startEmulator, startMcpServer, type Emulator, type SampleMcpServer } from "copass-emulator";
import { plan, refresh, up, withoutProvider, type State } from "../support/engine";
import { outOfBand, type Json } from "../support/out-of-band";
import {
  cleanEnv,
  hostNode,
  repoRoot,
  run,
  secret,
  startHost,
  type Host,
  type Props,
} from "../support/pulumi-host";

const API_KEY = "olk_IMPORT_tenant_6c1f0a";
const OTHER_KEY = "olk_IMPORT_other_tenant_2b7e";
const CRM_TOKEN = "tok_IMPORT_crm_a81c";
const DOCS_TOKEN = "tok_IMPORT_docs_3f9d";
const OLD_TOKEN = "tok_IMPORT_seeded_old_77e0";
const NEW_TOKEN = "tok_IMPORT_config_new_d254";
const SECRETS = [API_KEY, OTHER_KEY, CRM_TOKEN, DOCS_TOKEN, OLD_TOKEN, NEW_TOKEN];
const SB = "sb_import";
const PROJECT = "copass-import";

const consumer = inject("copassConsumerA");

let emulator: Emulator;
let dataDir: string;
let workDir: string;
let bearerMcp: SampleMcpServer;
let headerMcp: SampleMcpServer;
let openMcp: SampleMcpServer;
let host: Host;
/** Everything the bin printed, for the leak scan. */
const printed: string[] = [];

const call = outOfBand(() => emulator.url, API_KEY);

/** An out-of-band call to the emulator, as the tenant's existing tooling would have made. */
async function api(method: string, urlPath: string, body?: unknown): Promise<Json> {
  const res = await call(method, urlPath, body);
  if (res.status !== 200) throw new Error(`${method} ${urlPath}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const register = (sandbox: string, body: Props) => api("POST", `/${sandbox}/sources/user-mcp`, body);

/** The emulator's persisted rows and vault (the data file and its separate vault file). */
async function emulatorState(): Promise<{ rows: Record<string, Json>; vault: Record<string, string> }> {
  const file = path.join(dataDir, "copass.json");
  const state = JSON.parse(await readFile(file, "utf8")) as Json;
  const vault = JSON.parse(await readFile(`${file}.vault.json`, "utf8")) as Record<string, string>;
  return { rows: state.sandboxes[SB].sources, vault };
}

/** The packed package's bin, as `npx pulumi-copass` finds it in a user's project. */
async function bin(args: string[], key = API_KEY) {
  const r = await run(path.join(consumer, "node_modules", ".bin", "pulumi-copass"), args, {
    cwd: workDir,
    env: cleanEnv({ COPASS_API_URL: emulator.url, COPASS_API_KEY: key }),
    timeoutMs: 60_000,
  });
  printed.push(r.stdout, r.stderr);
  return r;
}

const seeded: Record<string, string> = {};

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "copass-import-data-"));
  workDir = await mkdtemp(path.join(consumer, "import-"));
  emulator = await startEmulator({
    apiKeys: [API_KEY, OTHER_KEY],
    dataFile: path.join(dataDir, "copass.json"),
  });
  bearerMcp = await startMcpServer({ auth: { kind: "bearer", token: CRM_TOKEN } });
  headerMcp = await startMcpServer({
    auth: { kind: "header_token", header: "X-Api-Key", token: DOCS_TOKEN },
  });
  // Accepts any credential, so a source behind it stays healthy when its token changes.
  openMcp = await startMcpServer({ auth: { kind: "none" } });

  // Seed: the sources a tenant registered before adopting Pulumi.
  const crm = await register(SB, {
    name: "CRM tools",
    base_url: bearerMcp.url,
    auth_kind: "bearer",
    token: CRM_TOKEN,
    app_namespace: "crm-tools",
    allowed_tools: ["search_accounts"],
    rate_cap_per_minute: 120,
    webhook_rate_cap_per_minute: 1200,
  });
  const docs = await register(SB, {
    name: 'Docs "internal"',
    base_url: headerMcp.url,
    auth_kind: "header_token",
    auth_header: "X-Api-Key",
    token: DOCS_TOKEN,
    app_namespace: "docs",
    ingest_tool_calls: [
      { name: "get_account", arguments: { id: "acc-1", fields: ["name", "owner"] } },
      { name: "search_accounts" },
    ],
  });
  const open = await register(SB, {
    name: "Public tools",
    base_url: openMcp.url,
    auth_kind: "none",
    app_namespace: "public_tools",
  });
  // No app_namespace: the server uses the id, and Copass returns it as app_namespace.
  const chosen = await register(SB, {
    name: "Server-chosen namespace",
    base_url: openMcp.url,
    auth_kind: "bearer",
    token: OLD_TOKEN,
  });
  const retired = await register(SB, {
    name: "Retired",
    base_url: bearerMcp.url,
    auth_kind: "bearer",
    token: CRM_TOKEN,
    app_namespace: "retired",
  });
  await api("POST", `/${SB}/sources/${retired.data_source_id}/user-mcp/revoke`);
  // Same tenant, another sandbox: not part of this import.
  await register("sb_import_elsewhere", {
    name: "Elsewhere",
    base_url: openMcp.url,
    auth_kind: "none",
    app_namespace: "elsewhere",
  });
  for (const s of [crm, docs, open, chosen]) expect(s.status).toBe("active");
  Object.assign(seeded, {
    crm: crm.data_source_id,
    docs: docs.data_source_id,
    open: open.data_source_id,
    chosen: chosen.data_source_id,
    retired: retired.data_source_id,
  });

  host = await startHost(consumer, { project: PROJECT });
  await host.configure({ "copass:apiUrl": emulator.url, "copass:apiKey": secret(API_KEY) });
}, 180_000);

afterAll(async () => {
  await host?.kill();
  await Promise.all([bearerMcp?.close(), headerMcp?.close(), openMcp?.close()]);
  await emulator?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** Runs the compiled program under mocks with `config` as secret stack config; returns each resource. */
async function runProgram(
  config: Record<string, string>,
): Promise<{ name: string; inputs: Props; tokenIsSecret: boolean }[]> {
  const runner = `
"use strict";
const pulumi = require("@pulumi/pulumi");
const SIG = "4dabf18193072939515e22adb298388d";
const config = JSON.parse(process.env.IMPORT_CONFIG);
const keys = Object.keys(config).map((k) => "${PROJECT}:" + k);
pulumi.runtime.setAllConfig(Object.fromEntries(keys.map((k, i) => [k, Object.values(config)[i]])), keys);
const recorded = [];
pulumi.runtime.setMocks(
  {
    newResource(args) {
      recorded.push({ type: args.type, name: args.name, inputs: args.inputs });
      return { id: args.name + "-id", state: args.inputs };
    },
    call() { throw new Error("no calls expected"); },
  },
  "${PROJECT}", "dev", false,
);
require("./out/index.js");
process.once("beforeExit", () => {
  const out = recorded.map((r) => {
    const token = r.inputs.token;
    const tokenIsSecret = typeof token === "object" && token !== null && SIG in token;
    const inputs = { ...r.inputs };
    if (tokenIsSecret) inputs.token = token.value;
    return { type: r.type, name: r.name, inputs, tokenIsSecret };
  });
  process.stdout.write(JSON.stringify(out));
});
`;
  await writeFile(path.join(workDir, "run-mocked.js"), runner);
  const r = await run(hostNode, ["run-mocked.js"], {
    cwd: workDir,
    env: cleanEnv({ IMPORT_CONFIG: JSON.stringify(config) }),
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`the generated program failed (${r.code}): ${r.stderr.slice(-2000)}`);
  const recorded = JSON.parse(r.stdout) as {
    type: string;
    name: string;
    inputs: Props;
    tokenIsSecret: boolean;
  }[];
  for (const res of recorded) expect(res.type).toBe("pulumi-nodejs:dynamic/copass:UserMcpSource");
  return recorded.map(({ name, inputs, tokenIsSecret }) => ({
    name,
    inputs: withoutProvider(inputs),
    tokenIsSecret,
  }));
}

describe("pulumi-copass import", () => {
  it("generates a program that adopts every live source exactly: no register, nothing changed but a token, no diff after", async () => {
    // Run: the packed bin, as a subprocess, twice; the same bytes both times.
    const first = await bin(["import", "--sandbox", SB, "--out", "index.ts"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe("");
    const program = await readFile(path.join(workDir, "index.ts"), "utf8");
    const second = await bin(["import", "--sandbox", SB]);
    expect(second.stdout).toBe(program);
    expect(second.stderr).toBe(first.stderr.replace("wrote 4 sources to index.ts\n", ""));

    // stderr: the revoked source skipped, one config line per source with a token, the count.
    const stderr = first.stderr.trimEnd().split("\n");
    expect(stderr).toEqual([
      `skipped ${seeded.retired} ("Retired"): it is revoked (disconnected), which is terminal; nothing to adopt`,
      "Set each token before `pulumi up` (pulumi prompts for the value, keeping it out of shell history):",
      '  pulumi config set --secret crmToolsToken  # bearer token of "CRM tools" (crm-tools)',
      '  pulumi config set --secret docsToken  # X-Api-Key header of "Docs \\"internal\\"" (docs)',
      `  pulumi config set --secret ${seeded.chosen!.replace("_", "")}Token  # bearer token of "Server-chosen namespace" (${seeded.chosen})`,
      "wrote 4 sources to index.ts",
    ]);

    // --json: the same sources as args, without tokens.
    const json = JSON.parse((await bin(["import", "--sandbox", SB, "--json"])).stdout) as Json;
    expect(json.sources.map((s: Json) => s.dataSourceId).sort()).toEqual(
      [seeded.crm, seeded.docs, seeded.open, seeded.chosen].sort(),
    );
    expect(JSON.stringify(json)).not.toContain('"token"');

    // Type-check: the generated file against the packed package, in the consumer project.
    await writeFile(
      path.join(workDir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: "ES2022",
          module: "commonjs",
          moduleResolution: "node10",
          esModuleInterop: true,
          skipLibCheck: true,
          types: [],
          outDir: "out",
        },
        files: ["index.ts"],
      }),
    );
    const tsc = await run(
      process.execPath,
      [path.join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", "."],
      {
        cwd: workDir,
        timeoutMs: 120_000,
      },
    );
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.code).toBe(0);

    // Run it with the tokens set as the stderr lines say (the chosen-namespace source gets a new one).
    const chosenName = seeded.chosen!.replace("_", "");
    const resources = await runProgram({
      crmToolsToken: CRM_TOKEN,
      docsToken: DOCS_TOKEN,
      [`${chosenName}Token`]: NEW_TOKEN,
    });
    // (The mocks record in completion order, which secrets make async; the program's order is sorted.)
    resources.sort((a, b) => (a.name < b.name ? -1 : 1));
    expect(resources.map((r) => r.name)).toEqual(["crmTools", "docs", chosenName, "publicTools"]);
    for (const r of resources) expect(r.tokenIsSecret).toBe(r.name !== "publicTools");

    // Up through the real host: check + create for each resource.
    const before = await emulatorState();
    emulator.clearRequestLog();
    const states: Record<string, State> = {};
    for (const r of resources) {
      const result = await up(host, undefined, r.inputs);
      expect(result.step.op).toBe("create");
      states[r.name] = result.state;
    }
    // Every create adopted: list, patch, test each; never a register.
    const operations = emulator.requestLog().map((e) => e.operation);
    expect(operations).not.toContain("register");
    expect(operations).toEqual(Array.from({ length: 4 }, () => ["list", "patch", "test"]).flat());
    expect(Object.fromEntries(Object.entries(states).map(([n, s]) => [n, s.id]))).toEqual({
      crmTools: seeded.crm,
      docs: seeded.docs,
      [chosenName]: seeded.chosen,
      publicTools: seeded.open,
    });
    for (const s of Object.values(states)) expect(s.outputs.status).toBe("active");

    // The adoption changed nothing but the token: rows equal but for the timestamp of the change,
    // the vault equal but for the one token the program set differently.
    const after = await emulatorState();
    const withoutStamp = (rows: Record<string, Json>) =>
      Object.fromEntries(Object.entries(rows).map(([id, { updated_at: _stamp, ...rest }]) => [id, rest]));
    expect(withoutStamp(after.rows)).toEqual(withoutStamp(before.rows));
    const chosenVault = `user_mcp/${seeded.chosen}/auth`;
    expect(before.vault[chosenVault]).toBe(OLD_TOKEN);
    expect(after.vault).toEqual({ ...before.vault, [chosenVault]: NEW_TOKEN });

    // The next preview plans no change, and neither does one after a refresh.
    for (const r of resources) {
      const next = await plan(host, states[r.name], r.inputs);
      expect([r.name, next.step.op]).toEqual([r.name, "same"]);
      const refreshed = await refresh(host, states[r.name]!);
      const afterRefresh = await plan(host, refreshed, r.inputs);
      expect([r.name, afterRefresh.step.op]).toEqual([r.name, "same"]);
    }

    // No secret anywhere the command or the host wrote.
    const output = [...printed, program, host.output().stdout, host.output().stderr].join("\n");
    for (const s of SECRETS) expect(output).not.toContain(s);
  }, 300_000);

  it("exits 1 with one clear line when the key is wrong (401)", async () => {
    const r = await bin(["import", "--sandbox", SB], "olk_IMPORT_wrong_key_0000");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `pulumi-copass: Copass at ${emulator.url} refused the API key (HTTP 401): check env COPASS_API_KEY (and env COPASS_API_URL, which must be the API the key belongs to)\n`,
    );
    expect(r.stderr).not.toContain("olk_IMPORT_wrong_key_0000");
  });

  it("exits 1 for another tenant's sandbox, listing nothing of it", async () => {
    const r = await bin(["import", "--sandbox", SB], OTHER_KEY);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /^pulumi-copass: sandbox sb_import was not found for this API key \(HTTP 404\)[^\n]*\n$/,
    );
  });
});
