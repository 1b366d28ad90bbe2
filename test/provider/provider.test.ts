/**
 * The provider's lifecycle methods, in-process, against the real emulator and a real sample MCP
 * server. API calls are counted through the emulator's request log; each step clears it first.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { outOfBand } from "../support/out-of-band";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { provider, resetProviderState, SourceInitError } from "../../src/provider/provider";
import { hasUndefined } from "./fixtures";
import { UNKNOWN, registerBody, type NormalizedInputs } from "../../src/provider/schema";

type Props = Record<string, unknown>;

const API_KEY = "olk_provider_tests_key_5d1e";
const TOKEN = "tok-PROVIDER-9c2b41e7-do-not-leak";
const ROTATED = "tok-ROTATED-4f0a7d23-do-not-leak";
/** Port 2: never served, so the health probe is refused at once. */
const UNREACHABLE = "http://127.0.0.1:2/mcp";

let emulator: Emulator;
let mcp: SampleMcpServer;
let sandboxCounter = 0;
let sandbox = "";

function configureWith(values: Record<string, string | undefined>): Promise<void> {
  return provider.configure({ config: { get: (key: string) => values[key] } });
}

beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: [API_KEY], probeTimeoutMs: 2_000 });
  mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
});

afterAll(async () => {
  await mcp?.close();
  await emulator?.close();
});

beforeEach(async () => {
  sandbox = `sb_provider_${++sandboxCounter}`;
  resetProviderState();
  await configureWith({ "copass:apiUrl": emulator.url, "copass:apiKey": API_KEY });
  emulator.faults.reset();
  emulator.clearRequestLog();
});

afterEach(() => vi.restoreAllMocks());

/** The operations the emulator saw since the last clear, e.g. ["register", "test"]. */
function calls(): string[] {
  return emulator.requestLog().map((e) => e.operation);
}

function program(patch: Props = {}): Props {
  const p: Props = {
    sandboxId: sandbox,
    name: "CRM tools",
    baseUrl: mcp.url,
    authKind: "bearer",
    token: TOKEN,
    appNamespace: `crm_${sandboxCounter}`,
    // Bounds the whole health wait, the first re-test of an update included: room for a healthy
    // probe on a loaded machine. Tests about unhealthy sources set their own.
    healthTimeoutSeconds: 5,
    __provider: "serialized shim text",
    ...patch,
  };
  for (const [k, v] of Object.entries(p)) if (v === undefined) delete p[k];
  return p;
}

async function checked(patch: Props = {}): Promise<Props> {
  const result = await provider.check({}, program(patch));
  expect(result.failures).toEqual([]);
  return result.inputs as Props;
}

async function created(patch: Props = {}): Promise<{ id: string; outs: Props; inputs: Props }> {
  const inputs = await checked(patch);
  const { id, outs } = await provider.create(inputs);
  emulator.clearRequestLog();
  return { id, outs: outs as Props, inputs };
}

/** Straight to the emulator, as someone acting out of band would. */
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Props }> {
  const res = await outOfBand(() => emulator.url, API_KEY)(method, `/${sandbox}/sources${path}`, body);
  return { status: res.status, body: (res.body ?? {}) as Props };
}

/** A source registered by hand (out of band) holding `namespace`: what adoption takes over. */
function madeByHand(namespace: string, extra: Props = {}): Promise<{ status: number; body: Props }> {
  return api("POST", "/user-mcp", {
    name: "made by hand",
    base_url: UNREACHABLE,
    auth_kind: "none",
    app_namespace: namespace,
    ...extra,
  });
}

async function sourcesInSandbox(): Promise<Props[]> {
  return (await api("GET", "")).body.sources as Props[];
}

async function captureError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("the module contract", () => {
  it("exports the seven ResourceProvider methods the shim calls", () => {
    expect(Object.keys(provider).sort()).toEqual(
      ["check", "configure", "create", "delete", "diff", "read", "update"].sort(),
    );
  });

  it("read without prior state (pulumi import) explains adoptExisting, with no API call", async () => {
    const error = (await captureError(provider.read("ds_x"))) as Error;
    expect(error.message).toContain("adoptExisting");
    expect(calls()).toEqual([]);
  });
});

describe("check and diff", () => {
  it("make no API call and need no settings", async () => {
    resetProviderState();
    const saved = process.env.COPASS_API_KEY;
    delete process.env.COPASS_API_KEY;
    try {
      const inputs = await checked();
      const result = await provider.diff(
        "ds_x",
        { ...inputs, dataSourceId: "ds_x", status: "active" },
        inputs,
      );
      expect(result.changes).toBe(false);
      const preview = await provider.check({}, program({ baseUrl: UNKNOWN }));
      expect(preview.failures).toEqual([]);
      expect((preview.inputs as Props).baseUrl).toBe(UNKNOWN);
      expect(calls()).toEqual([]);
    } finally {
      if (saved !== undefined) process.env.COPASS_API_KEY = saved;
    }
  });

  it("a missing API key fails the first API call, naming both ways to set it", async () => {
    resetProviderState();
    const saved = process.env.COPASS_API_KEY;
    delete process.env.COPASS_API_KEY;
    try {
      await configureWith({ "copass:apiUrl": emulator.url });
      const error = (await captureError(provider.create(await checked()))) as Error;
      expect(error.message).toContain("pulumi config set --secret copass:apiKey");
      expect(error.message).toContain("COPASS_API_KEY");
      expect(calls()).toEqual([]);
    } finally {
      if (saved !== undefined) process.env.COPASS_API_KEY = saved;
    }
  });

  it("falls back to COPASS_API_KEY read at call time", async () => {
    resetProviderState();
    await configureWith({ "copass:apiUrl": emulator.url });
    vi.stubEnv("COPASS_API_KEY", API_KEY);
    try {
      const { outs } = await created();
      expect(outs.status).toBe("active");
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("a key changed in the environment between two calls is the next call's key (the client is not kept past it)", async () => {
    resetProviderState();
    await configureWith({ "copass:apiUrl": emulator.url });
    vi.stubEnv("COPASS_API_KEY", API_KEY);
    try {
      const { id, outs } = await created();
      vi.stubEnv("COPASS_API_KEY", "olk_revoked_key_000");
      const refused = (await captureError(provider.read(id, outs))) as Error;
      expect(refused.message).toMatch(/401|API key/);
      expect(refused.message).not.toContain("olk_revoked_key_000");
      vi.stubEnv("COPASS_API_KEY", API_KEY);
      expect((await provider.read(id, outs)).props?.status).toBe("active");
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("create", () => {
  it("registers a healthy source in two calls (the snapshot list, the register), with full outputs", async () => {
    const inputs = await checked();
    const { id, outs } = await provider.create(inputs);
    expect(calls()).toEqual(["list", "register"]);
    expect(id).toMatch(/\S/);
    expect(outs).toMatchObject({
      dataSourceId: id,
      status: "active",
      healthError: null,
      ingestionMode: "user_mcp",
      // Where it lives (issue 15 §1): the endpoint in force; the register answer carries no tenant.
      apiEndpoint: emulator.url,
      tenantId: null,
      appNamespace: `crm_${sandboxCounter}`,
      token: TOKEN,
      rateCapPerMinute: 60,
      healthPolicy: "require",
    });
    expect(outs).not.toHaveProperty("__provider");
    expect(hasUndefined(outs)).toBe(false);
    const { token: _token, ...rest } = outs as Props;
    expect(JSON.stringify(rest)).not.toContain(TOKEN);
    expect(id).not.toContain(TOKEN);
  });

  it("without appNamespace: resolves it to the id (the client lists first to reconcile)", async () => {
    const inputs = await checked({ appNamespace: undefined });
    const { id, outs } = await provider.create(inputs);
    expect(calls()).toEqual(["list", "register"]);
    expect((outs as Props).appNamespace).toBe(id);
  });

  it("keeps the id when health fails under require (init-failed error, source in state)", async () => {
    const inputs = await checked({ baseUrl: UNREACHABLE, healthTimeoutSeconds: 1 });
    const started = Date.now();
    const error = (await captureError(provider.create(inputs))) as SourceInitError;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(SourceInitError);
    expect(typeof error.id).toBe("string");
    expect(error.properties).toMatchObject({ dataSourceId: error.id, status: "error", baseUrl: UNREACHABLE });
    expect(typeof error.properties.healthError).toBe("string");
    expect(error.reasons).toHaveLength(1);
    expect(error.reasons[0]).toContain(error.id);
    expect(error.message).not.toContain(TOKEN);
    expect(error.reasons[0]).not.toContain(TOKEN);
    // The snapshot list, register, then re-tests with backoff until the 1 s deadline.
    expect(calls().slice(0, 2)).toEqual(["list", "register"]);
    expect(
      calls()
        .slice(2)
        .every((op) => op === "test"),
    ).toBe(true);
    expect(calls().length).toBeGreaterThanOrEqual(3);
    expect(calls().length).toBeLessThanOrEqual(5);
    // The source exists at Copass (not orphaned: the engine records the id).
    expect((await api("GET", `/${error.id}`)).status).toBe(200);
  });

  it("becomes healthy during the re-tests under require", async () => {
    await mcp.stop();
    const inputs = await checked({ healthTimeoutSeconds: 10 });
    // Start the server once register has answered (its one-shot check failed), not after a fixed
    // delay: a register slower than the delay under load would find the server up and skip the
    // re-tests this test is about.
    const registered = (async () => {
      while (!calls().includes("register")) await new Promise((r) => setTimeout(r, 10));
      await mcp.start();
    })();
    const { outs } = await provider.create(inputs);
    await registered;
    expect((outs as Props).status).toBe("active");
    expect(calls().slice(0, 2)).toEqual(["list", "register"]);
    expect(calls()).toContain("test");
  });

  it("the init-failed properties carry the request's __provider (read and delete need it in state)", async () => {
    const inputs = await checked({ baseUrl: UNREACHABLE, healthTimeoutSeconds: 0 });
    const error = (await captureError(
      provider.create({ ...inputs, __provider: "serialized shim text" }),
    )) as SourceInitError;
    expect(error).toBeInstanceOf(SourceInitError);
    expect(error.properties.__provider).toBe("serialized shim text");
    expect(hasUndefined(error.properties)).toBe(false);
  });

  it("warn: succeeds with status error and one warning line without secrets", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { outs } = await provider.create(await checked({ baseUrl: UNREACHABLE, healthPolicy: "warn" }));
    expect(outs).toMatchObject({ status: "error", healthPolicy: "warn" });
    expect(typeof (outs as Props).healthError).toBe("string");
    expect(calls()).toEqual(["list", "register"]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toContain("unhealthy");
    expect(String(warn.mock.calls[0]![0])).not.toContain(TOKEN);
  });

  it("ignore: records the status, no warning, no re-test", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { outs } = await provider.create(await checked({ baseUrl: UNREACHABLE, healthPolicy: "ignore" }));
    expect((outs as Props).status).toBe("error");
    expect(calls()).toEqual(["list", "register"]);
    expect(warn).not.toHaveBeenCalled();
  });

  it("leaves exactly one source when the register response is lost after commit", async () => {
    emulator.faults.inject({ operation: "register", action: { kind: "commit-then-drop" } });
    const { id } = await provider.create(await checked());
    const sources = await sourcesInSandbox();
    expect(sources).toHaveLength(1);
    expect(sources[0]!.data_source_id).toBe(id);
  });

  it("leaves exactly one source after a lost response without appNamespace", async () => {
    emulator.faults.inject({ operation: "register", action: { kind: "commit-then-drop" } });
    const { id } = await provider.create(await checked({ appNamespace: undefined }));
    const sources = await sourcesInSandbox();
    expect(sources.map((s) => s.data_source_id)).toEqual([id]);
  });
});

describe("adoption", () => {
  it("takes over the active source with the namespace instead of registering a second", async () => {
    const existing = await madeByHand("crm_adopt");
    expect(existing.status).toBe(200);
    emulator.clearRequestLog();

    const { id, outs } = await provider.create(
      await checked({ appNamespace: "crm_adopt", adoptExisting: true }),
    );
    expect(id).toBe(existing.body.data_source_id);
    expect(calls()).toEqual(["list", "patch", "test"]);
    expect(outs).toMatchObject({ status: "active", name: "CRM tools", baseUrl: mcp.url, authKind: "bearer" });
    // The tenant comes from the listed row at no extra call (mutation: adopt.ts returning the PATCH
    // answer alone → tenantId null until the first refresh: fails here).
    expect(outs.tenantId).toMatch(/^usr_/);
    expect(outs.tenantId).toBe((await api("GET", `/${id}`)).body.user_id);
    expect(await sourcesInSandbox()).toHaveLength(1);
  });

  it("records the listed source's data_source_id, even when the test answer carries none (mocked test)", async () => {
    const existing = await madeByHand("crm_adopt_id");
    const { CopassClient } = await import("../../src/client/client");
    // A test answer without data_source_id: the reference leaves the field nullable.
    vi.spyOn(CopassClient.prototype, "testUserMcp").mockImplementation(async () => ({
      data_source_id: null,
      status: "active",
      health_error: null,
    }));
    const { id, outs } = await provider.create(
      await checked({ appNamespace: "crm_adopt_id", adoptExisting: true }),
    );
    expect(id).toBe(existing.body.data_source_id);
    expect((outs as Props).dataSourceId).toBe(existing.body.data_source_id);
  });

  it("registers when nothing has the namespace", async () => {
    const { outs } = await provider.create(await checked({ appNamespace: "crm_fresh", adoptExisting: true }));
    expect(calls()).toEqual(["list", "register"]);
    expect((outs as Props).status).toBe("active");
  });

  it("a PATCH that landed, then a failing health test: init-failed with the id and the new config (issue 15 §4)", async () => {
    // The source is ours and modified once the PATCH lands: a plain error would forget it.
    // mutation: run api.testUserMcp inside adopt() after the PATCH (outside create's init-failed
    // zone) → a plain error without id or properties: this test fails.
    const existing = await madeByHand("crm_adopt_test_fails");
    const id = String(existing.body.data_source_id);
    emulator.clearRequestLog();
    emulator.faults.inject({ operation: "test", action: { kind: "status", status: 500 }, times: Infinity });
    const error = (await captureError(
      provider.create({
        ...(await checked({ appNamespace: "crm_adopt_test_fails", adoptExisting: true })),
        __provider: "serialized shim text",
      }),
    )) as SourceInitError;
    expect(error).toBeInstanceOf(SourceInitError);
    expect(error.id).toBe(id);
    expect(error.properties).toMatchObject({
      dataSourceId: id,
      name: "CRM tools",
      baseUrl: mcp.url,
      authKind: "bearer",
      token: TOKEN,
      // Never the PATCH answer's status: the config it reports on was replaced.
      status: "unknown",
      __provider: "serialized shim text",
    });
    expect(error.reasons[0]).toContain("health test after adoption");
    expect(error.message).not.toContain(TOKEN);
    expect(calls().slice(0, 2)).toEqual(["list", "patch"]);
    expect(
      calls()
        .slice(2)
        .every((op) => op === "test"),
    ).toBe(true);
    // The PATCH landed: Copass has the program's config.
    expect((await api("GET", `/${id}`)).body).toMatchObject({ name: "CRM tools" });
  });

  it("an adopted source that stays unhealthy under require: init-failed, 'adopted' and the id", async () => {
    const existing = await madeByHand("crm_adopt_unhealthy");
    const error = (await captureError(
      provider.create(
        await checked({
          appNamespace: "crm_adopt_unhealthy",
          adoptExisting: true,
          baseUrl: UNREACHABLE,
          healthTimeoutSeconds: 1,
        }),
      ),
    )) as SourceInitError;
    expect(error).toBeInstanceOf(SourceInitError);
    expect(error.id).toBe(existing.body.data_source_id);
    expect(error.message).toContain("was adopted but its MCP server is not healthy");
    expect(error.properties).toMatchObject({ status: "error", baseUrl: UNREACHABLE, authKind: "bearer" });
  });

  it("refuses, changing nothing, when the existing source's ingestToolCalls differ", async () => {
    await madeByHand("crm_calls", { ingest_tool_calls: [{ name: "pull_all" }] });
    emulator.clearRequestLog();
    const error = (await captureError(
      provider.create(await checked({ appNamespace: "crm_calls", adoptExisting: true })),
    )) as Error;
    expect(error.message).toContain("ingestToolCalls");
    expect(calls()).toEqual(["list"]);
  });
});

describe("a register refused with namespace_conflict (no adoptExisting)", () => {
  it.each([
    ["exactly the program's configuration (another stack of this project)", "same"],
    ["a different configuration", "different"],
  ])(
    "refuses a holder with %s, naming it, the causes and the ways out, and changes nothing",
    async (_name, kind) => {
      const inputs = await checked({ appNamespace: "crm_taken" });
      const body =
        kind === "same"
          ? registerBody(inputs as NormalizedInputs)
          : { name: "someone else's", base_url: UNREACHABLE, auth_kind: "none", app_namespace: "crm_taken" };
      const holder = await api("POST", "/user-mcp", body);
      const holderId = String(holder.body.data_source_id);
      const before = (await api("GET", `/${holderId}`)).body;
      emulator.clearRequestLog();

      const error = (await captureError(provider.create(inputs))) as Error;
      expect(error).not.toBeInstanceOf(SourceInitError);
      expect(error).not.toHaveProperty("id");
      expect(error).not.toHaveProperty("properties");
      expect(error.message).toContain(holderId);
      expect(error.message).toContain(`status ${String(before.status)}`);
      expect(error.message).toContain("another stack or person owns");
      expect(error.message).toContain("interrupted after Copass registered it");
      expect(error.message).toContain("adoptExisting: true");
      expect(error.message).toContain("choose another appNamespace");
      expect(error.message).not.toContain(TOKEN);
      // The snapshot, the refused register and one read-only listing: no PATCH, no test.
      expect(calls()).toEqual(["list", "register", "list"]);
      expect((await api("GET", `/${holderId}`)).body).toEqual(before);
      expect(await sourcesInSandbox()).toHaveLength(1);
    },
  );
});

describe("update", () => {
  it("renames with one PATCH and returns full outputs", async () => {
    const { id, outs } = await created();
    const news = await checked({ name: "CRM renamed" });
    expect(await provider.diff(id, outs, news)).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const { outs: after } = await provider.update(id, outs, news);
    expect(calls()).toEqual(["patch"]);
    expect(after).toMatchObject({ ...outs, name: "CRM renamed" });
    expect((await api("GET", `/${id}`)).body.name).toBe("CRM renamed");
  });

  it("makes no call when only a provider-only field changed", async () => {
    const { id, outs } = await created();
    const news = await checked({ deletionPolicy: "delete" });
    expect((await provider.diff(id, outs, news)).changes).toBe(true);
    const { outs: after } = await provider.update(id, outs, news);
    expect(calls()).toEqual([]);
    expect((after as Props).deletionPolicy).toBe("delete");
  });

  it("rotates the token in place: PATCH carries the new token, then a re-test passes", async () => {
    const { id, outs } = await created();
    // The MCP server now only accepts the rotated token.
    const port = mcp.port;
    await mcp.close();
    mcp = await startMcpServer({ auth: { kind: "bearer", token: ROTATED }, port });
    try {
      const news = await checked({ token: ROTATED });
      expect(await provider.diff(id, outs, news)).toEqual({
        changes: true,
        replaces: [],
        deleteBeforeReplace: false,
      });
      const { outs: after } = await provider.update(id, outs, news);
      expect(calls()).toEqual(["patch", "test"]);
      expect(after).toMatchObject({ token: ROTATED, status: "active", healthError: null });
    } finally {
      await mcp.close();
      mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN }, port });
    }
  });

  it("an appNamespace another source holds fails plainly (old state kept), naming the conflict", async () => {
    const { id, outs } = await created({ appNamespace: "crm_mine" });
    await created({ appNamespace: "crm_taken" });
    const error = (await captureError(
      provider.update(id, outs, await checked({ appNamespace: "crm_taken", name: "renamed" })),
    )) as Error;
    // Not an init-failed error: the engine keeps the prior outputs, which still match Copass.
    expect(error).not.toBeInstanceOf(SourceInitError);
    expect(error.message).toContain(id);
    expect(error.message).toContain("namespace");
    expect(error.message).not.toContain(TOKEN);
    const server = (await api("GET", `/${id}`)).body;
    expect(server.name).toBe("CRM tools");
    expect((server.adapter_config as Props).app_namespace).toBe("crm_mine");
  });

  it("a baseUrl change that breaks health fails under require, keeping the new config", async () => {
    const { id, outs } = await created();
    // As the host calls it: the new inputs carry __provider.
    const news = {
      ...(await checked({ baseUrl: UNREACHABLE, healthTimeoutSeconds: 0 })),
      __provider: "shim",
    };
    const error = (await captureError(provider.update(id, outs, news))) as SourceInitError;
    expect(error).toBeInstanceOf(SourceInitError);
    expect(error.id).toBe(id);
    expect(error.properties).toMatchObject({ baseUrl: UNREACHABLE, status: "error" });
    expect(error.properties.__provider).toBe("shim");
    expect(calls()).toEqual(["patch", "test"]);
  });
});

describe("read and drift", () => {
  it("sees the MCP server down (status error), diff plans an update, and the update heals it", async () => {
    const { id, outs, inputs } = await created();
    await mcp.stop();
    let read: Awaited<ReturnType<typeof provider.read>>;
    try {
      read = await provider.read(id, outs);
      expect(calls()).toEqual(["get", "test"]);
      expect(read.id).toBe(id);
      expect(read.props).toMatchObject({ status: "error", token: TOKEN });
      expect(typeof (read.props as Props).healthError).toBe("string");
      expect(hasUndefined(read)).toBe(false);
      expect(await provider.diff(id, read.props as Props, inputs)).toEqual({
        changes: true,
        replaces: [],
        deleteBeforeReplace: false,
      });
    } finally {
      await mcp.start();
    }
    emulator.clearRequestLog();
    const { outs: healed } = await provider.update(id, read.props as Props, inputs);
    expect(calls()).toEqual(["test"]);
    expect(healed).toMatchObject({ status: "active", healthError: null });
    expect((await provider.diff(id, healed as Props, inputs)).changes).toBe(false);
  });

  it("a healthy read without healthCheckOnRefresh is one GET and no drift", async () => {
    const { id, outs, inputs } = await created({ healthCheckOnRefresh: false });
    const read = await provider.read(id, outs);
    expect(calls()).toEqual(["get"]);
    // The first read records the tenant, which the register answer does not carry (issue 15 §1).
    const row = (await api("GET", `/${id}`)).body;
    expect(read.props).toEqual({ ...outs, tenantId: row.user_id });
    expect((await provider.diff(id, read.props as Props, inputs)).changes).toBe(false);
  });

  it("an out-of-band base_url change shows in read's inputs, and the update reverts it", async () => {
    const { id, outs, inputs } = await created();
    const other = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
    try {
      expect((await api("PATCH", `/${id}/user-mcp`, { base_url: other.url })).status).toBe(200);
      emulator.clearRequestLog();
      const read = await provider.read(id, outs);
      expect((read.inputs as Props).baseUrl).toBe(other.url);
      expect((read.inputs as Props).token).toBe(TOKEN);
      expect(await provider.diff(id, read.props as Props, inputs)).toEqual({
        changes: true,
        replaces: [],
        deleteBeforeReplace: false,
      });
      emulator.clearRequestLog();
      const { outs: after } = await provider.update(id, read.props as Props, inputs);
      expect(calls()).toEqual(["patch", "test"]);
      expect((after as Props).baseUrl).toBe(mcp.url);
      const server = await api("GET", `/${id}`);
      expect((server.body.adapter_config as Props).base_url).toBe(mcp.url);
    } finally {
      await other.close();
    }
  });

  it("a source revoked out of band reads as disconnected and diff plans its replacement", async () => {
    const { id, outs, inputs } = await created();
    await api("POST", `/${id}/user-mcp/revoke`);
    emulator.clearRequestLog();
    const read = await provider.read(id, outs);
    expect(calls()).toEqual(["get"]);
    expect(read.props).toMatchObject({ status: "disconnected" });
    expect(await provider.diff(id, read.props as Props, inputs)).toEqual({
      changes: true,
      replaces: ["status"],
      deleteBeforeReplace: true,
    });
  });

  it("a source archived by Copass reads as archived with no health test, and diff plans its replacement", async () => {
    const { id, outs, inputs } = await created();
    const row = (await api("GET", `/${id}`)).body as Props;
    // Copass's answer, served by the emulator as is: it cannot archive a source itself (reference §2.2).
    emulator.faults.inject({
      operation: "get",
      action: { kind: "status", status: 200, body: { ...row, status: "archived" } },
    });
    emulator.clearRequestLog();
    const read = await provider.read(id, outs);
    // mutation: read's `!isRetired(source.status)` → `source.status !== "disconnected"` → a test is sent.
    expect(calls()).toEqual(["get"]);
    expect(read.props).toMatchObject({ status: "archived" });
    expect((await provider.diff(id, read.props as Props, inputs)).replaces).toEqual(["status"]);
  });

  it("a source deleted out of band reads as gone (empty id)", async () => {
    const { id, outs } = await created();
    await api("POST", `/${id}/user-mcp/revoke`);
    await api("DELETE", `/${id}`);
    emulator.clearRequestLog();
    expect(await provider.read(id, outs)).toEqual({ id: "" });
    // The 404 is confirmed by listing the sandbox (issue 15 §1): one more call, on this path only.
    expect(calls()).toEqual(["get", "list"]);
  });
});

describe("delete", () => {
  it("revokes, and a second delete is fine", async () => {
    const { id, outs } = await created();
    await provider.delete(id, outs);
    expect(calls()).toEqual(["revoke"]);
    expect((await api("GET", `/${id}`)).body.status).toBe("disconnected");
    await provider.delete(id, outs);
  });

  it("deletionPolicy delete also removes the row; deleting again is fine", async () => {
    const { id, outs } = await created({ deletionPolicy: "delete" });
    await provider.delete(id, outs);
    expect(calls()).toEqual(["revoke", "delete"]);
    expect((await api("GET", `/${id}`)).status).toBe(404);
    emulator.clearRequestLog();
    await provider.delete(id, outs);
    // The revoke's 404 is confirmed by listing the sandbox (issue 15 §1).
    expect(calls()).toEqual(["revoke", "list"]);
  });

  it("errors name the operation and the source, never a secret, though the server echoes both", async () => {
    const { id, outs } = await created();
    // A server that echoes the credentials it saw: the body carries the MCP token and the API key.
    const body = { error: "forbidden", detail: `token ${TOKEN} with key ${API_KEY} may not revoke` };
    emulator.faults.inject({
      operation: "revoke",
      action: { kind: "status", status: 403, body },
      times: Infinity,
    });
    const error = (await captureError(provider.delete(id, outs))) as Error;
    expect(error.message).toMatch(
      new RegExp(`^Copass delete \\(revoke\\) of source ${id} in sandbox ${outs.sandboxId} failed: `),
    );
    // The server's text did reach the message (so the assertions below can fail), minus the secrets.
    expect(error.message).toContain("forbidden: token [redacted] with key [redacted] may not revoke");
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).not.toContain(API_KEY);
    // The client's own "Copass revoke failed: " is not repeated inside the provider's message.
    expect(error.message.match(/failed/g)).toHaveLength(1);
  });
});

describe("bounded health wait (slow POST …/test)", () => {
  it.each(["create", "update"])(
    "an unhealthy %s under require ends within healthTimeoutSeconds + 1 s although each test takes 8 s",
    async (step) => {
      const prior = step === "update" ? await created() : undefined;
      emulator.faults.inject({ operation: "test", action: { kind: "delay", ms: 8_000 }, times: Infinity });
      const inputs = await checked({ baseUrl: UNREACHABLE, healthTimeoutSeconds: 2 });
      const started = Date.now();
      const error = await captureError(
        prior ? provider.update(prior.id, prior.outs, inputs) : provider.create(inputs),
      );
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(SourceInitError);
      expect((error as Error).message).toContain("not healthy after 2s");
      expect(elapsed).toBeLessThan(3_000);
      expect(elapsed).toBeGreaterThanOrEqual(step === "update" ? 1_900 : 400);
    },
  );
});

describe("a health re-test that was due and did not finish (issue 15 §3)", () => {
  /** `POST …/test` fails every time until the faults are reset (beforeEach). */
  function testEndpointFails(action: "503" | "drop"): void {
    emulator.faults.inject({
      operation: "test",
      action: action === "503" ? { kind: "status", status: 503 } : { kind: "drop" },
      times: Infinity,
    });
  }

  /** The init-failed error, with no secret anywhere but under `token`. */
  async function initFailed(promise: Promise<unknown>): Promise<SourceInitError> {
    const error = (await captureError(promise)) as SourceInitError;
    expect(error).toBeInstanceOf(SourceInitError);
    const { token: _token, ...rest } = error.properties;
    for (const secret of [TOKEN, ROTATED, API_KEY]) {
      expect(JSON.stringify(rest)).not.toContain(secret);
      expect(error.message).not.toContain(secret);
    }
    return error;
  }

  it.each(["503", "drop"] as const)(
    "update: a token change whose test answers %s until the client gives up records status unknown, never the PATCH's old status",
    async (fault) => {
      // mutation: in provider.update's catch, build the init-failed outputs from the PATCH answer's
      // health again (the code before issue 15) → status "active" here, and the next plan is empty.
      const { id, outs } = await created();
      testEndpointFails(fault);
      // The token changes to one the MCP server rejects (it accepts only TOKEN); Copass cannot test.
      const news = { ...(await checked({ token: ROTATED })), __provider: "shim" };
      const error = await initFailed(provider.update(id, outs, news));
      // The PATCH landed (the emulator's PATCH keeps the old status, "active"); then every one of
      // the client's attempts at the test failed.
      const [first, ...tests] = calls();
      expect(first).toBe("patch");
      expect(tests.length).toBeGreaterThan(1);
      expect(tests.every((op) => op === "test")).toBe(true);
      expect(error.properties).toMatchObject({ dataSourceId: id, status: "unknown", token: ROTATED });
      expect(error.properties.healthError).toMatch(
        /^Copass health re-test of source \S+ in sandbox \S+ failed: test: /,
      );
      expect(error.properties.healthError).toBe(error.message);
      expect(error.properties.__provider).toBe("shim");
      expect((await api("GET", `/${id}`)).body.status).toBe("active");
      // The next plan re-tests: a status that is not active is health drift, an update.
      expect(await provider.diff(id, error.properties, news)).toEqual({
        changes: true,
        replaces: [],
        deleteBeforeReplace: false,
      });
    },
  );

  it("create: records status unknown with the reason rather than the register's one-shot result", async () => {
    // mutation: in provider.create's catch, throw the init-failed error with the register's health
    // (status "error") → this test fails. Both statuses make the next plan re-test; unknown is the
    // one rule for "a re-test that was due did not finish", on create and update alike.
    testEndpointFails("503");
    const error = await initFailed(provider.create(await checked({ token: ROTATED })));
    const [snapshot, register, ...tests] = calls();
    expect([snapshot, register]).toEqual(["list", "register"]);
    expect(tests.every((op) => op === "test")).toBe(true);
    expect(error.properties).toMatchObject({ status: "unknown", token: ROTATED });
    expect(error.properties.healthError).toMatch(/^Copass health re-test of source .* failed: test: /);
  });

  it("healthTimeoutSeconds 0: exactly one test, never the client's retries of a failing one (§4)", async () => {
    // mutation: `singleAttempt = false` in settleHealth (health-wait.ts) → the client retries the
    // 503 (4 attempts) and this count fails.
    const { id, outs } = await created();
    testEndpointFails("503");
    const error = await initFailed(
      provider.update(id, outs, await checked({ token: ROTATED, healthTimeoutSeconds: 0 })),
    );
    expect(calls()).toEqual(["patch", "test"]);
    expect(error.properties).toMatchObject({ status: "unknown" });
  });
});

describe("a create whose register may have committed late, without appNamespace", () => {
  it("fails as 'may have been created' naming appNamespace, sends one register, records nothing", async () => {
    await configureWith({
      "copass:apiUrl": emulator.url,
      "copass:apiKey": API_KEY,
      "copass:requestTimeoutSeconds": "1",
    });
    emulator.faults.inject({ operation: "register", action: { kind: "delay", ms: 2_500 } });
    const error = (await captureError(provider.create(await checked({ appNamespace: undefined })))) as Error;
    expect(error).not.toBeInstanceOf(SourceInitError);
    expect(error.message).toContain("may have been created");
    expect(error.message).toContain("appNamespace");
    expect((error as { code?: unknown }).code).toBe("COPASS_CREATE_UNCERTAIN");
    for (let i = 0; i < 100 && !calls().includes("register"); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(calls().filter((op) => op === "register")).toHaveLength(1);
    expect(await sourcesInSandbox()).toHaveLength(1);
  });
});

describe("a replaced client", () => {
  it("whose close() rejects never becomes an unhandled rejection (the host would exit)", async () => {
    const { CopassClient } = await import("../../src/client/client");
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", listener);
    try {
      await provider.create(await checked());
      const close = vi
        .spyOn(CopassClient.prototype, "close")
        .mockImplementation(() => Promise.reject(new Error("agent refused to close")));
      // New settings (another timeout): the next call replaces, and closes, the client.
      await configureWith({
        "copass:apiUrl": emulator.url,
        "copass:apiKey": API_KEY,
        "copass:requestTimeoutSeconds": "7",
      });
      await provider.create(await checked({ appNamespace: `crm_${sandboxCounter}_b` }));
      expect(close).toHaveBeenCalledTimes(1);
      // Give a rejection the turns it needs to be reported.
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", listener);
    }
  });
});
