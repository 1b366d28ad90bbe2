/**
 * Issue 15 §1 as a new user meets it, through the real Pulumi CLI: examples/basic with its
 * credentials in the environment (the way examples/gitops sets them), then `refresh`, `destroy`
 * and `pulumi-copass drift` with COPASS_API_URL pointing at another Copass, or COPASS_API_KEY of
 * another tenant. Before the fix, `refresh` printed `- crm deleted` and the stack forgot a source
 * that stayed active, token and all; `destroy` "succeeded" and left it active.
 *
 * Environment values are read when the provider runs, so they reach a refresh and a destroy (stack
 * config values would not: the engine configures the provider from the config recorded in state).
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { run } from "../support/pulumi-host";
import { startCli, type Cli } from "./cli";
import { API_KEY, SECRETS, TOKEN, findSource, listSources, ok } from "./fixtures";

const bin = inject("e2eBin");
const skip = inject("e2eSkip");
const project = inject("e2eProject");
const SANDBOX = "sb_e2e_trust";
const STACK = "trust";
/** A valid key of another tenant at the same Copass. */
const OTHER_KEY = "olk_E2E_other_tenant_6b2e91";

/** The Copass the stack uses. */
let home: Emulator;
/** Another Copass environment (staging, say): same key, none of the stack's sources. */
let elsewhere: Emulator;
let mcp: SampleMcpServer;
let cli: Cli;
let stateBefore = "";

/**
 * The stack's resources as state records them, secrets' ciphertexts masked: a failed destroy still
 * saves a checkpoint (a new manifest time), and the engine encrypts every secret again with a fresh
 * nonce, so those bytes change while nothing the stack knows does.
 */
async function exportState(): Promise<string> {
  const exported = JSON.parse(await ok(cli, ["stack", "export", "--stack", STACK])) as {
    deployment: { resources?: unknown[] };
  };
  return JSON.stringify(exported.deployment.resources ?? [], null, 1).replace(
    /"ciphertext": "[^"]*"/g,
    '"ciphertext": "…"',
  );
}
const homeEnv = () => ({ COPASS_API_URL: home.url, COPASS_API_KEY: API_KEY });

/** The stack's one source at the home Copass, as its owner sees it. */
async function homeSource() {
  const sources = await listSources(home, SANDBOX);
  expect(sources).toHaveLength(1);
  return sources[0]!;
}

describe.skipIf(skip !== "")(
  `a stack never judges its sources from another endpoint or tenant (real CLI)${skip ? ` (skipped: ${skip})` : ""}`,
  () => {
    beforeAll(async () => {
      home = await startEmulator({ apiKeys: [API_KEY, OTHER_KEY] });
      elsewhere = await startEmulator({ apiKeys: [API_KEY, OTHER_KEY] });
      mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
      cli = await startCli(bin, project);
      // examples/basic's config, the provider's credentials only in the environment.
      await ok(cli, ["stack", "init", STACK]);
      await ok(cli, ["config", "set", "sandboxId", SANDBOX]);
      await ok(cli, ["config", "set", "mcpUrl", mcp.url]);
      await ok(cli, ["config", "set", "--secret", "crmMcpToken", TOKEN]);
      const up = await cli.pulumi(["up", "--yes"], { env: homeEnv() });
      expect(up.code, up.stdout + up.stderr).toBe(0);
      expect((await homeSource()).status).toBe("active");
      stateBefore = await exportState();
      expect(findSource({ deployment: { resources: JSON.parse(stateBefore) } }).outputs.apiEndpoint).toBe(
        home.url,
      );
    });

    afterAll(async () => {
      await cli?.close();
      await mcp?.close();
      await home?.close();
      await elsewhere?.close();
    });

    it.each([
      ["refresh", ["refresh", "--yes"]],
      ["destroy", ["destroy", "--yes"]],
    ])(
      "%s with COPASS_API_URL of another Copass fails naming both endpoints; state and both Copasses unchanged",
      async (_name, args) => {
        // mutation: `placement` in location.ts always allowing → refresh prints "- crm deleted" and
        // destroy succeeds, leaving the source active at home: this test fails.
        const r = await cli.pulumi(args, { env: { ...homeEnv(), COPASS_API_URL: elsewhere.url } });
        expect(r.code, r.stdout + r.stderr).not.toBe(0);
        const out = r.stdout + r.stderr;
        expect(out).toContain(`state records this source at ${home.url}`);
        expect(out).toContain(`the provider now points at ${elsewhere.url}`);
        expect(out).not.toMatch(/crm deleted/);
        expect(await exportState()).toBe(stateBefore);
        expect((await homeSource()).status).toBe("active");
        expect(elsewhere.requestLog()).toEqual([]);
      },
    );

    it("refresh with another tenant's key fails: the sandbox is not visible, nothing is forgotten", async () => {
      // mutation: confirmGone treating a 404 listing as "gone" → refresh drops the source: fails here.
      const r = await cli.pulumi(["refresh", "--yes"], { env: { ...homeEnv(), COPASS_API_KEY: OTHER_KEY } });
      expect(r.code, r.stdout + r.stderr).not.toBe(0);
      expect(r.stdout + r.stderr).toContain(`sandbox ${SANDBOX} is not visible with this API key`);
      expect(await exportState()).toBe(stateBefore);
      expect((await homeSource()).status).toBe("active");
    });

    it("pulumi-copass drift with another Copass says cannot verify (exit 22), never gone", async () => {
      const drift = await run(
        path.join(project, "node_modules", ".bin", "pulumi-copass"),
        ["drift", "--stack", STACK, "--format", "json"],
        { cwd: project, env: { ...cli.env, ...homeEnv(), COPASS_API_URL: elsewhere.url } },
      );
      cli.outputs.push(drift.stdout, drift.stderr);
      expect(drift.code, drift.stdout + drift.stderr).toBe(22);
      const report = JSON.parse(drift.stdout) as { sources: { state: string; message: string }[] };
      expect(report.sources).toHaveLength(1);
      expect(report.sources[0]!.state).toBe("cannot verify");
      expect(report.sources[0]!.message).toContain(`the provider now points at ${elsewhere.url}`);
      expect(await exportState()).toBe(stateBefore);
    });

    it("a refresh whose GET answer echoes the key fails with the key redacted", async () => {
      // Gives the scan below something to catch: this answer's detail quotes the request's API key.
      home.faults.inject({
        operation: "get",
        times: Infinity,
        action: { kind: "status", status: 500, echoSecrets: true },
      });
      const r = await cli.pulumi(["refresh", "--yes"], { env: homeEnv() }).finally(() => home.faults.reset());
      expect(r.code, r.stdout + r.stderr).not.toBe(0);
      expect(r.stdout + r.stderr).toContain("[redacted]");
    });

    it("with the right endpoint and key, refresh keeps the source and destroy revokes it", async () => {
      const refreshed = await cli.pulumi(["refresh", "--yes"], { env: homeEnv() });
      expect(refreshed.code, refreshed.stdout + refreshed.stderr).toBe(0);
      expect(
        findSource({ deployment: { resources: JSON.parse(await exportState()) } }).outputs,
      ).toMatchObject({
        status: "active",
        apiEndpoint: home.url,
        tenantId: expect.stringMatching(/^usr_/),
      });
      const destroyed = await cli.pulumi(["destroy", "--yes"], { env: homeEnv() });
      expect(destroyed.code, destroyed.stdout + destroyed.stderr).toBe(0);
      expect((await homeSource()).status).toBe("disconnected");
    });

    it("no output of any command holds the API keys or the token", () => {
      // mutation: redact (src/redact.ts) returning its input → the echoed key above reaches the
      // CLI's output and this scan fails.
      for (const text of cli.outputs) {
        for (const secret of [...SECRETS, OTHER_KEY]) expect(text).not.toContain(secret);
      }
    });
  },
);
