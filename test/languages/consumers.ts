/**
 * Runs the Python and Go consumers (test/languages/python/program.py, test/languages/go) and
 * decodes the one JSON line each prints. Both take the same input and print the same shape.
 */
import { rm } from "node:fs/promises";
import * as path from "node:path";
import type { Cli } from "../e2e/cli";
import { repoRoot, run } from "../support/pulumi-host";
import type { Program, Target } from "./lifecycle";

export type Action = "preview" | "up" | "refresh" | "destroy" | "preview-expect-no-changes";

export interface ConsumerInput {
  action: Action;
  stack: string;
  /** Where the Automation API writes the project's Pulumi.yaml (a temporary folder). */
  workDir: string;
  projectName: string;
  sandboxId: string;
  name: string;
  baseUrl: string;
  authKind: string;
  /** Goes in as a secret; omitted when empty. */
  token?: string;
}

export interface ConsumerResult {
  action?: string;
  ok: boolean;
  /** Resource count per operation, as the engine reports it ("create", "same", …). */
  summary?: Record<string, number>;
  /** Stack outputs; each secret is "[secret]". */
  outputs?: Record<string, unknown>;
  stdout?: string;
  error?: string;
  /** The process's exit code and stderr, added here. */
  code: number | null;
  stderr: string;
}

export type Language = "python" | "go";

/**
 * Runs one action. `exe` is the venv's python (for "python") or the Go consumer's executable;
 * `env` carries PATH (pulumi and pulumi-resource-copass), the backend, the passphrase and COPASS_*.
 */
export async function runConsumer(
  language: Language,
  exe: string,
  input: ConsumerInput,
  env: NodeJS.ProcessEnv,
): Promise<ConsumerResult> {
  const json = JSON.stringify(input);
  const [cmd, args] =
    language === "python"
      ? [exe, [path.join(repoRoot, "test", "languages", "python", "program.py"), json]]
      : [exe, [json]];
  const r = await run(cmd, args, { cwd: input.workDir, env, timeoutMs: 600_000 });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  let parsed: Omit<ConsumerResult, "code" | "stderr">;
  try {
    parsed = JSON.parse(line) as typeof parsed;
  } catch {
    throw new Error(
      `the ${language} consumer printed no JSON line (exit ${r.code}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`,
    );
  }
  return { ...parsed, code: r.code, stderr: r.stderr };
}

/**
 * A consumer as a lifecycle's Program (lifecycle.ts): each step runs `exe` once with `env` (PATH
 * must reach pulumi and the plugin) plus the provider's settings, on the stack named after the
 * language in `cli`'s backend; `cli` also reads the state. close() removes `workDir`, the stack's
 * folder, and `cli`'s home.
 */
export function consumerProgram(opts: {
  language: Language;
  exe: string;
  cli: Cli;
  env: NodeJS.ProcessEnv;
  workDir: string;
  target: Target;
}): Program {
  const { language, exe, cli, workDir, target } = opts;
  const env = { ...opts.env, COPASS_API_URL: target.emulatorUrl, COPASS_API_KEY: target.apiKey };
  let token = target.token;
  const results: ConsumerResult[] = [];
  return {
    async run(action) {
      const input = {
        action,
        stack: language,
        workDir,
        projectName: `copass-${language}`,
        sandboxId: target.sandboxId,
        name: "CRM tools",
        baseUrl: target.mcpUrl,
        authKind: "bearer",
        token,
      };
      const r = await runConsumer(language, exe, input, env);
      results.push(r);
      return { ok: r.ok, output: `${r.stdout ?? ""}\n${r.error ?? ""}\n${r.stderr}` };
    },
    async setToken(next) {
      token = next;
    },
    async exportState() {
      const r = await cli.pulumi(["stack", "export", "--stack", language], { env });
      if (r.code !== 0) throw new Error(`pulumi stack export exited with ${r.code}\n${r.stderr}`);
      return r.stdout;
    },
    printed: () => results.map((r) => JSON.stringify(r)),
    async close() {
      await cli.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
