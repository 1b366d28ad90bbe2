/**
 * The health wait of create and update (DESIGN §2), the impure half of health.ts: re-tests
 * (`POST …/test`) with backoff under `require` until the source is `active` or
 * `healthTimeoutSeconds` runs out, then applies the policy's verdict.
 *
 * `healthTimeoutSeconds` bounds the whole wait: every test gets the time left as an AbortSignal
 * deadline, which covers the client's own retries and the waits between them. So an unhealthy
 * create or update under `require` ends within the timeout (plus the last answer's processing)
 * however slow Copass's test endpoint is; the host ignores customTimeouts, so nothing else would.
 */
import type { CopassApi } from "../client/api";
import { sleep } from "../client/retry";
import { redact } from "../redact";
import { SourceInitError } from "./errors";
import { decideHealth } from "./health";
import { healthFromOutcome, type HealthState, type SourceOutputs } from "./outputs";
import type { HealthPolicy } from "./schema";

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

export interface HealthWait {
  api: CopassApi;
  sandboxId: string;
  id: string;
  policy: HealthPolicy;
  timeoutSeconds: number;
  secrets: string[];
}

/** A test that did not answer before the deadline: the status is unknown, and says why. */
function noAnswer(last: HealthState, timeoutSeconds: number): HealthState {
  return {
    status: "unknown",
    healthError: `POST …/test did not answer within healthTimeoutSeconds (${timeoutSeconds}s)`,
    ingestionMode: last.ingestionMode,
  };
}

/**
 * Re-tests under `require` until `active` or the deadline and returns the last health and the
 * verdict. `first` is the health to judge first: create passes the register's one-shot check;
 * update passes `undefined` and the first test runs inside the same deadline (with a zero budget it
 * runs once under the request timeout alone: there is nothing else to judge).
 */
export async function settleHealth(
  wait: HealthWait,
  first: HealthState | undefined,
  prior: HealthState,
): Promise<{ health: HealthState; verdict: Verdict }> {
  const { api, sandboxId, id, policy, timeoutSeconds, secrets } = wait;
  const budgetMs = timeoutSeconds * 1000;
  const started = Date.now();
  const bounded = policy === "require" && budgetMs > 0;
  /** One test with the time left as its deadline; undefined when it did not answer in time. */
  const test = async (last: HealthState): Promise<HealthState | undefined> => {
    const left = budgetMs - (Date.now() - started);
    if (bounded && left <= 0) return undefined;
    const signal = bounded ? AbortSignal.timeout(left) : undefined;
    try {
      return scrubbed(healthFromOutcome(await api.testUserMcp(sandboxId, id, { signal }), last), secrets);
    } catch (error) {
      if (signal?.aborted) return undefined;
      throw error;
    }
  };

  let health = first ?? (await test(prior)) ?? noAnswer(prior, timeoutSeconds);
  for (let attempt = 0; ; attempt++) {
    const decision = decideHealth(health.status, policy, Date.now() - started, budgetMs, attempt);
    if (decision.kind !== "retest") return { health, verdict: decision.kind };
    await sleep(decision.delayMs);
    const next = await test(health);
    if (next === undefined) return { health, verdict: "fail" };
    health = next;
  }
}

function unhealthyReason(verb: string, id: string, health: HealthState, timeoutSeconds: number): string {
  const why = health.healthError ? `: ${health.healthError}` : "";
  return (
    `Copass source ${id} was ${verb} but its MCP server is not healthy after ${timeoutSeconds}s ` +
    `(status ${health.status}${why}). The source is kept in state; fix the server and run pulumi up ` +
    `again, or set healthPolicy "warn" or "ignore", or raise healthTimeoutSeconds.`
  );
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
