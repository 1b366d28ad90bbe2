/**
 * The few engine rules a lifecycle test needs, on top of the host client (pulumi-host.ts): what
 * `pulumi up`, `refresh` and `destroy` send to a dynamic provider and what they keep in state
 * (reference pulumi-dynamic-providers.md §4). No vitest import.
 */
import { HostError, type DiffResult, type Host, type Props } from "./pulumi-host";

/**
 * What the engine keeps for one resource, `__provider` included exactly where the host returned
 * it: the engine sends these back verbatim (olds of Diff and Update, properties of Read and
 * Delete), and the host finds the provider code only there.
 */
export interface State {
  id: string;
  inputs: Props;
  outputs: Props;
}

export type UpStep =
  | { op: "same"; diff: DiffResult }
  | { op: "update"; diff: DiffResult }
  | { op: "replace"; diff: DiffResult }
  | { op: "create" };

export interface UpResult {
  step: UpStep;
  state: State;
}

/** Check found problems with the program's inputs. */
export class CheckFailed extends Error {
  constructor(readonly failures: { property: string; reason: string }[]) {
    super(`check failed: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
    this.name = "CheckFailed";
  }
}

/**
 * A create or update that the engine records as "created but failed to initialize": the
 * resource is in state (`state`) with the error (`error`).
 */
export class InitFailed extends Error {
  constructor(
    readonly state: State,
    readonly error: HostError,
  ) {
    super(error.message);
    this.name = "InitFailed";
  }
}

export function withoutProvider(p: Props): Props {
  const { __provider: _ignored, ...rest } = p;
  return rest;
}

async function createStep(host: Host, inputs: Props): Promise<State> {
  try {
    const r = await host.create(inputs);
    return { id: r.id, inputs, outputs: r.properties };
  } catch (e) {
    if (e instanceof HostError && e.initFailed) {
      // The engine stores the error's properties as they came: the host adds no `__provider`.
      const state = { id: e.initFailed.id, inputs, outputs: e.initFailed.properties };
      throw new InitFailed(state, e);
    }
    throw e;
  }
}

/** Check, then check's inputs, Diff and the step it plans (without running it). */
export async function plan(
  host: Host,
  prior: State | undefined,
  program: Props,
): Promise<{ inputs: Props; step: UpStep }> {
  const checked = await host.check(prior?.inputs ?? {}, program);
  if (checked.failures.length > 0) throw new CheckFailed(checked.failures);
  const inputs = checked.inputs;
  if (!prior) return { inputs, step: { op: "create" } };
  const diff = await host.diff(prior.id, prior.outputs, inputs);
  if (diff.replaces.length > 0) return { inputs, step: { op: "replace", diff } };
  if (diff.changes === "DIFF_SOME") return { inputs, step: { op: "update", diff } };
  return { inputs, step: { op: "same", diff } };
}

/** One resource's part of `pulumi up`: Check, Diff, then Create / Update / replace. */
export async function up(host: Host, prior: State | undefined, program: Props): Promise<UpResult> {
  const { inputs, step } = await plan(host, prior, program);
  switch (step.op) {
    case "create":
      return { step, state: await createStep(host, inputs) };
    case "same":
      return { step, state: { ...prior!, inputs } };
    case "update": {
      try {
        const r = await host.update(prior!.id, prior!.outputs, inputs);
        return { step, state: { id: prior!.id, inputs, outputs: r.properties } };
      } catch (e) {
        if (e instanceof HostError && e.initFailed) {
          const f = e.initFailed;
          throw new InitFailed({ id: f.id, inputs, outputs: f.properties }, e);
        }
        throw e;
      }
    }
    case "replace": {
      if (step.diff.deleteBeforeReplace) {
        await host.delete(prior!.id, prior!.outputs);
        return { step, state: await createStep(host, inputs) };
      }
      const state = await createStep(host, inputs);
      await host.delete(prior!.id, prior!.outputs);
      return { step, state };
    }
  }
}

/** `pulumi refresh` for one resource: undefined when the provider says it is gone. */
export async function refresh(host: Host, prior: State): Promise<State | undefined> {
  const r = await host.read(prior.id, prior.outputs, prior.inputs);
  if (!r.id) return undefined;
  return {
    id: r.id,
    outputs: r.properties,
    inputs: r.inputs ?? prior.inputs,
  };
}

/** `pulumi destroy` for one resource. */
export async function destroy(host: Host, prior: State): Promise<void> {
  await host.delete(prior.id, prior.outputs);
}
