/**
 * Runs the Python and Go consumers (test/languages/python/program.py, test/languages/go) and
 * decodes the one JSON line each prints. Both take the same input and print the same shape.
 */
import * as path from "node:path";
import { repoRoot, run } from "../support/pulumi-host";

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
