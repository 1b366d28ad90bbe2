/**
 * A Pulumi project and its stacks as the `pulumi` CLI on PATH sees them, through Pulumi's
 * Automation API: what `drift` (a refresh preview, drift-refresh.ts) and `import` (the stack's
 * copass:* config, stack-config.ts) share. Nothing here selects a stack or writes state.
 *
 * `@pulumi/pulumi` is a peer dependency: it is loaded here, lazily, so `pulumi-copass import`
 * outside a project and `--help` work without it, and a missing one is a clear error rather than a
 * crash at startup.
 */
import { existsSync } from "node:fs";
import * as path from "node:path";
import type * as automation from "@pulumi/pulumi/automation";

/** A failure around the project or its stacks, worded for the user (never a secret: no values here). */
export class PulumiStackError extends Error {
  override name = "PulumiStackError";
}

export type Automation = typeof automation;

/** `purpose` ends the message for a missing @pulumi/pulumi: what the command needs it for. */
export function loadAutomation(purpose: string): Automation {
  try {
    return require("@pulumi/pulumi/automation") as Automation;
  } catch {
    throw new PulumiStackError(
      `@pulumi/pulumi is not installed next to pulumi-copass: ${purpose}. ` +
        "Install it in the project (npm install @pulumi/pulumi), as a Pulumi program in TypeScript has it",
    );
  }
}

/** The CLI's stderr of a failed command (CommandError keeps it on a field its type hides). */
export function stderrOf(err: unknown): string {
  const result = (err as { commandResult?: { stderr?: unknown } }).commandResult;
  if (typeof result?.stderr === "string") return result.stderr;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Pulumi's message in a failed command's stderr: its `error:` lines (the engine prints the reason
 * there), else the last non-empty line. One line; the caller redacts.
 */
export function pulumiMessage(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim());
  const errors = lines.filter((l) => l.startsWith("error: ")).map((l) => l.slice("error: ".length));
  const picked = errors.length > 0 ? errors : lines.filter((l) => l !== "").slice(-1);
  return [...new Set(picked)].join("; ") || "the pulumi command failed without a message";
}

async function pulumiOnPath(auto: Automation): Promise<automation.PulumiCommand> {
  try {
    return await auto.PulumiCommand.get();
  } catch (err) {
    const stderr = stderrOf(err);
    if (/ENOENT/.test(stderr)) {
      throw new PulumiStackError(
        "the pulumi CLI was not found on PATH: install it (https://www.pulumi.com/docs/iac/download-install/) " +
          "or put the folder that holds it on PATH",
      );
    }
    throw new PulumiStackError(`the pulumi CLI on PATH cannot be used: ${pulumiMessage(stderr)}`);
  }
}

/**
 * The folder of the Pulumi project `dir` is in: `dir` or the nearest parent holding Pulumi.yaml
 * (or Pulumi.yml), as the pulumi CLI finds it; undefined outside any project.
 */
export function findProjectDir(dir: string): string | undefined {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (existsSync(path.join(at, "Pulumi.yaml")) || existsSync(path.join(at, "Pulumi.yml"))) return at;
    if (path.dirname(at) === at) return undefined;
  }
}

export interface ProjectStacks {
  auto: Automation;
  ws: automation.LocalWorkspace;
  stacks: automation.StackSummary[];
  /** The project's name, from its Pulumi.yaml (no CLI call). */
  project: string;
}

/** The workspace of the project in `cwd` and its stacks (`pulumi stack ls`). */
export async function projectStacks(
  cwd: string,
  purpose: string,
  envVars: Record<string, string> = {},
): Promise<ProjectStacks> {
  const auto = loadAutomation(purpose);
  const pulumiCommand = await pulumiOnPath(auto);
  try {
    const ws = await auto.LocalWorkspace.create({ workDir: cwd, pulumiCommand, envVars });
    const stacks = await ws.listStacks();
    return { auto, ws, stacks, project: (await ws.projectSettings()).name };
  } catch (err) {
    throw new PulumiStackError(
      `cannot list the stacks of the project in ${cwd}: ${pulumiMessage(stderrOf(err))}`,
    );
  }
}

/**
 * The workspace as `Stack.select` sees it, minus the selection: `Stack.select` runs
 * `pulumi stack select`, which would switch the user's current stack (their next `pulumi up` would
 * go to the stack drift looked at). Every command the Stack runs passes `--stack` anyway, and the
 * stack's existence is checked before (`pulumi stack ls`). Everything else is the workspace's own
 * (the prototype chain), so `instanceof LocalWorkspace` and its settings hold.
 */
export function withoutSelecting(ws: automation.LocalWorkspace): automation.LocalWorkspace {
  const view = Object.create(ws) as automation.LocalWorkspace;
  view.selectStack = async () => {};
  return view;
}

/** A stack's full name, org/project/stack. */
type Qualified = readonly [org: string, project: string, stack: string];

/**
 * The org every stack of a DIY backend (file, s3, …) belongs to: Pulumi knows no other there
 * (pkg/backend/diy: a qualified name must start with it).
 */
const DIY_ORG = "organization";

/**
 * A listed stack's full name, from how `pulumi stack ls` writes it (the backends' reference
 * String()): `org/project/stack` as is; a Pulumi Cloud stack from its console URL
 * (`https://<console>/<org>/<project>/<stack>`), which Cloud lists and DIY backends do not; a DIY
 * stack's `stack` (always the current project's) under `organization`. Undefined when unknown.
 */
function qualifiedSummary(summary: automation.StackSummary, project: string): Qualified | undefined {
  const parts = summary.name.split("/");
  if (parts.length === 3) return parts as unknown as Qualified;
  if (summary.url) {
    const path = URL.canParse(summary.url) ? new URL(summary.url).pathname : "";
    const fromUrl = path.split("/").filter(Boolean).slice(-3);
    return fromUrl.length === 3 && fromUrl[2] === parts.at(-1)
      ? (fromUrl as unknown as Qualified)
      : undefined;
  }
  return parts.length === 1 ? [DIY_ORG, project, summary.name] : undefined;
}

/** A name given to --stack as a full name: `org/stack` is in the current project. */
function qualifiedName(name: string, project: string): Qualified | undefined {
  const parts = name.split("/");
  if (parts.length === 3) return parts as unknown as Qualified;
  return parts.length === 2 ? [parts[0]!, project, parts[1]!] : undefined;
}

/**
 * The summary of `name` among the stacks of the project named `project`: the same name, or the
 * same org, project and stack however each side writes it (`organization/copass-basic/prod` is a
 * DIY backend's `prod`). Never a stack of another org or project with the same last part (issue
 * 22: `otherorg/prod` took the local `prod`'s state date); undefined when it cannot be told.
 */
export function findStack(
  stacks: readonly automation.StackSummary[],
  name: string,
  project: string,
): automation.StackSummary | undefined {
  const exact = stacks.find((s) => s.name === name);
  const wanted = qualifiedName(name, project);
  if (exact || !wanted) return exact;
  return stacks.find((s) => qualifiedSummary(s, project)?.join("/") === wanted.join("/"));
}

/**
 * The stack a command works on: `stack` (as given), else the selected one; throws naming the
 * project's stacks and `--stack` when there is none.
 */
export function chooseStack(
  { stacks, project }: Pick<ProjectStacks, "stacks" | "project">,
  cwd: string,
  stack?: string,
): { name: string; summary?: automation.StackSummary } {
  const chosen = stack === undefined ? stacks.find((s) => s.current) : findStack(stacks, stack, project);
  // A qualified name (org/project/stack) that `stack ls` lists in another form goes to Pulumi as
  // given: the command itself says whether it exists.
  const qualified = stack?.includes("/") === true;
  if (!chosen && !qualified) {
    const names = stacks.map((s) => s.name);
    const known = names.length > 0 ? `its stacks: ${names.join(", ")}` : "it has no stack yet";
    throw new PulumiStackError(
      stack === undefined
        ? `no stack is selected in ${cwd} (${known}): pass --stack NAME`
        : `no stack named ${JSON.stringify(stack)} in the project in ${cwd} (${known}): check --stack`,
    );
  }
  return { name: stack ?? (chosen as automation.StackSummary).name, ...(chosen ? { summary: chosen } : {}) };
}
