/**
 * The health decision of create, update and read (DESIGN §2), pure: given the last status and the
 * policy, go on, re-test after a delay, fail the step, or warn. The wait that sleeps and calls
 * `POST …/test` with the time left as a deadline lives in health-wait.ts.
 */
import { isRetired } from "../client/vocabulary";
import type { HealthPolicy } from "./schema";

export type HealthDecision =
  /** Healthy, or the policy does not care: record the status and go on. */
  | { kind: "ok" }
  /** Unhealthy under `require` with time left: wait, then POST …/test again. */
  | { kind: "retest"; delayMs: number }
  /** Unhealthy under `require` and out of time (or terminal): fail the step, keeping the id. */
  | { kind: "fail" }
  /** Unhealthy under `warn`: succeed, with one warning line. */
  | { kind: "warn" };

/** Backoff of the re-tests: 500 ms, doubling, capped at 5 s (a re-test is one MCP round trip). */
const RETEST_FIRST_DELAY_MS = 500;
const RETEST_MAX_DELAY_MS = 5_000;

export function retestDelayMs(attempt: number): number {
  return Math.min(RETEST_FIRST_DELAY_MS * 2 ** Math.max(0, attempt), RETEST_MAX_DELAY_MS);
}

/**
 * @param status the last status Copass reported (`active`, `error`, `disconnected`, or another).
 * @param elapsedMs time since the first health result of this operation.
 * @param timeoutMs `healthTimeoutSeconds` in ms; re-tests never wait past it.
 * @param attempt re-tests done so far (0 before the first).
 */
export function decideHealth(
  status: string,
  policy: HealthPolicy,
  elapsedMs: number,
  timeoutMs: number,
  attempt: number,
): HealthDecision {
  if (status === "active" || policy === "ignore") return { kind: "ok" };
  if (policy === "warn") return { kind: "warn" };
  // A retired status (revoked, archived: client/vocabulary.ts) is terminal: no re-test brings it back.
  if (isRetired(status)) return { kind: "fail" };
  const remaining = timeoutMs - elapsedMs;
  if (remaining <= 0) return { kind: "fail" };
  return { kind: "retest", delayMs: Math.min(retestDelayMs(attempt), remaining) };
}
