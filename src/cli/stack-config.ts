/**
 * Where `pulumi-copass import` reads its settings (issue 25 §3): inside a Pulumi project, the
 * selected stack's (or `--stack`'s) copass:* config, as `pulumi up` and `drift` read it, through
 * the pulumi CLI (secrets decrypted in memory only); the caller falls back to the COPASS_*
 * variables for each setting the stack leaves unset, as the provider does (resolveSettings).
 * Outside a project, or in one with no stack selected, the environment alone.
 */
import { readConfigValues, type ConfigValues } from "../provider/config";
import {
  PulumiStackError,
  chooseStack,
  findProjectDir,
  projectStacks,
  pulumiMessage,
  stderrOf,
} from "./pulumi-stack";

export type StackSettings =
  | { kind: "no-project" }
  | { kind: "no-stack"; dir: string }
  | { kind: "stack"; dir: string; stack: string; values: ConfigValues };

/** The copass:* config of the stack of the project `cwd` is in (see the header). */
export async function readStackSettings(cwd: string, stack?: string): Promise<StackSettings> {
  const dir = findProjectDir(cwd);
  if (dir === undefined) {
    if (stack === undefined) return { kind: "no-project" };
    throw new PulumiStackError(
      `--stack needs a Pulumi project, and there is no Pulumi.yaml in ${cwd} or above it: run import in the project's folder`,
    );
  }
  const project = await projectStacks(
    dir,
    "import reads the stack's copass:* config through Pulumi's Automation API",
  );
  const { ws, stacks } = project;
  if (stack === undefined && !stacks.some((s) => s.current)) return { kind: "no-stack", dir };
  const { name } = chooseStack(project, dir, stack);
  let config;
  try {
    // One `pulumi config --show-secrets --json`; only the copass:* values are kept.
    config = await ws.getAllConfig(name);
  } catch (err) {
    throw new PulumiStackError(
      `cannot read the config of stack ${name} in ${dir}: ${pulumiMessage(stderrOf(err))}`,
    );
  }
  return { kind: "stack", dir, stack: name, values: readConfigValues({ get: (key) => config[key]?.value }) };
}
