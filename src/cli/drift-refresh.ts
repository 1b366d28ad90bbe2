/**
 * `pulumi-copass drift`, the Pulumi side: a refresh preview of the user's stack through Pulumi's
 * Automation API (a `LocalWorkspace` on their project, the `pulumi` CLI from PATH), collecting the
 * engine events. A preview never writes the stack's state; this module adds two read-only calls
 * (`pulumi version`, `pulumi stack ls`) and nothing else.
 *
 * `@pulumi/pulumi` is a peer dependency: it is loaded here, lazily, so `pulumi-copass import` and
 * `--help` work without it and a missing one is a clear error rather than a crash at startup.
 */
import type * as automation from "@pulumi/pulumi/automation";
import type { EngineEventLike } from "./drift-classify";

/** A failure before or around the preview, worded for the user (never a secret: no values here). */
export class DriftError extends Error {
  override name = "DriftError";
}

export interface RefreshRequest {
  /** The Pulumi project folder (holding Pulumi.yaml). */
  cwd: string;
  /** The stack; the project's selected stack when absent. */
  stack?: string;
  /** Each engine event as it arrives (progress). */
  onEvent?: (event: EngineEventLike) => void;
}

export interface RefreshResult {
  stack: string;
  /** When the stack's state was last written, as `pulumi stack ls` says (ISO 8601), if known. */
  stateAsOf: string | null;
  events: EngineEventLike[];
  /** Pulumi's own error when the preview failed (a source's read, or the engine); null when it passed. */
  failure: string | null;
}

type Automation = typeof automation;

/**
 * Set over the user's environment for every pulumi command drift runs. PULUMI_SKIP_CONFIRMATIONS
 * (common in CI) turns on `--yes`, and the CLI refuses `--yes` with `--preview-only` ("cannot be
 * used together", pulumi 3.274.1 cmd/pulumi/operations/io.go): a preview needs no confirmation.
 */
const PREVIEW_ENV = { PULUMI_SKIP_CONFIRMATIONS: "false" };

function loadAutomation(): Automation {
  try {
    return require("@pulumi/pulumi/automation") as Automation;
  } catch {
    throw new DriftError(
      "@pulumi/pulumi is not installed next to pulumi-copass: drift runs Pulumi's Automation API from it. " +
        "Install it in the project (npm install @pulumi/pulumi), as a Pulumi program in TypeScript has it",
    );
  }
}

/** The CLI's stderr of a failed command (CommandError keeps it on a field its type hides). */
function stderrOf(err: unknown): string {
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
      throw new DriftError(
        "the pulumi CLI was not found on PATH: install it (https://www.pulumi.com/docs/iac/download-install/) " +
          "or put the folder that holds it on PATH",
      );
    }
    throw new DriftError(`the pulumi CLI on PATH cannot be used: ${pulumiMessage(stderr)}`);
  }
}

/**
 * The workspace as `Stack.select` sees it, minus the selection: `Stack.select` runs
 * `pulumi stack select`, which would switch the user's current stack (their next `pulumi up` would
 * go to the stack drift looked at). Every command the Stack runs passes `--stack` anyway, and the
 * stack's existence is checked before (`pulumi stack ls`). Everything else is the workspace's own
 * (the prototype chain), so `instanceof LocalWorkspace` and its settings hold.
 */
function withoutSelecting(ws: automation.LocalWorkspace): automation.LocalWorkspace {
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

export async function refreshPreview(req: RefreshRequest): Promise<RefreshResult> {
  const auto = loadAutomation();
  const pulumiCommand = await pulumiOnPath(auto);
  let ws: automation.LocalWorkspace;
  let stacks: automation.StackSummary[];
  let project: string;
  try {
    ws = await auto.LocalWorkspace.create({ workDir: req.cwd, pulumiCommand, envVars: PREVIEW_ENV });
    stacks = await ws.listStacks();
    project = (await ws.projectSettings()).name;
  } catch (err) {
    throw new DriftError(
      `cannot list the stacks of the project in ${req.cwd}: ${pulumiMessage(stderrOf(err))}`,
    );
  }
  const chosen =
    req.stack === undefined ? stacks.find((s) => s.current) : findStack(stacks, req.stack, project);
  // A qualified name (org/project/stack) that `stack ls` lists in another form goes to Pulumi as
  // given: the refresh itself says whether it exists.
  const qualified = req.stack?.includes("/") === true;
  if (!chosen && !qualified) {
    const names = stacks.map((s) => s.name);
    const known = names.length > 0 ? `its stacks: ${names.join(", ")}` : "it has no stack yet";
    throw new DriftError(
      req.stack === undefined
        ? `no stack is selected in ${req.cwd} (${known}): pass --stack NAME`
        : `no stack named ${JSON.stringify(req.stack)} in the project in ${req.cwd} (${known}): check --stack`,
    );
  }
  const name = req.stack ?? (chosen as automation.StackSummary).name;
  const stack = await auto.Stack.select(name, withoutSelecting(ws));
  const events: EngineEventLike[] = [];
  let failure: string | null = null;
  try {
    await stack.previewRefresh({
      color: "never",
      onEvent: (event) => {
        const like = event as EngineEventLike;
        events.push(like);
        req.onEvent?.(like);
      },
    });
  } catch (err) {
    failure = pulumiMessage(stderrOf(err));
  }
  return { stack: name, stateAsOf: chosen?.lastUpdate ?? null, events, failure };
}
