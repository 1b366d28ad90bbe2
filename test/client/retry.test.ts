import { describe, expect, it } from "vitest";
import {
  DEFAULT_RETRY_POLICY,
  backoffMs,
  decideRetry,
  failureFromErrorCode,
  parseRetryAfter,
  resolvePolicy,
  type Failure,
  type RetryInput,
  type RetryPolicy,
} from "../../src/client/retry";

const policy: RetryPolicy = { maxAttempts: 4, minDelayMs: 100, factor: 2, maxDelayMs: 1_000, jitter: "none" };
const s = (status: number): Failure => ({ kind: "status", status });
const network: Failure = { kind: "network" };
const timeout: Failure = { kind: "timeout" };

describe("decideRetry", () => {
  const rows: { name: string; input: RetryInput; expected: ReturnType<typeof decideRetry> }[] = [
    // Repeatable operations on transient failures: capped exponential backoff.
    {
      name: "get 503, attempt 1 → 100 ms",
      input: { attempt: 1, failure: s(503), operation: "get" },
      expected: { retry: true, delayMs: 100 },
    },
    {
      name: "list 502, attempt 2 → 200 ms",
      input: { attempt: 2, failure: s(502), operation: "list" },
      expected: { retry: true, delayMs: 200 },
    },
    {
      name: "patch 504, attempt 3 → 400 ms",
      input: { attempt: 3, failure: s(504), operation: "patch" },
      expected: { retry: true, delayMs: 400 },
    },
    {
      name: "test network error → retry",
      input: { attempt: 1, failure: network, operation: "test" },
      expected: { retry: true, delayMs: 100 },
    },
    {
      name: "revoke timeout → retry",
      input: { attempt: 1, failure: timeout, operation: "revoke" },
      expected: { retry: true, delayMs: 100 },
    },
    {
      name: "delete 429 → retry",
      input: { attempt: 1, failure: s(429), operation: "delete" },
      expected: { retry: true, delayMs: 100 },
    },
    // Retry-After wins over backoff, capped at maxDelayMs.
    {
      name: "429 with Retry-After 700 ms",
      input: { attempt: 1, failure: s(429), operation: "get", retryAfterMs: 700 },
      expected: { retry: true, delayMs: 700 },
    },
    {
      name: "503 with Retry-After above the cap",
      input: { attempt: 1, failure: s(503), operation: "get", retryAfterMs: 60_000 },
      expected: { retry: true, delayMs: 1_000 },
    },
    {
      name: "Retry-After 0 retries at once",
      input: { attempt: 1, failure: s(503), operation: "get", retryAfterMs: 0 },
      expected: { retry: true, delayMs: 0 },
    },
    // Give up.
    {
      name: "last attempt",
      input: { attempt: 4, failure: s(503), operation: "get" },
      expected: { retry: false, reason: "attempts exhausted" },
    },
    {
      name: "500 is a bug, not a blip",
      input: { attempt: 1, failure: s(500), operation: "get" },
      expected: { retry: false, reason: "not transient" },
    },
    {
      name: "400",
      input: { attempt: 1, failure: s(400), operation: "patch" },
      expected: { retry: false, reason: "not transient" },
    },
    {
      name: "404",
      input: { attempt: 1, failure: s(404), operation: "get" },
      expected: { retry: false, reason: "not transient" },
    },
    {
      name: "401",
      input: { attempt: 1, failure: s(401), operation: "list" },
      expected: { retry: false, reason: "not transient" },
    },
    {
      name: "other error",
      input: { attempt: 1, failure: { kind: "other" }, operation: "get" },
      expected: { retry: false, reason: "not transient" },
    },
    // Register: never blindly.
    {
      name: "register 503",
      input: { attempt: 1, failure: s(503), operation: "register" },
      expected: { retry: false, reason: "register is never retried blindly" },
    },
    {
      name: "register network error",
      input: { attempt: 1, failure: network, operation: "register" },
      expected: { retry: false, reason: "register is never retried blindly" },
    },
    {
      name: "register timeout",
      input: { attempt: 1, failure: timeout, operation: "register" },
      expected: { retry: false, reason: "register is never retried blindly" },
    },
    {
      name: "register 503 proven not committed",
      input: { attempt: 1, failure: s(503), operation: "register", provenNotCommitted: true },
      expected: { retry: true, delayMs: 100 },
    },
    {
      name: "register drop proven not committed, attempt 2",
      input: { attempt: 2, failure: network, operation: "register", provenNotCommitted: true },
      expected: { retry: true, delayMs: 200 },
    },
    {
      // register-fate.ts proves a 429 unprocessed; the policy only times the re-send.
      name: "register 429 proven not processed (refused before work)",
      input: {
        attempt: 1,
        failure: s(429),
        operation: "register",
        retryAfterMs: 300,
        provenNotCommitted: true,
      },
      expected: { retry: true, delayMs: 300 },
    },
    {
      // The policy alone never re-sends a register, whatever the status: the proof is register-fate's.
      name: "register 429 without register-fate's proof",
      input: { attempt: 1, failure: s(429), operation: "register", retryAfterMs: 300 },
      expected: { retry: false, reason: "register is never retried blindly" },
    },
    {
      name: "register proven but exhausted",
      input: { attempt: 4, failure: network, operation: "register", provenNotCommitted: true },
      expected: { retry: false, reason: "attempts exhausted" },
    },
    {
      name: "register 400 proven not committed",
      input: { attempt: 1, failure: s(400), operation: "register", provenNotCommitted: true },
      expected: { retry: false, reason: "not transient" },
    },
  ];
  it.each(rows)("$name", ({ input, expected }) => {
    expect(decideRetry(input, policy)).toEqual(expected);
  });

  it("caps the exponential backoff at maxDelayMs", () => {
    const p = { ...policy, maxAttempts: 20 };
    expect(decideRetry({ attempt: 10, failure: s(503), operation: "get" }, p)).toEqual({
      retry: true,
      delayMs: 1_000,
    });
  });
});

describe("backoffMs jitter", () => {
  it.each([
    { jitter: "none", random: 0.5, attempt: 2, out: 200 },
    { jitter: "full", random: 0, attempt: 2, out: 0 },
    { jitter: "full", random: 0.5, attempt: 2, out: 100 },
    { jitter: "equal", random: 0, attempt: 2, out: 100 },
    { jitter: "equal", random: 0.999, attempt: 2, out: 200 },
    { jitter: "equal", random: 0.5, attempt: 20, out: 750 },
  ] as const)(
    "$jitter jitter, random $random, attempt $attempt → $out ms",
    ({ jitter, random, attempt, out }) => {
      expect(backoffMs(attempt, { ...policy, jitter }, random)).toBe(out);
    },
  );

  it("equal jitter (the default) never waits less than half the backoff", () => {
    for (let i = 0; i < 200; i++) {
      const d = backoffMs(1, DEFAULT_RETRY_POLICY, Math.random());
      expect(d).toBeGreaterThanOrEqual(DEFAULT_RETRY_POLICY.minDelayMs / 2);
      expect(d).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.minDelayMs);
    }
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  it.each([
    { header: "3", out: 3_000 },
    { header: " 0 ", out: 0 },
    { header: "1.5", out: 1_500 },
    { header: ["2", "9"], out: 2_000 },
    { header: "Thu, 01 Jan 2026 00:00:05 GMT", out: 5_000 },
    { header: "Wed, 31 Dec 2025 23:59:00 GMT", out: 0 },
    { header: undefined, out: undefined },
    { header: "", out: undefined },
    { header: "soon", out: undefined },
    { header: "-5", out: undefined },
    { header: "1e3", out: undefined },
    { header: "NaN", out: undefined },
  ])("Retry-After $header → $out", ({ header, out }) => {
    expect(parseRetryAfter(header, now)).toBe(out);
  });

  it("reports the hint uncapped; decideRetry caps it", () => {
    const hint = parseRetryAfter("3600", now);
    expect(hint).toBe(3_600_000);
    expect(
      decideRetry({ attempt: 1, failure: s(429), operation: "get", retryAfterMs: hint }, policy),
    ).toEqual({
      retry: true,
      delayMs: policy.maxDelayMs,
    });
  });
});

describe("failureFromErrorCode", () => {
  it.each([
    { code: "UND_ERR_HEADERS_TIMEOUT", kind: "timeout" },
    { code: "UND_ERR_BODY_TIMEOUT", kind: "timeout" },
    { code: "UND_ERR_CONNECT_TIMEOUT", kind: "timeout" },
    { code: "UND_ERR_SOCKET", kind: "network" },
    { code: "ECONNRESET", kind: "network" },
    { code: "ECONNREFUSED", kind: "network" },
    { code: "UND_ERR_INVALID_ARG", kind: "other" },
    { code: "UND_ERR_ABORTED", kind: "other" },
    { code: undefined, kind: "other" },
  ])("$code → $kind", ({ code, kind }) => {
    expect(failureFromErrorCode(code).kind).toBe(kind);
  });
});

describe("resolvePolicy", () => {
  it("fills the defaults and ignores undefined overrides", () => {
    expect(resolvePolicy({ maxAttempts: 2, minDelayMs: undefined })).toEqual({
      ...DEFAULT_RETRY_POLICY,
      maxAttempts: 2,
    });
  });
  it.each([{ maxAttempts: 0 }, { maxAttempts: 1.5 }, { minDelayMs: -1 }, { factor: 0.5 }])(
    "refuses %o",
    (o) => {
      expect(() => resolvePolicy(o)).toThrow(RangeError);
    },
  );
});
