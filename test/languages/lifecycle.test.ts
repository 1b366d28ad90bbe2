/**
 * The Python and Go programs of issue 16 through the real Pulumi CLI and the `copass` plugin
 * installed as the README's fallback says (`npm install --global` of the packed package, found on
 * PATH), the lifecycle of lifecycle.ts. Each program is an Automation API inline program on the
 * committed SDK (sdk/python in a venv, sdk/go/copass compiled in); the provider's config comes from
 * COPASS_API_URL and COPASS_API_KEY, the plugin's fallbacks. test/dist runs the same programs on
 * the release's executable, with no `node` on PATH.
 */
import { mkdtemp } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { inject } from "vitest";
import { startCli } from "../e2e/cli";
import { consumerProgram, type Language } from "./consumers";
import { describeLifecycle } from "./lifecycle";
import { cliBin, goConsumer, pythonSkipReason, pythonVenv } from "./toolchain";

const pluginBin = inject("e2ePluginBin");

for (const language of ["python", "go"] as Language[]) {
  describeLifecycle({
    title: `the ${language} program through the real Pulumi CLI and the npm-installed copass plugin`,
    // Without Go nothing is built (the e2e setup says why); without Python the Go program still runs.
    skip: inject("e2eSkip") || (language === "python" ? pythonSkipReason() : ""),
    sandboxId: `sb_lang_${language}`,
    async start(target) {
      const tools = await cliBin();
      const exe = language === "python" ? (await pythonVenv()).path : (await goConsumer()).path;
      const workDir = await mkdtemp(path.join(os.tmpdir(), `copass-lang-${language}-`));
      const cli = await startCli(tools.bin, workDir);
      const env = { ...cli.env, PATH: `${pluginBin}${path.delimiter}${cli.env.PATH ?? ""}` };
      return consumerProgram({ language, exe, cli, env, workDir, target });
    },
  });
}
