/**
 * One lifecycle of a program on the `copass` plugin through the real Pulumi CLI, against the
 * emulator and a real MCP server, whatever the language and however the plugin got there: preview,
 * up, a no-op preview, an MCP outage caught by refresh, the healing up, a token rotation and
 * destroy, with `stack export` (and everything the program printed) holding tokens and the API key
 * only as ciphertext throughout. test/languages runs it with the npm-installed plugin,
 * test/dist with the release's executable and no `node` on PATH.
 *
 * A language plugs in through a `Program`: how to run one step, how to pass a new token, how to
 * read the state. The steps share one stack and run in order; each `it` names the step it checks.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { API_KEY, ROTATED, SECRETS, SECRET_SIG, TOKEN, findSource, listSources } from "../e2e/fixtures";
import type { Action } from "./consumers";

export interface StepResult {
  ok: boolean;
  /** What the CLI printed for the step (the plan, the diff); error text included. */
  output: string;
}

/** Where the program's resource points; `token` is the first one, `ROTATED` comes later. */
export interface Target {
  emulatorUrl: string;
  apiKey: string;
  sandboxId: string;
  mcpUrl: string;
  token: string;
}

export interface Program {
  run(action: Action): Promise<StepResult>;
  /** From now on the program passes this token (a rotation). */
  setToken(token: string): Promise<void>;
  /** `pulumi stack export` of the program's stack. */
  exportState(): Promise<string>;
  /** Every text the CLI and the program printed so far, for the leak scan. */
  printed(): string[];
  close(): Promise<void>;
}

export interface LifecycleOptions {
  title: string;
  /** Why it cannot run here ("" when it can): the describe reports itself skipped with it. */
  skip: string;
  sandboxId: string;
  /** Builds or reuses what the program needs and sets up its stack; may take long on a cold machine. */
  start(target: Target): Promise<Program>;
  /** More steps of the caller's, run after the first `up` (how the plugin got there, for one). */
  afterUp?: { title: string; check: () => Promise<void> }[];
}

export function describeLifecycle(opts: LifecycleOptions): void {
  describe.skipIf(opts.skip !== "")(`${opts.title}${opts.skip ? ` (skipped: ${opts.skip})` : ""}`, () => {
    const sandbox = opts.sandboxId;
    let emulator: Emulator;
    let mcp: SampleMcpServer;
    let program: Program;

    async function expectOk(action: Action): Promise<StepResult> {
      const r = await program.run(action);
      expect(r.ok, `${action}:\n${r.output}`).toBe(true);
      return r;
    }

    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the engine's JSON checkpoint
    async function exported(): Promise<{ text: string; source: any }> {
      const text = await program.exportState();
      return { text, source: findSource(JSON.parse(text)) };
    }

    /**
     * No token (or the API key) in plaintext in the state, nor in anything printed. Mutation: the
     * Go program printing secret outputs unmasked (`_ = masked`) fails up, rotation and destroy.
     */
    async function expectNoPlaintextSecrets(): Promise<void> {
      const { text } = await exported();
      for (const s of SECRETS) {
        expect(text).not.toContain(s);
        for (const p of program.printed()) expect(p).not.toContain(s);
      }
    }

    beforeAll(async () => {
      emulator = await startEmulator({ apiKeys: [API_KEY] });
      mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
      program = await opts.start({
        emulatorUrl: emulator.url,
        apiKey: API_KEY,
        sandboxId: sandbox,
        mcpUrl: mcp.url,
        token: TOKEN,
      });
    }, 3_600_000);

    afterAll(async () => {
      await program?.close();
      await mcp?.close();
      await emulator?.close();
    });

    it("preview plans the create through the plugin, and calls Copass for nothing", async () => {
      const before = emulator.requestLog().length;
      const r = await expectOk("preview");
      expect(r.output).toMatch(/\+ copass:index:UserMcpSource: \(create\)/);
      expect(r.output).toMatch(/token\s*:\s*\[secret\]/);
      expect(emulator.requestLog().length).toBe(before);
    });

    it("up registers the source once; state holds the token only as ciphertext", async () => {
      await expectOk("up");
      const sources = await listSources(emulator, sandbox);
      expect(sources.map((s) => s.status)).toEqual(["active"]);
      const { source } = await exported();
      expect(source.id).toBe(`${sandbox}/${sources[0]!.data_source_id}`);
      expect(source.outputs.status).toBe("active");
      expect(source.outputs.token[SECRET_SIG]).toBeDefined(); // the secret envelope, with ciphertext
      await expectNoPlaintextSecrets();
    });

    for (const { title, check } of opts.afterUp ?? []) it(title, check);

    it("a second preview expects no changes, and sees none", async () => {
      await expectOk("preview-expect-no-changes");
    });

    it("an MCP outage is caught by refresh, and the next up heals it", async () => {
      await mcp.stop();
      await expectOk("refresh");
      expect((await exported()).source.outputs.status).toBe("error");
      const drift = await program.run("preview-expect-no-changes");
      expect(drift.ok, drift.output).toBe(false);

      await mcp.start();
      await expectOk("up");
      expect((await exported()).source.outputs.status).toBe("active");
    });

    it("a token rotation previews as an update of token, masked, and up applies it in place", async () => {
      await mcp.close();
      mcp = await startMcpServer({ auth: { kind: "bearer", token: ROTATED }, port: mcp.port });
      await program.setToken(ROTATED);
      const preview = await expectOk("preview");
      expect(preview.output).toMatch(/~ copass:index:UserMcpSource: \(update\)/);
      expect(preview.output).toMatch(/~ token\s*: \[secret\] => \[secret\]/);
      const id = (await listSources(emulator, sandbox))[0]!.data_source_id;
      await expectOk("up");
      const sources = await listSources(emulator, sandbox);
      expect(sources.map((s) => [s.data_source_id, s.status])).toEqual([[id, "active"]]);
      await expectNoPlaintextSecrets();
    });

    it("destroy revokes the source and leaves it out of the state", async () => {
      await expectOk("destroy");
      const statuses = (await listSources(emulator, sandbox)).map((s) => s.status);
      expect(statuses).toEqual(["disconnected"]);
      expect((await exported()).source).toBeUndefined();
      await expectNoPlaintextSecrets();
    });
  });
}
