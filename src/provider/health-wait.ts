/**
 * The health wait of create and update (DESIGN §2), the impure half of health.ts: re-tests
 * (`POST …/test`) with backoff under `require` until the source is `active` or
 * `healthTimeoutSeconds` runs out, then applies the policy's verdict.
 *
 * `healthTimeoutSeconds` bounds the whole wait: every test gets the time left as an AbortSignal
 * deadline, which covers the client's own retries and the waits between them. So an unhealthy
 * create or update under `require` ends within the timeout (plus the last answer's processing)
 * however slow Copass's test endpoint is; the host ignores customTimeouts, so nothing else would.
 * A zero budget leaves no time for a retry: the one test an update owes is sent once, bounded by
 * the request timeout alone (`singleAttempt`), never the client's retries of a failing call.
 */
import type { CopassApi } from "../client/api";
import { anyOf, sleep } from "../client/retry";
import { redact } from "../redact";
import { SourceInitError } from "./errors";
import { decideHealth } from "./health";
import { buildOutputs, healthFromOutcome, type HealthState, type SourceOutputs } from "./outputs";
import type { Location } from "./location";
import type { HealthPolicy, NormalizedInputs } from "./schema";

export type Verdict = "ok" | "fail" | "warn";

/**
 * Health with the call's secrets cut out of `healthError`. The reason is the MCP server's answer
 * relayed by Copass and is stored under a key that is not secret, so a server that echoes the
 * credential it was sent would otherwise put the token in state in plaintext.
 */
export function scrubbed(health: HealthState, secrets: string[]): HealthState {
  if (health.healthError === null) return health;
  return { ...health, healthError: redact(health.healthError, secrets) };
}

/**
 * The output keys that may repeat a credential no redaction can cut out (DESIGN §6): a health error
 * read while the source's token is unknown, as on a read with no prior state (`pulumi import`),
 * from a Copass that relays what the MCP server said about the token it was sent. A face stores
 * them as secrets (the plugin); the dynamic face never reads without prior state, which holds the
 * token. Once an `up` records the token, `scrubbed` takes over.
 */
export function unscrubbableKeys(outs: Readonly<Record<string, unknown>>): string[] {
  const tokenUnknown = outs.authKind !== "none" && typeof outs.token !== "string";
  return tokenUnknown && typeof outs.healthError === "string" ? ["healthError"] : [];
}

export interface HealthWait {
  api: CopassApi;
  sandboxId: string;
  id: string;
  policy: HealthPolicy;
  timeoutSeconds: number;
  secrets: string[];
  /** Pulumi's Cancel: ends the wait at once (the test in flight included), see `interrupted`. */
  cancel?: AbortSignal;
}

/**
 * Health after a re-test that was due and did not finish (no answer in time, or Copass failed the
 * call): `unknown`, with `reason` (already redacted) in healthError. Never the status from before:
 * after a connection change that status describes a connection that no longer exists, and a
 * non-active status is what makes the next plan re-test (diff.ts, health drift).
 */
export function unfinished(last: HealthState, reason: string): HealthState {
  return { status: "unknown", healthError: reason, ingestionMode: last.ingestionMode };
}

/** A test that did not answer before the deadline. */
function noAnswer(last: HealthState, timeoutSeconds: number): HealthState {
  return unfinished(last, `POST …/test did not answer within healthTimeoutSeconds (${timeoutSeconds}s)`);
}

/**
 * Re-tests under `require` until `active` or the deadline and returns the last health and the
 * verdict. `first` is the health to judge first: create passes the register's one-shot check;
 * update passes `undefined` and the first test runs inside the same deadline (with a zero budget it
 * is sent once, as a single attempt under the request timeout alone: there is nothing else to judge).
 */
export async function settleHealth(
  wait: HealthWait,
  first: HealthState | undefined,
  prior: HealthState,
): Promise<{ health: HealthState; verdict: Verdict }> {
  const { api, sandboxId, id, policy, timeoutSeconds, secrets, cancel } = wait;
  const budgetMs = timeoutSeconds * 1000;
  const started = Date.now();
  const bounded = policy === "require" && budgetMs > 0;
  // No budget, no retry: a failing test would otherwise take the client's attempts and backoff.
  const singleAttempt = budgetMs === 0;
  /** One test with the time left as its deadline; undefined when it did not answer in time. */
  const test = async (last: HealthState): Promise<HealthState | undefined> => {
    if (cancel?.aborted) throw interrupted();
    const left = budgetMs - (Date.now() - started);
    if (bounded && left <= 0) return undefined;
    const deadline = bounded ? AbortSignal.timeout(left) : undefined;
    const signal = anyOf(deadline, cancel);
    try {
      const outcome = await api.testUserMcp(sandboxId, id, { signal, singleAttempt });
      return scrubbed(healthFromOutcome(outcome, last), secrets);
    } catch (error) {
      if (cancel?.aborted) throw interrupted();
      if (deadline?.aborted) return undefined;
      throw error;
    }
  };

  let health = first ?? (await test(prior)) ?? noAnswer(prior, timeoutSeconds);
  for (let attempt = 0; ; attempt++) {
    const decision = decideHealth(health.status, policy, Date.now() - started, budgetMs, attempt);
    if (decision.kind !== "retest") return { health, verdict: decision.kind };
    await sleep(decision.delayMs, cancel);
    const next = await test(health);
    if (next === undefined) return { health, verdict: "fail" };
    health = next;
  }
}

/**
 * Pulumi cancelled the operation (the first Ctrl-C) during the wait. The caller's catch turns it into
 * "created (or updated) but failed to initialize" with status unknown (`unfinishedRetest`): the
 * source stays in state and the next `pulumi up` tests it again.
 */
function interrupted(): Error {
  return new Error(
    "interrupted: Pulumi cancelled the operation (Ctrl-C) while it waited for the MCP server's health",
  );
}

function unhealthyReason(verb: string, id: string, health: HealthState, timeoutSeconds: number): string {
  const why = health.healthError ? `: ${health.healthError}` : "";
  return (
    `Copass source ${id} was ${verb} but its MCP server is not healthy after ${timeoutSeconds}s ` +
    `(status ${health.status}${why}). The source is kept in state; fix the server and run pulumi up ` +
    `again, or set healthPolicy "warn" or "ignore", or raise healthTimeoutSeconds.`
  );
}

/** The source a health wait is about, as its init-failed error must record it. */
export interface WaitedSource {
  id: string;
  inputs: NormalizedInputs;
  namespace: string;
  /** Where the source lives (location.ts). */
  location: Location;
  /** The request's `__provider` (see SourceInitError). */
  providerText: unknown;
}

/**
 * The error of create or update when the health wait itself failed (Copass answered the test with
 * an error, or dropped it until the client gave up): the source is ours, so it stays in state
 * (init-failed) with the desired config and `unfinished` health, never the health from before.
 * `reason` is the redacted message of the failure.
 */
export function unfinishedRetest(source: WaitedSource, last: HealthState, reason: string): SourceInitError {
  const outs = buildOutputs(
    source.inputs,
    source.id,
    unfinished(last, reason),
    source.namespace,
    source.location,
  );
  return new SourceInitError(source.id, outs, reason, source.providerText);
}

/** Applies the policy verdict: throws init-failed under `require`, warns under `warn`. */
export function enforceHealth(
  verdict: Verdict,
  verb: string,
  outs: SourceOutputs,
  timeoutSeconds: number,
  secrets: string[],
  providerText: unknown,
): void {
  const health: HealthState = {
    status: outs.status,
    healthError: outs.healthError,
    ingestionMode: outs.ingestionMode,
  };
  if (verdict === "fail") {
    throw new SourceInitError(
      outs.dataSourceId,
      outs,
      redact(unhealthyReason(verb, outs.dataSourceId, health, timeoutSeconds), secrets),
      providerText,
    );
  }
  if (verdict === "warn") {
    const why = health.healthError ? `: ${health.healthError}` : "";
    console.warn(
      redact(
        `warning: Copass source ${outs.dataSourceId} is unhealthy (status ${health.status}${why}); continuing because healthPolicy is "warn"`,
        secrets,
      ),
    );
  }
}
