/**
 * The Python and Go programs of issue 16 through the real Pulumi CLI and the `copass` plugin
 * (installed as the README says, `npm install --global` of the packed package, found on PATH),
 * against the emulator and a real MCP server: preview, up, a no-op preview, an MCP outage caught
 * by refresh, the healing up, a token rotation and destroy. `stack export` holds tokens only as
 * ciphertext throughout. Each program is an Automation API inline program using the SDK generated
 * from schema.json (test/languages/toolchain.ts); the provider's config comes from COPASS_API_URL
 * and COPASS_API_KEY, the plugin's fallbacks.
 *
 * The steps of one language share one stack and run in order; each `it` names the step it checks.
 */
import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { startCli, type Cli } from "../e2e/cli";
import { API_KEY, ROTATED, SECRETS, SECRET_SIG, TOKEN, findSource, listSources } from "../e2e/fixtures";
import { runConsumer, type Action, type ConsumerResult, type Language } from "./consumers";
import { cliBin, generateSdk, goConsumer, pythonSkipReason, pythonVenv } from "./toolchain";

const pluginBin = inject("e2ePluginBin");
const LANGUAGES: Language[] = ["python", "go"];

for (const language of LANGUAGES) {
  // Without Go nothing is built (the e2e setup says why); without Python the Go program still runs.
  const skip = inject("e2eSkip") || (language === "python" ? pythonSkipReason() : "");
  describe.skipIf(skip !== "")(
    `the ${language} program through the real Pulumi CLI and the copass plugin${skip ? ` (skipped: ${skip})` : ""}`,
    () => {
      const sandbox = `sb_lang_${language}`;
      let emulator: Emulator;
      let mcp: SampleMcpServer;
      let cli: Cli;
      let exe: string;
      let workDir: string;
      let token = TOKEN;
      /** Every result the program printed, for the leak scan. */
      const results: ConsumerResult[] = [];

      async function consumer(action: Action): Promise<ConsumerResult> {
        const env = {
          ...cli.env,
          PATH: `${pluginBin}${path.delimiter}${cli.env.PATH ?? ""}`,
          COPASS_API_URL: emulator.url,
          COPASS_API_KEY: API_KEY,
        };
        const input = {
          action,
          stack: language,
          workDir,
          projectName: `copass-${language}`,
          sandboxId: sandbox,
          name: "CRM tools",
          baseUrl: mcp.url,
          authKind: "bearer",
          token,
        };
        const r = await runConsumer(language, exe, input, env);
        results.push(r);
        return r;
      }

      async function expectOk(action: Action): Promise<ConsumerResult> {
        const r = await consumer(action);
        expect(r.ok, `${action}: ${r.error ?? ""}\n${r.stderr}`).toBe(true);
        return r;
      }

      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the engine's JSON checkpoint
      async function exported(): Promise<{ text: string; source: any }> {
        const r = await cli.pulumi(["stack", "export", "--stack", language]);
        expect(r.code, r.stderr).toBe(0);
        return { text: r.stdout, source: findSource(JSON.parse(r.stdout)) };
      }

      /**
       * No token (or the API key) in plaintext in the state, nor in anything the program printed.
       * Mutation: the Go program printing secret outputs unmasked (`_ = masked`) fails up, rotation
       * and destroy here.
       */
      async function expectNoPlaintextSecrets(): Promise<void> {
        const { text } = await exported();
        const printed = results.map((r) => JSON.stringify(r));
        for (const s of SECRETS) {
          expect(text).not.toContain(s);
          for (const p of printed) expect(p).not.toContain(s);
        }
      }

      beforeAll(async () => {
        const tools = await cliBin();
        const sdk = await generateSdk(tools);
        exe = language === "python" ? (await pythonVenv(sdk)).path : (await goConsumer(sdk)).path;
        emulator = await startEmulator({ apiKeys: [API_KEY] });
        mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
        workDir = await mkdtemp(path.join(os.tmpdir(), `copass-lang-${language}-`));
        cli = await startCli(tools.bin, workDir);
      }, 3_600_000);

      afterAll(async () => {
        await cli?.close();
        await mcp?.close();
        await emulator?.close();
        if (workDir) await rm(workDir, { recursive: true, force: true });
      });

      it("preview plans the create through the plugin, and calls Copass for nothing", async () => {
        const before = emulator.requestLog().length;
        const r = await expectOk("preview");
        expect(r.summary).toMatchObject({ create: 2 }); // the stack and the source
        expect(r.stdout).toMatch(/\+ copass:index:UserMcpSource: \(create\)/);
        expect(r.stdout).toMatch(/token\s*:\s*\[secret\]/);
        expect(emulator.requestLog().length).toBe(before);
      });

      it("up registers the source once; state holds the token only as ciphertext", async () => {
        const r = await expectOk("up");
        expect(r.summary).toMatchObject({ create: 2 });
        const sources = await listSources(emulator, sandbox);
        expect(sources.map((s) => s.status)).toEqual(["active"]);
        expect(r.outputs).toMatchObject({
          dataSourceId: sources[0]!.data_source_id,
          status: "active",
          token: "[secret]",
        });
        const { source } = await exported();
        expect(source.id).toBe(`${sandbox}/${sources[0]!.data_source_id}`);
        expect(source.outputs.token[SECRET_SIG]).toBeDefined(); // the secret envelope, with ciphertext
        await expectNoPlaintextSecrets();
      });

      it("a second preview expects no changes, and sees none", async () => {
        const r = await expectOk("preview-expect-no-changes");
        expect(r.summary).toEqual({ same: 2 });
      });

      it("an MCP outage is caught by refresh, and the next up heals it", async () => {
        await mcp.stop();
        await expectOk("refresh");
        expect((await exported()).source.outputs.status).toBe("error");
        const drift = await consumer("preview-expect-no-changes");
        expect(drift.ok).toBe(false);

        await mcp.start();
        await expectOk("up");
        expect((await exported()).source.outputs.status).toBe("active");
      });

      it("a token rotation previews as an update of token, masked, and up applies it in place", async () => {
        await mcp.close();
        mcp = await startMcpServer({ auth: { kind: "bearer", token: ROTATED }, port: mcp.port });
        token = ROTATED;
        const preview = await expectOk("preview");
        expect(preview.summary).toMatchObject({ update: 1 });
        expect(preview.stdout).toMatch(/~ copass:index:UserMcpSource: \(update\)/);
        expect(preview.stdout).toMatch(/~ token\s*: \[secret\] => \[secret\]/);
        const id = (await listSources(emulator, sandbox))[0]!.data_source_id;
        await expectOk("up");
        const sources = await listSources(emulator, sandbox);
        expect(sources.map((s) => [s.data_source_id, s.status])).toEqual([[id, "active"]]);
        await expectNoPlaintextSecrets();
      });

      it("destroy revokes the source and leaves it out of the state", async () => {
        const r = await expectOk("destroy");
        expect(r.summary).toMatchObject({ delete: 2 });
        const statuses = (await listSources(emulator, sandbox)).map((s) => s.status);
        expect(statuses).toEqual(["disconnected"]);
        expect((await exported()).source).toBeUndefined();
        await expectNoPlaintextSecrets();
      });
    },
  );
}
