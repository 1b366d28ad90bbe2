/**
 * Fault injection (msw's `server.use(…, {once})` and undici's mock `times`): rules layered on the
 * normal behaviour, the first matching rule in insertion order applies and uses up one of its
 * `times`; `reset()` restores the baseline. Pure matching, no sockets: `server.ts` performs the
 * action.
 */
import type { EmulatorFaults, FaultAction, FaultRule } from "./api";
import { revoked } from "./store";

export interface FaultRequest {
  method: string;
  path: string;
  operation: string;
}

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
}

export function matches(rule: FaultRule, req: FaultRequest): boolean {
  if (rule.method !== undefined && rule.method.toUpperCase() !== req.method.toUpperCase()) return false;
  if (rule.operation !== undefined && rule.operation !== req.operation) return false;
  if (rule.pathIncludes !== undefined && !req.path.includes(rule.pathIncludes)) return false;
  return true;
}

export class FaultSet implements EmulatorFaults {
  private rules: ActiveRule[] = [];

  inject(rule: FaultRule): void {
    const checked = checkFaultRule(rule);
    this.rules.push({ rule: checked, remaining: checked.times ?? 1 });
  }

  reset(): void {
    this.rules = [];
  }

  /** The action for this request, if a rule matches; consumes one use of that rule. */
  take(req: FaultRequest): FaultAction | undefined {
    const index = this.rules.findIndex((r) => matches(r.rule, req));
    const active = this.rules[index];
    if (!active) return undefined;
    active.remaining -= 1;
    if (active.remaining <= 0) this.rules.splice(index, 1);
    return active.rule.action;
  }

  /** Rules still armed (for the admin endpoint and tests). */
  pending(): number {
    return this.rules.length;
  }
}

/** What a status fault's body may quote of the request (its `echoSecrets` option). */
export interface EchoedRequest {
  /** The Authorization header as sent, API key included. */
  authorization: string | undefined;
  /** The raw request body. */
  body: string;
}

/**
 * The body of a status fault: its own `body`, else `{error: "injected_fault", detail}`, where with
 * `echoSecrets` the detail quotes the request's Authorization header and its JSON body's `token`.
 * An answer that repeats credentials is what a leak scan needs to be able to fail.
 */
export function statusFaultBody(
  fault: Extract<FaultAction, { kind: "status" }>,
  req: EchoedRequest,
): unknown {
  if (fault.body !== undefined) return fault.body;
  let detail = `fault injected by the emulator: HTTP ${fault.status}`;
  if (fault.echoSecrets) {
    detail += `; the request sent Authorization: ${req.authorization ?? "(none)"}`;
    const token = tokenOf(req.body);
    if (token !== undefined) detail += ` and token ${token}`;
  }
  return { error: "injected_fault", detail };
}

function tokenOf(raw: string): string | undefined {
  try {
    const parsed = JSON.parse(raw) as { token?: unknown } | null;
    return typeof parsed?.token === "string" ? parsed.token : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `400 source_revoked` answer a real Copass may give to a second revoke (reference §7.8), as a
 * `status` action to inject on `revoke`: the emulator itself answers a second revoke 200.
 */
export function sourceRevokedAnswer(): FaultAction {
  const error = revoked();
  return { kind: "status", status: error.status, body: { error: error.code, detail: error.detail } };
}

const KINDS = ["status", "delay", "drop", "commit-then-drop"];

/**
 * Checks a rule (it may come as JSON through `POST /_emulator/faults`). JSON has no Infinity, so
 * `times: "Infinity"` (or `null`) there means "until reset". Errors say what to send instead.
 */
export function checkFaultRule(input: unknown): FaultRule {
  const fail = (msg: string): never => {
    throw new TypeError(`Failed to inject a fault: ${msg}`);
  };
  if (typeof input !== "object" || input === null) return fail("the rule must be an object {action, …}");
  const raw = input as Record<string, unknown>;
  const action = raw.action as Record<string, unknown> | undefined;
  if (typeof action !== "object" || action === null || !KINDS.includes(action.kind as string)) {
    return fail(`action.kind must be one of ${KINDS.join(", ")}`);
  }
  for (const key of ["method", "operation", "pathIncludes"] as const) {
    if (raw[key] !== undefined && typeof raw[key] !== "string") fail(`${key} must be a string when set`);
  }
  let times: number | undefined;
  if (raw.times === null || raw.times === "Infinity" || raw.times === Infinity) times = Infinity;
  else if (raw.times !== undefined) {
    if (typeof raw.times !== "number" || !Number.isInteger(raw.times) || raw.times < 1) {
      fail('times must be a positive integer, or "Infinity" for until reset');
    }
    times = raw.times as number;
  }
  let checked: FaultAction;
  switch (action.kind) {
    case "status": {
      const status = action.status;
      if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599) {
        return fail("action.status must be an HTTP status from 100 to 599");
      }
      const retry = action.retryAfterSeconds;
      if (retry !== undefined && (typeof retry !== "number" || retry < 0)) {
        return fail("action.retryAfterSeconds must be a number of seconds ≥ 0");
      }
      const echo = action.echoSecrets;
      if (echo !== undefined && typeof echo !== "boolean") {
        return fail("action.echoSecrets must be true or false when set");
      }
      checked = { kind: "status", status };
      if (retry !== undefined) checked.retryAfterSeconds = retry;
      if (action.body !== undefined) checked.body = action.body;
      if (echo !== undefined) checked.echoSecrets = echo;
      break;
    }
    case "delay": {
      const ms = action.ms;
      // Infinity would fire at once in setTimeout; a finite, bounded wait is what a test can reason about.
      if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0 || ms > 600_000) {
        return fail("action.ms must be a finite number of milliseconds from 0 to 600000");
      }
      checked = { kind: "delay", ms };
      break;
    }
    default:
      checked = { kind: action.kind as "drop" | "commit-then-drop" };
  }
  const rule: FaultRule = { action: checked };
  if (raw.method !== undefined) rule.method = raw.method as string;
  if (raw.operation !== undefined) rule.operation = raw.operation as string;
  if (raw.pathIncludes !== undefined) rule.pathIncludes = raw.pathIncludes as string;
  if (times !== undefined) rule.times = times;
  return rule;
}
