/**
 * Host lifecycle over gRPC (DESIGN §2), the way the Terraform acceptance tests read: each test walks
 * Configure → Check → Diff → Create → Read → Update → Delete against Pulumi's real dynamic-provider
 * host (installed in a consumer project), the local Copass emulator and a real MCP server.
 *
 * API calls per operation come from the emulator's request log; they are asserted where DESIGN
 * fixes them and printed at the end.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { CheckFailed, InitFailed, destroy, plan, refresh, up, type State } from "../support/engine";
import { outOfBand, type Json } from "../support/out-of-band";
import {
  HostError,
  installedPulumiVersion,
  pulumiVersion,
  secret,
  startHost,
  unknownValue,
  type Host,
  type Props,
} from "../support/pulumi-host";

const API_KEY = "olk_LIFECYCLE_KEY_77aa31c0ffee";
const TOKEN = "tok_LIFECYCLE_main_5be1d0";
const ROT_OLD = "tok_LIFECYCLE_rotate_old_91f2";
const ROT_NEW = "tok_LIFECYCLE_rotate_new_c4d8";
const WRONG = "tok_LIFECYCLE_wrong_e03b";
/** The password of a baseUrl with userinfo (refused by check, which must not quote it). */
const URL_PASSWORD = "pw_LIFECYCLE_userinfo_6d2a";
const ALL_SECRETS = [API_KEY, TOKEN, ROT_OLD, ROT_NEW, WRONG, URL_PASSWORD];

const consumer = inject("copassConsumerA");

let emulator: Emulator;
let mcp: SampleMcpServer;
let host: Host;

/** Every error message and every state the tests saw, for the leak scan at the end. */
const seenErrors: string[] = [];
const seenStates: State[] = [];
/** API operations per lifecycle step, from the emulator's request log. */
const calls: Record<string, string[]> = {};

async function counted<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const before = emulator.requestLog().length;
  try {
    const result = await fn();
    if (result && typeof result === "object" && "state" in result) seenStates.push(result.state as State);
    return result;
  } catch (e) {
    seenErrors.push(e instanceof Error ? e.message : String(e));
    if (e instanceof InitFailed) seenStates.push(e.state);
    throw e;
  } finally {
    calls[label] = emulator
      .requestLog()
      .slice(before)
      .map((entry) => entry.operation);
  }
}

/** An out-of-band call straight to the emulator, as another tool or a person would make. */
const api = outOfBand(() => emulator.url, API_KEY);

function program(sandboxId: string, overrides: Props = {}): Props {
  return {
    sandboxId,
    name: "CRM tools",
    baseUrl: mcp.url,
    authKind: "bearer",
    token: TOKEN,
    allowedTools: ["search_accounts", "get_account"],
    ...overrides,
  };
}

beforeAll(async () => {
  // echoCredentialInHealthError: a failed probe's health_error quotes the token it sent (as a
  // relayed MCP server answer may), so the leak scan below sees every healthError the tests make.
  emulator = await startEmulator({ apiKeys: [API_KEY], echoCredentialInHealthError: true });
  mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
  host = await startHost(consumer);
  // Configure: stack config as the engine passes it, the API key as a secret.
  await host.configure({ "copass:apiUrl": emulator.url, "copass:apiKey": secret(API_KEY) });
});

afterAll(async () => {
  await host?.kill();
  await mcp?.close();
  await emulator?.close();
});

describe("the dynamic-provider host", () => {
  it("is the SDK version the consumer installed and asks the engine for plaintext", async () => {
    // The version is a parameter of the run (COPASS_TEST_PULUMI_VERSION; test:matrix varies it).
    expect(installedPulumiVersion(consumer)).toBe(pulumiVersion);
    expect((await host.getPluginInfo()).version).toBe(pulumiVersion);
    // The host answers Configure with acceptSecrets=false, so the provider sees plaintext.
    expect(
      (await host.configure({ "copass:apiUrl": emulator.url, "copass:apiKey": secret(API_KEY) }))
        .acceptSecrets,
    ).toBe(false);
  });
});

describe("UserMcpSource lifecycle", () => {
  it("creates a healthy source, refreshes without drift, renames in place and revokes on delete", async () => {
    const sb = "sb_main";

    // Check: defaults are filled in offline, so later diffs are stable.
    const planned = await counted("check", () => plan(host, undefined, program(sb)));
    expect(calls.check).toEqual([]);
    expect(planned.inputs).toMatchObject({
      rateCapPerMinute: 60,
      webhookRateCapPerMinute: 600,
      healthPolicy: "require",
      healthTimeoutSeconds: 60,
      healthCheckOnRefresh: true,
      deletionPolicy: "revoke",
      adoptExisting: false,
      ingestToolCalls: [],
    });

    // Create: registered and healthy; the id is the data_source_id. The client snapshots the list
    // first (with or without an appNamespace), so that a lost POST response can be told apart later.
    let { state } = await counted("create (healthy, no appNamespace)", () =>
      up(host, undefined, program(sb)),
    );
    expect(calls["create (healthy, no appNamespace)"]).toEqual(["list", "register"]);
    expect(state.id).toMatch(/\S/);
    expect(state.outputs).toMatchObject({
      dataSourceId: state.id,
      status: "active",
      healthError: null,
      name: "CRM tools",
      token: TOKEN,
      appNamespace: state.id,
    });
    expect(typeof state.outputs.ingestionMode).toBe("string");

    // Read (refresh): the server agrees with the program; health re-tested (healthCheckOnRefresh).
    const read = await counted("read (refresh, health re-test)", () => refresh(host, state));
    expect(calls["read (refresh, health re-test)"]).toEqual(["get", "test"]);
    expect(read).toBeDefined();
    expect(read!.outputs).toMatchObject({ status: "active", healthError: null, token: TOKEN });
    expect(read!.inputs).toMatchObject({ name: "CRM tools", baseUrl: mcp.url, token: TOKEN });
    state = read!;
    seenStates.push(state);

    // Diff with an unchanged program: no changes, and no API call at all.
    const same = await counted("diff (no-op)", () => up(host, state, program(sb)));
    expect(same.step.op).toBe("same");
    expect(same.step.op === "same" && same.step.diff.changes).toBe("DIFF_NONE");
    expect(calls["diff (no-op)"]).toEqual([]);

    // Update: a rename is an in-place PATCH, not a replacement.
    const renamed = await counted("update (rename)", () =>
      up(host, state, program(sb, { name: "CRM tools v2" })),
    );
    expect(renamed.step.op).toBe("update");
    expect(calls["update (rename)"]).toEqual(["patch"]);
    expect(renamed.state.id).toBe(state.id);
    expect(renamed.state.outputs).toMatchObject({ name: "CRM tools v2", status: "active", token: TOKEN });
    state = renamed.state;
    expect((await api("GET", `/${sb}/sources/${state.id}`)).body.name).toBe("CRM tools v2");

    // Delete: revoked (the default deletionPolicy); a second delete is fine.
    await counted("delete (revoke)", () => destroy(host, state));
    expect(calls["delete (revoke)"]).toEqual(["revoke"]);
    expect((await api("GET", `/${sb}/sources/${state.id}`)).body.status).toBe("disconnected");
    await counted("delete (again)", () => destroy(host, state));
  });

  describe("health policies when the MCP server rejects the token", () => {
    it("require: fails the create as 'failed to initialize' and keeps the id in state", async () => {
      const sb = "sb_require";
      const p = program(sb, { token: WRONG, healthTimeoutSeconds: 1 });
      const err = await counted("create (unhealthy, require, 1 s)", () => up(host, undefined, p)).catch(
        (e) => e,
      );
      expect(err).toBeInstanceOf(InitFailed);
      const failed = err as InitFailed;
      expect(failed.error.code).toBe(2); // gRPC UNKNOWN, as the engine expects
      expect(failed.state.id).toMatch(/\S/);
      expect(failed.state.outputs).toMatchObject({ dataSourceId: failed.state.id, status: "error" });
      expect(failed.state.outputs.healthError).toEqual(expect.any(String));
      expect(failed.error.initFailed!.reasons.length).toBeGreaterThan(0);
      // The step fails with the health error.
      expect(failed.message).toContain(String(failed.state.outputs.healthError));
      const ops = calls["create (unhealthy, require, 1 s)"]!;
      expect(ops.slice(0, 2)).toEqual(["list", "register"]);
      expect(ops.slice(2).length).toBeGreaterThan(0);
      expect(ops.slice(2).every((op) => op === "test")).toBe(true);
      // Never orphaned: the source exists at Copass under the id the engine keeps.
      expect((await api("GET", `/${sb}/sources/${failed.state.id}`)).status).toBe(200);
      await destroy(host, failed.state);
    });

    it("require: a source that failed to initialize can still be refreshed and destroyed", async () => {
      // The host adds no `__provider` to an init-failed step's properties, and the engine stores
      // them as outputs; Read and Delete find the provider code only there.
      const sb = "sb_require_then_destroy";
      const created = await up(host, undefined, program(sb, { token: WRONG, healthTimeoutSeconds: 0 })).catch(
        (e) => e,
      );
      expect(created).toBeInstanceOf(InitFailed);
      const failedCreate = (created as InitFailed).state;
      seenStates.push(failedCreate);
      expect(typeof failedCreate.outputs.__provider).toBe("string");
      const read = await refresh(host, failedCreate);
      expect(read?.outputs).toMatchObject({ status: "error", token: WRONG });

      // An update whose re-test fails under require is recorded the same way.
      const healthy = (await up(host, undefined, program(`${sb}_update`))).state;
      const updated = await up(
        host,
        healthy,
        program(`${sb}_update`, { token: WRONG, healthTimeoutSeconds: 0 }),
      ).catch((e) => e);
      expect(updated).toBeInstanceOf(InitFailed);
      const failedUpdate = (updated as InitFailed).state;
      seenStates.push(failedUpdate);
      expect(failedUpdate.outputs).toMatchObject({ token: WRONG, status: "error" });
      expect(typeof failedUpdate.outputs.__provider).toBe("string");

      await destroy(host, read!);
      await destroy(host, failedUpdate);
      for (const [s, id] of [
        [sb, failedCreate.id],
        [`${sb}_update`, failedUpdate.id],
      ]) {
        expect((await api("GET", `/${s}/sources/${id}`)).body.status).toBe("disconnected");
      }
    });

    it.each(["warn", "ignore"])("%s: succeeds with status error and the health error", async (policy) => {
      const sb = `sb_${policy}`;
      const label = `create (unhealthy, ${policy})`;
      const { state } = await counted(label, () =>
        up(host, undefined, program(sb, { token: WRONG, healthPolicy: policy, healthTimeoutSeconds: 0 })),
      );
      expect(calls[label]).toEqual(["list", "register"]);
      expect(state.outputs).toMatchObject({ status: "error", healthPolicy: policy });
      expect(state.outputs.healthError).toEqual(expect.any(String));
      await destroy(host, state);
    });
  });

  it("rotates the token in place and re-tests health with the new one", async () => {
    const sb = "sb_rotate";
    const server = await startMcpServer({ auth: { kind: "bearer", token: ROT_OLD } });
    let replacement: SampleMcpServer | undefined;
    try {
      const p = (token: string) => program(sb, { baseUrl: server.url, token });
      const { state } = await up(host, undefined, p(ROT_OLD));
      expect(state.outputs.status).toBe("active");

      // The MCP server now accepts only the new token.
      await server.stop();
      replacement = await startMcpServer({ auth: { kind: "bearer", token: ROT_NEW }, port: server.port });

      // Diff: an update, not a replace.
      const planned = await plan(host, state, p(ROT_NEW));
      expect(planned.step.op).toBe("update");

      // Update: PATCH with the new token, then a health re-test that passes only with it.
      const rotated = await counted("update (token rotation)", () => up(host, state, p(ROT_NEW)));
      expect(rotated.state.id).toBe(state.id);
      expect(rotated.state.outputs).toMatchObject({ status: "active", healthError: null, token: ROT_NEW });
      expect(calls["update (token rotation)"]).toEqual(["patch", "test"]);
      await destroy(host, rotated.state);
    } finally {
      await replacement?.close();
      await server.close();
    }
  });

  describe("replacement", () => {
    it.each([
      // A move to another sandbox: the namespace is free there, so the new source comes first.
      ["sandboxId", { sandboxId: "sb_replace_other" }, false],
      // Same sandbox, same namespace: Copass keeps it unique, so the old source must go first.
      ["ingestToolCalls", { ingestToolCalls: [{ name: "search_accounts", arguments: { q: "a" } }] }, true],
    ])(
      "a change to %s replaces (delete first: %s when appNamespace is kept)",
      async (field, change, first) => {
        const sb = `sb_replace_${field}`;
        const withNs = program(sb, { appNamespace: `ns_${field}` });
        const { state } = await counted("create (healthy, with appNamespace)", () =>
          up(host, undefined, withNs),
        );
        expect(calls["create (healthy, with appNamespace)"]).toEqual(["list", "register"]);

        const planned = await counted(`diff (replace ${field})`, () =>
          plan(host, state, { ...withNs, ...change }),
        );
        expect(calls[`diff (replace ${field})`]).toEqual([]);
        expect(planned.step.op).toBe("replace");
        expect(planned.step.op === "replace" && planned.step.diff.replaces).toEqual([field]);
        expect(planned.step.op === "replace" && planned.step.diff.deleteBeforeReplace).toBe(first);

        // Without an explicit appNamespace the server picks a fresh one: create before delete is fine.
        const noNs = await plan(host, state, { ...program(sb), ...change });
        expect(noNs.step.op === "replace" && noNs.step.diff.deleteBeforeReplace).toBe(false);

        // Replace, and the namespace is held by the new source.
        const replaced = await counted(`replace (${field})`, () => up(host, state, { ...withNs, ...change }));
        expect(calls[`replace (${field})`]).toEqual(
          first ? ["revoke", "list", "register"] : ["list", "register", "revoke"],
        );
        expect(replaced.state.id).not.toBe(state.id);
        expect(replaced.state.outputs).toMatchObject({ status: "active", appNamespace: `ns_${field}` });
        await destroy(host, replaced.state);
      },
    );
  });

  it("shows health drift on refresh, plans an update, and heals once the server is back", async () => {
    const sb = "sb_drift";
    const server = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
    try {
      const p = program(sb, { baseUrl: server.url });
      let { state } = await up(host, undefined, p);

      // The MCP server stops: refresh re-tests health and records the error.
      await server.stop();
      const drifted = (await counted("read (server down)", () => refresh(host, state)))!;
      expect(drifted.outputs.status).toBe("error");
      expect(drifted.outputs.healthError).toEqual(expect.any(String));
      state = drifted;
      seenStates.push(state);

      // Diff: health drift is an update (so preview shows it and --expect-no-changes fails).
      const planned = await plan(host, state, p);
      expect(planned.step.op).toBe("update");

      // The server comes back: the update re-tests and heals.
      await server.start();
      const healed = await counted("update (heal health drift)", () => up(host, state, p));
      expect(healed.state.outputs).toMatchObject({ status: "active", healthError: null });
      await destroy(host, healed.state);
    } finally {
      await server.close();
    }
  });

  it("reverts a base_url changed out of band", async () => {
    const sb = "sb_oob_patch";
    const p = program(sb);
    let { state } = await up(host, undefined, p);

    // Someone PATCHes base_url straight at Copass.
    const elsewhere = mcp.url.replace("/mcp", "/elsewhere");
    const patched = await api("PATCH", `/${sb}/sources/${state.id}/user-mcp`, { base_url: elsewhere });
    expect(patched.status).toBe(200);

    // Read: the stored inputs now say what the server has…
    state = (await refresh(host, state))!;
    seenStates.push(state);
    expect(state.inputs.baseUrl).toBe(elsewhere);

    // …so the next Diff against the program plans an update that puts it back.
    const planned = await plan(host, state, p);
    expect(planned.step.op).toBe("update");
    const reverted = await up(host, state, p);
    expect(reverted.state.outputs.baseUrl).toBe(mcp.url);
    const source = (await api("GET", `/${sb}/sources/${state.id}`)).body;
    expect(source.adapter_config.base_url).toBe(mcp.url);
    await destroy(host, reverted.state);
  });

  it("re-registers a source revoked out of band", async () => {
    const sb = "sb_oob_revoke";
    const p = program(sb);
    const { state } = await up(host, undefined, p);
    expect((await api("POST", `/${sb}/sources/${state.id}/user-mcp/revoke`)).status).toBe(200);

    // Read: the source is still there, disconnected (terminal)…
    const read = await counted("read (revoked out of band)", () => refresh(host, state));
    expect(read?.id).toBe(state.id);
    expect(read!.outputs.status).toBe("disconnected");

    // …so the next up plans to register it again: a replacement, shown in the preview.
    const planned = await plan(host, read, p);
    expect(planned.step.op).toBe("replace");
    const again = await counted("replace (re-register after revoke)", () => up(host, read, p));
    expect(again.state.id).not.toBe(state.id);
    expect(again.state.outputs.status).toBe("active");
    await destroy(host, again.state);
  });

  it("forgets a source deleted out of band (404 on read)", async () => {
    const sb = "sb_oob_delete";
    const { state } = await up(host, undefined, program(sb));
    await api("POST", `/${sb}/sources/${state.id}/user-mcp/revoke`);
    expect((await api("DELETE", `/${sb}/sources/${state.id}`)).status).toBeLessThan(300);
    const read = await counted("read (deleted out of band)", () => refresh(host, state));
    expect(read).toBeUndefined();
    // Deleting what is already gone counts as deleted.
    await destroy(host, state);
  });

  it("deletes the row too under deletionPolicy delete", async () => {
    const sb = "sb_delete_policy";
    const { state } = await up(host, undefined, program(sb, { deletionPolicy: "delete" }));
    await counted("delete (deletionPolicy delete)", () => destroy(host, state));
    expect((await api("GET", `/${sb}/sources/${state.id}`)).status).toBe(404);
    await destroy(host, state);
  });

  it("adopts an existing source by appNamespace instead of registering a duplicate", async () => {
    const sb = "sb_adopt";
    const existing = await api("POST", `/${sb}/sources/user-mcp`, {
      name: "made by hand",
      base_url: mcp.url,
      auth_kind: "bearer",
      token: TOKEN,
      app_namespace: "crm_adopt",
    });
    expect(existing.status).toBe(200);
    const id = existing.body.data_source_id as string;

    const p = program(sb, { appNamespace: "crm_adopt", adoptExisting: true });
    const { state } = await counted("create (adopt)", () => up(host, undefined, p));
    expect(state.id).toBe(id);
    expect(state.outputs).toMatchObject({ name: "CRM tools", status: "active", appNamespace: "crm_adopt" });
    const list = (await api("GET", `/${sb}/sources`)).body;
    expect(list.sources.filter((s: Json) => s.status === "active")).toHaveLength(1);
    await destroy(host, state);
  });

  describe("check", () => {
    const long = (n: number) => "x".repeat(n);
    it.each<[string, Props]>([
      ["sandboxId", { sandboxId: "" }],
      ["name", { name: "" }],
      ["name", { name: long(256) }],
      ["baseUrl", { baseUrl: "http://mcp.example.com/mcp" }],
      ["baseUrl", { baseUrl: "https://mcp.example.com/mcp/" }],
      // The password is one of ALL_SECRETS, so the scan below can see it.
      // mutation: client/url.ts's userinfo message quotes the URL → this case fails
      ["baseUrl", { baseUrl: `https://user:${URL_PASSWORD}@mcp.example.com/mcp` }],
      ["baseUrl", { baseUrl: "not a url" }],
      ["authKind", { authKind: "basic" }],
      ["token", { token: undefined }],
      ["token", { authKind: "none" }],
      ["authHeader", { authKind: "header_token" }],
      ["authHeader", { authKind: "header_token", authHeader: "bad header" }],
      ["appNamespace", { appNamespace: "has space" }],
      ["appNamespace", { appNamespace: long(65) }],
      ["allowedTools", { allowedTools: ["a", "a"] }],
      ["allowedTools", { allowedTools: [""] }],
      ["ingestToolCalls", { ingestToolCalls: [{ arguments: {} }] }],
      ["rateCapPerMinute", { rateCapPerMinute: 0 }],
      ["rateCapPerMinute", { rateCapPerMinute: 601 }],
      ["rateCapPerMinute", { rateCapPerMinute: 1.5 }],
      ["webhookRateCapPerMinute", { webhookRateCapPerMinute: 6001 }],
      ["healthPolicy", { healthPolicy: "maybe" }],
      ["healthTimeoutSeconds", { healthTimeoutSeconds: 3601 }],
      ["healthCheckOnRefresh", { healthCheckOnRefresh: "yes" }],
      ["deletionPolicy", { deletionPolicy: "archive" }],
      ["appNamespace", { adoptExisting: true }],
    ])("rejects a bad %s (%j) naming the property, without the secret, offline", async (property, change) => {
      const before = emulator.requestLog().length;
      const err = await plan(host, undefined, program("sb_check", change)).catch((e) => e);
      expect(emulator.requestLog().length).toBe(before);
      expect(err).toBeInstanceOf(CheckFailed);
      const failures = (err as CheckFailed).failures;
      seenErrors.push(...failures.map((f) => f.reason));
      // A value that may hold a credential is refused on the resource (property ""), so the engine
      // prints no value beside it (issue 22); its reason still starts with the property.
      const failure = failures.find(
        (f) => f.property === property || (f.property === "" && f.reason.startsWith(`${property} `)),
      );
      expect(failure, JSON.stringify(failures)).toBeDefined();
      expect(failure!.reason.toLowerCase()).toContain(property.toLowerCase());
      for (const s of ALL_SECRETS) expect(JSON.stringify(failures)).not.toContain(s);
    });

    it("takes a null token (a secret Output that resolved to undefined) as no token", async () => {
      // resource.ts wraps token in pulumi.secret; an Output resolving to undefined then reaches
      // the engine as a secret null, which the provider receives as plain null.
      const planned = await plan(host, undefined, program("sb_check", { authKind: "none", token: null }));
      expect(planned.step.op).toBe("create");
      expect(planned.inputs).not.toHaveProperty("token");
    });

    it("lets unknown values (computed by another resource during preview) pass", async () => {
      const planned = await plan(
        host,
        undefined,
        program("sb_check", { baseUrl: unknownValue, token: unknownValue }),
      );
      expect(planned.step.op).toBe("create");
    });
  });

  /*
   * The host does hold the key here, under a misspelt config key (config keys are case-sensitive,
   * so `copass:apikey` is no key), so the scan of its output and message can see a leak.
   * mutation: provider.configure writes `JSON.stringify(req.config)` to stderr → this test fails
   * (it passed before: that host had never been given the key).
   */
  it("fails clearly without an API key, naming both ways to set it", async () => {
    const bare = await startHost(consumer, { providerText: host.providerText });
    try {
      await bare.configure({ "copass:apiUrl": emulator.url, "copass:apikey": secret(API_KEY) });
      const checked = await bare.check({}, program("sb_nokey"));
      const err = await bare.create(checked.inputs).catch((e) => e);
      expect(err).toBeInstanceOf(HostError);
      seenErrors.push((err as HostError).details);
      expect((err as HostError).details).toContain("copass:apiKey");
      expect((err as HostError).details).toContain("COPASS_API_KEY");
      const out = bare.output();
      for (const secretValue of ALL_SECRETS) expect(out.stdout + out.stderr).not.toContain(secretValue);
    } finally {
      await bare.kill();
    }
  });

  /*
   * Error answers that repeat the request's API key and token (the emulator's echoSecrets), on
   * every operation: each step fails naming the status, with both cut out. They feed the scan
   * below, which can then fail.
   * mutation: src/redact.ts `redact` returns its input unchanged → this test and the scan fail.
   */
  it("error answers that echo the API key and the token, on every operation, never reach a message", async () => {
    const sb = "sb_echoed_errors";
    const echo = (operation: string) =>
      emulator.faults.inject({
        operation,
        pathIncludes: `/${sb}/`,
        action: { kind: "status", status: 500, echoSecrets: true },
        times: Infinity,
      });
    const failing = async (operation: string, step: () => Promise<unknown>): Promise<string> => {
      echo(operation);
      try {
        const error = await counted(`${operation} (echoing 500)`, step).then(
          () => {
            throw new Error(`expected the ${operation} step to fail`);
          },
          (e: unknown) => e as Error,
        );
        // The echoed text reached the message (so the scan can fail), minus the secrets.
        expect(error.message).toContain("Authorization: Bearer [redacted]");
        return error.message;
      } finally {
        emulator.faults.reset();
      }
    };

    const withNs = program(sb, { appNamespace: "crm_echo", deletionPolicy: "delete" });
    expect(await failing("list", () => up(host, undefined, program(sb)))).toContain("500");
    expect(await failing("register", () => up(host, undefined, withNs))).toContain("token [redacted]");
    const { state } = await up(host, undefined, withNs);
    await failing("get", () => refresh(host, state));
    await failing("test", () => refresh(host, state));
    expect(await failing("patch", () => up(host, state, { ...withNs, token: ROT_NEW }))).toContain(
      "token [redacted]",
    );
    await failing("revoke", () => destroy(host, state));
    await failing("delete", () => destroy(host, state));
    await destroy(host, state);
    expect((await api("GET", `/${sb}/sources/${state.id}`)).status).toBe(404);
  });

  // Leak scan (DESIGN §6): runs last, over everything the tests above produced.
  // mutation: src/redact.ts `redact` returns its input unchanged → this scan fails (it passed before);
  // so does removing the healthError scrubs of provider.ts and health-wait.ts (echoing probes).
  it("never leaks the token or the API key", () => {
    const out = host.output();
    for (const s of ALL_SECRETS) {
      expect(out.stdout, "host stdout").not.toContain(s);
      expect(out.stderr, "host stderr").not.toContain(s);
      for (const message of seenErrors) expect(message).not.toContain(s);
    }
    expect(seenStates.length).toBeGreaterThan(5);
    for (const state of seenStates) {
      for (const s of ALL_SECRETS) expect(state.id).not.toContain(s);
      expect(JSON.stringify(state)).not.toContain(API_KEY);
      for (const [key, value] of Object.entries(state.outputs)) {
        if (key === "token") continue;
        for (const s of ALL_SECRETS) expect(JSON.stringify(value), `output ${key}`).not.toContain(s);
      }
    }
    // The API-call count of each step, for the closing note.
    console.log(
      "API calls per lifecycle step:\n" +
        Object.entries(calls)
          .map(([step, ops]) => `  ${step}: ${ops.length} ${ops.length ? `(${ops.join(", ")})` : ""}`)
          .join("\n"),
    );
  });
});
