import { describe, expect, it } from "vitest";
import { decideHealth, retestDelayMs, type HealthDecision } from "../../src/provider/health";
import type { HealthPolicy } from "../../src/provider/schema";

describe("decideHealth", () => {
  it.each<[string, string, HealthPolicy, number, number, number, HealthDecision]>([
    ["active is ok under require", "active", "require", 0, 60_000, 0, { kind: "ok" }],
    ["active is ok under warn", "active", "warn", 0, 60_000, 0, { kind: "ok" }],
    ["error under ignore is only recorded", "error", "ignore", 0, 60_000, 0, { kind: "ok" }],
    ["error under warn warns at once", "error", "warn", 0, 60_000, 0, { kind: "warn" }],
    [
      "error under require re-tests after 500 ms",
      "error",
      "require",
      0,
      60_000,
      0,
      { kind: "retest", delayMs: 500 },
    ],
    ["the backoff doubles", "error", "require", 1_000, 60_000, 2, { kind: "retest", delayMs: 2_000 }],
    [
      "the backoff is capped at 5 s",
      "error",
      "require",
      10_000,
      60_000,
      8,
      { kind: "retest", delayMs: 5_000 },
    ],
    [
      "never waits past the deadline",
      "error",
      "require",
      59_700,
      60_000,
      5,
      { kind: "retest", delayMs: 300 },
    ],
    ["fails at the deadline", "error", "require", 60_000, 60_000, 5, { kind: "fail" }],
    ["timeout 0 fails without a re-test", "error", "require", 0, 0, 0, { kind: "fail" }],
    ["disconnected is terminal under require", "disconnected", "require", 0, 60_000, 0, { kind: "fail" }],
    // mutation: `isRetired(status)` → `status === "disconnected"` in health.ts → a re-test: this row fails.
    [
      "archived is terminal under require (one retired list)",
      "archived",
      "require",
      0,
      60_000,
      0,
      { kind: "fail" },
    ],
    [
      "an unknown status counts as unhealthy",
      "paused",
      "require",
      0,
      60_000,
      0,
      { kind: "retest", delayMs: 500 },
    ],
  ])("%s", (_case, status, policy, elapsed, timeout, attempt, expected) => {
    expect(decideHealth(status, policy, elapsed, timeout, attempt)).toEqual(expected);
  });

  it("backoff: 500, 1000, 2000, 4000, 5000, 5000", () => {
    expect([0, 1, 2, 3, 4, 10].map(retestDelayMs)).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
  });
});
