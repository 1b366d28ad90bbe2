/**
 * `pulumi-copass drift`, the Pulumi side: a refresh preview of the user's stack through Pulumi's
 * Automation API (a `LocalWorkspace` on their project, the `pulumi` CLI from PATH), collecting the
 * engine events. A preview never writes the stack's state; this module adds two read-only calls
 * (`pulumi version`, `pulumi stack ls`) and nothing else.
 *
 * The project, its stacks and the lazy load of `@pulumi/pulumi` are pulumi-stack.ts, shared with
 * `import`.
 */
import type { EngineEventLike } from "./drift-classify";
import { chooseStack, projectStacks, pulumiMessage, stderrOf, withoutSelecting } from "./pulumi-stack";

/** A failure before or around the preview, worded for the user: the shared PulumiStackError. */
export { PulumiStackError as DriftError, findStack, pulumiMessage } from "./pulumi-stack";

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

/**
 * Set over the user's environment for every pulumi command drift runs. PULUMI_SKIP_CONFIRMATIONS
 * (common in CI) turns on `--yes`, and the CLI refuses `--yes` with `--preview-only` ("cannot be
 * used together", pulumi 3.274.1 cmd/pulumi/operations/io.go): a preview needs no confirmation.
 */
const PREVIEW_ENV = { PULUMI_SKIP_CONFIRMATIONS: "false" };

export async function refreshPreview(req: RefreshRequest): Promise<RefreshResult> {
  const project = await projectStacks(req.cwd, "drift runs Pulumi's Automation API from it", PREVIEW_ENV);
  const { auto, ws } = project;
  const { name, summary } = chooseStack(project, req.cwd, req.stack);
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
  return { stack: name, stateAsOf: summary?.lastUpdate ?? null, events, failure };
}
