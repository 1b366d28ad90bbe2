/**
 * Shared pieces of the chaos properties: one real emulator and one real sample MCP server per
 * file (loopback HTTP, no mock anywhere), fault schedules as fast-check arbitraries, a second
 * client that looks at the sandbox with faults off, and the secret-leak scan (DESIGN §6).
 *
 * The properties run concurrently against the one emulator (as Pulumi runs many resources at
 * once through one provider), so faults are scoped to a run's sandbox (`pathIncludes`) and a run
 * ends by disarming its own rules, not by `faults.reset()`, which would also disarm the runs
 * next to it: `disarm` counts the faulted requests of the sandbox in the request log and sends
 * each rule's unused matches a request it cannot harm (a register body that fails validation, a
 * call on a source id that does not exist, a listing). `reset()` runs once the file is done.
 */
import fc from "fast-check";
import { afterAll, beforeAll, expect } from "vitest";
import { CopassClient } from "../../src/client/client";
import type { DataSource } from "../../src/client/types";
import {
  startEmulator,
  startMcpServer,
  type Emulator,
  type FaultAction,
  type SampleMcpServer,
} from "../../packages/emulator/src";
import { provider, resetProviderState } from "../../src/provider/provider";
import { secretLeaks as scan, type ScannedSecrets } from "../support/leaks";
import { configureProvider } from "../provider/fixtures";

export type Props = Record<string, unknown>;

export const API_KEY = "olk_chaos_key_7c1f3a9e52d0";
export const TOKEN = "tok-CHAOS-b84e21d6-do-not-leak";
/** A token the MCP server refuses: its source is unhealthy, and errors quote the probe's answer. */
export const WRONG_TOKEN = "tok-WRONG-51f09c3a-do-not-leak";
/** Port 2: never served, so every health probe is refused at once (an unreachable MCP server). */
export const UNREACHABLE_URL = "http://127.0.0.1:2/mcp";

/** Operations as the emulator routes them (RequestLogEntry.operation). */
export type Op = "register" | "list" | "get" | "patch" | "test" | "revoke" | "delete";

export interface ScheduledFault {
  operation: Op;
  action: FaultAction;
  /** Matching requests it shapes, 1–3. */
  times: number;
}

/**
 * What the network may do to one request. Every error answer echoes the request's API key and token
 * (`echoSecrets`), as a careless server or proxy may: the leak scans then see a secret to catch
 * wherever an error reaches the provider's output (with `redact` made the identity they fail).
 * Delays stay far below the request timeout the
 * harness sets (2 s): a POST that outlives its timeout and commits after the reconciling list is
 * a race no client can close without an idempotency key, and not what these properties are about.
 * Retry-After is mostly short so that a run costs well under a second on average.
 */
export const faultAction: fc.Arbitrary<FaultAction> = fc.oneof(
  fc.constantFrom(0, 0, 0, 0.1, 0.25, 1).map((retryAfterSeconds): FaultAction => ({
    kind: "status",
    status: 429,
    retryAfterSeconds,
    echoSecrets: true,
  })),
  // Weighted up: a 5xx is the most common way to reach the paths that give up (500 is never retried).
  {
    arbitrary: fc
      .constantFrom(500, 502, 503, 504)
      .map((status): FaultAction => ({ kind: "status", status, echoSecrets: true })),
    weight: 2,
  },
  fc.constant<FaultAction>({ kind: "drop" }),
  fc.constant<FaultAction>({ kind: "commit-then-drop" }),
  fc.integer({ min: 5, max: 80 }).map((ms): FaultAction => ({ kind: "delay", ms })),
);

/** One to three rules on the given operations, each for 1–3 matching requests. */
export function faultSchedule(operations: readonly Op[]): fc.Arbitrary<ScheduledFault[]> {
  return fc.array(
    fc.record({
      operation: fc.constantFrom(...operations),
      action: faultAction,
      // Mostly once: every extra use costs a backoff of the provider's default retry policy.
      times: fc.constantFrom(1, 1, 1, 2, 2, 3),
    }),
    { minLength: 1, maxLength: 3 },
  );
}

/** Short, readable form of a schedule for failure messages. */
export function describeSchedule(schedule: readonly ScheduledFault[]): string {
  return schedule
    .map(({ operation, action, times }) => {
      const what =
        action.kind === "status"
          ? `${action.status}${action.retryAfterSeconds !== undefined ? ` RA=${action.retryAfterSeconds}s` : ""}`
          : action.kind === "delay"
            ? `delay ${action.ms}ms`
            : action.kind;
      return `${operation}:${what}×${times}`;
    })
    .join(", ");
}

export interface Harness {
  readonly emulator: Emulator;
  readonly mcp: SampleMcpServer;
  /** A client no fault is meant for: use it only on a disarmed sandbox. */
  readonly observer: CopassClient;
  /** A fresh sandbox id for one run. */
  nextSandbox(prefix: string): string;
  /** Arms the schedule, scoped to `sandbox`. */
  arm(sandbox: string, schedule: readonly ScheduledFault[]): void;
  /** Uses up whatever `arm` left unused in `sandbox`, with harmless requests. */
  disarm(sandbox: string): Promise<void>;
  /** The sandbox's user_mcp sources that are not disconnected (disarms first). */
  liveSources(sandbox: string): Promise<DataSource[]>;
  /** The source as the API has it now (disarms first), or undefined when it is gone (404). */
  sourceNow(sandbox: string, id: string): Promise<DataSource | undefined>;
  /** A program's inputs after `check` (defaults filled), for this file's MCP server; undefined values in `patch` are ignored. */
  checkedProgram(patch: Props): Promise<Props>;
}

const API = "/api/v1/storage/sandboxes";

/** A request routed to `operation` in `sandbox` that changes nothing, whatever fault shapes it. */
function harmless(sandbox: string, operation: Op): { method: string; path: string; body?: string } {
  const source = `${API}/${sandbox}/sources/ds_chaos_disarm`;
  switch (operation) {
    case "register": // an empty body fails validation (422) before anything is stored
      return { method: "POST", path: `${API}/${sandbox}/sources/user-mcp`, body: "{}" };
    case "list":
      return { method: "GET", path: `${API}/${sandbox}/sources` };
    case "get":
      return { method: "GET", path: source };
    case "patch":
      return { method: "PATCH", path: `${source}/user-mcp`, body: "{}" };
    case "test":
      return { method: "POST", path: `${source}/user-mcp/test` };
    case "revoke":
      return { method: "POST", path: `${source}/user-mcp/revoke` };
    case "delete":
      return { method: "DELETE", path: source };
  }
}

/**
 * Starts the emulator and the MCP server once for the file and configures the provider against
 * them. Request timeout 2 s (env, read at call time); programs default to
 * `healthTimeoutSeconds: 5`, which bounds the whole health wait: each re-test gets only the time
 * left, so a budget of 1 s failed healthy sources whose probe took over 1 s on a loaded machine.
 */
export function useHarness(): Harness {
  let emulator: Emulator | undefined;
  let mcp: SampleMcpServer | undefined;
  let observer: CopassClient | undefined;
  let counter = 0;
  /** Per sandbox, per operation: matches armed so far. */
  const armed = new Map<string, Map<Op, number>>();
  const previousTimeout = process.env.COPASS_REQUEST_TIMEOUT_SECONDS;

  beforeAll(async () => {
    // echoCredentialInHealthError: a failed probe's health_error quotes the token, for the scans.
    emulator = await startEmulator({
      apiKeys: [API_KEY],
      probeTimeoutMs: 1_000,
      echoCredentialInHealthError: true,
    });
    mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
    observer = new CopassClient({
      apiUrl: emulator.url,
      apiKey: API_KEY,
      retry: { maxAttempts: 1, minDelayMs: 0, maxDelayMs: 0 },
    });
    process.env.COPASS_REQUEST_TIMEOUT_SECONDS = "2";
    await configureProvider(emulator.url, API_KEY);
  });

  afterAll(async () => {
    emulator?.faults.reset();
    resetProviderState();
    if (previousTimeout === undefined) delete process.env.COPASS_REQUEST_TIMEOUT_SECONDS;
    else process.env.COPASS_REQUEST_TIMEOUT_SECONDS = previousTimeout;
    await observer?.close();
    await mcp?.close();
    await emulator?.close();
  });

  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not started (beforeAll did not run)`);
    return value;
  };

  /** Matches still armed in `sandbox`, per operation (armed minus faulted requests logged). */
  const unused = (sandbox: string): Map<Op, number> => {
    const left = new Map(armed.get(sandbox) ?? []);
    for (const entry of started(emulator, "the emulator").requestLog()) {
      if (entry.fault === undefined || !entry.path.includes(`/sandboxes/${sandbox}/`)) continue;
      const op = entry.operation as Op;
      left.set(op, (left.get(op) ?? 0) - 1);
    }
    return left;
  };

  const disarm = async (sandbox: string): Promise<void> => {
    const url = started(emulator, "the emulator").url;
    for (const [operation, count] of unused(sandbox)) {
      for (let i = 0; i < count; i++) {
        const { method, path, body } = harmless(sandbox, operation);
        await fetch(url + path, {
          method,
          headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
          ...(body !== undefined ? { body } : {}),
        })
          .then((response) => response.arrayBuffer())
          .catch(() => undefined); // a dropped connection is one use too
      }
    }
    const left = [...unused(sandbox)].filter(([, n]) => n !== 0);
    expect(left, `faults left armed in ${sandbox}`).toEqual([]);
  };

  return {
    get emulator() {
      return started(emulator, "the emulator");
    },
    get mcp() {
      return started(mcp, "the MCP server");
    },
    get observer() {
      return started(observer, "the observer client");
    },
    nextSandbox(prefix) {
      return `sb_chaos_${prefix}_${++counter}`;
    },
    arm(sandbox, schedule) {
      const faults = started(emulator, "the emulator").faults;
      const counts = armed.get(sandbox) ?? new Map<Op, number>();
      armed.set(sandbox, counts);
      for (const { operation, action, times } of schedule) {
        faults.inject({ operation, pathIncludes: `/sandboxes/${sandbox}/`, action, times });
        counts.set(operation, (counts.get(operation) ?? 0) + times);
      }
    },
    disarm,
    async liveSources(sandbox) {
      await disarm(sandbox);
      const { sources } = await started(observer, "the observer").listSources(sandbox, {
        provider: "user_mcp",
      });
      return sources.filter((s) => s.status !== "disconnected");
    },
    async sourceNow(sandbox, id) {
      await disarm(sandbox);
      try {
        return await started(observer, "the observer").getSource(sandbox, id);
      } catch (error) {
        if ((error as { code?: unknown }).code === "COPASS_NOT_FOUND") return undefined;
        throw error;
      }
    },
    async checkedProgram(patch) {
      const program: Props = {
        name: "CRM tools",
        baseUrl: started(mcp, "the MCP server").url,
        authKind: "bearer",
        token: TOKEN,
        healthTimeoutSeconds: 5,
      };
      // An undefined value in `patch` means "as the base program has it".
      for (const [k, v] of Object.entries(patch)) if (v !== undefined) program[k] = v;
      const result = await provider.check({}, program);
      expect(result.failures).toEqual([]);
      return result.inputs as Props;
    },
  };
}

/** Runs `fn`, returning its value or the error it threw (the error must be an Error). */
export async function attempt<T>(
  fn: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: Error }> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    expect(error, "everything the provider throws is an Error").toBeInstanceOf(Error);
    return { ok: false, error: error as Error };
  }
}

/** An init-failed error as the dynamic-provider host recognises it: `id`, `properties`, `reasons`. */
export function isInitFailed(
  error: unknown,
): error is Error & { id: string; properties: Props; reasons: string[] } {
  const e = error as { id?: unknown; properties?: unknown; reasons?: unknown };
  return typeof e?.id === "string" && typeof e.properties === "object" && Array.isArray(e.reasons);
}

// --- secret leaks (DESIGN §6) -----------------------------------------------------------------------

/** The scan of test/support/leaks.ts with this file's secrets. */
export function secretLeaks(
  value: unknown,
  secrets: ScannedSecrets = { apiKey: API_KEY, tokens: [TOKEN, WRONG_TOKEN] },
): string[] {
  return scan(value, secrets);
}

/**
 * The scan every property runs on every step. It can fail because the faults' error answers echo
 * the API key and the token (`echoSecrets`) and failed probes quote the token (the emulator's
 * `echoCredentialInHealthError`).
 * mutation: src/redact.ts `redact` returns its input unchanged → all four properties of
 * lifecycle.test.ts fail here (before echoSecrets, all of them passed).
 */
export function expectNoSecretLeak(value: unknown, where: string): void {
  expect(secretLeaks(value), `secrets leaked in ${where}`).toEqual([]);
}

/** Paths in `value` whose value is `undefined` (protobuf Struct refuses them). */
export function undefinedPaths(value: unknown, path = "$"): string[] {
  if (value === undefined) return [path];
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => undefinedPaths(v, `${path}.${k}`));
}

/** fast-check settings: bounded runs; CHAOS_SEED=<n> replays a reported failure. */
export function runs(numRuns: number): { numRuns: number; seed?: number } {
  const seed = process.env.CHAOS_SEED;
  return seed === undefined ? { numRuns } : { numRuns, seed: Number(seed) };
}
