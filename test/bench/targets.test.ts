import { describe, expect, it } from "vitest";
import { API_OPS, mean, pairedRatioRange, targetChecks, targetLines } from "../../bench/targets";
import type { PriceRow } from "../../bench/price";

/** A lifecycle row with ours/host and ours/HTTP as given (the floor at 100 ms). */
function row(patch: Partial<PriceRow> & { ours?: number; http?: number | null } = {}): PriceRow {
  const { ours = 100, http = 95, ...rest } = patch;
  return {
    series: "lifecycle",
    n: 200,
    latencyMs: 20,
    sandboxSize: 0,
    op: "create",
    oursMs: ours,
    hostFloorMs: 100,
    httpFloorMs: http,
    ...rest,
  };
}

const targetCell = (ours: Partial<Record<(typeof API_OPS)[number], number>> = {}, http = 95) =>
  API_OPS.map((op) => row({ op, ours: ours[op] ?? 100, http: op === "create" ? http : 90 }));
const growth = (ours = 100) =>
  [0, 200, 1000].map((sandboxSize) => row({ series: "growth", n: 50, sandboxSize, ours }));
const face = (ratio = 1) => ({ commands: ["up", "preview"].map((command) => ({ command, ratio })) });

describe("bench figures and targets (bench/targets.ts)", () => {
  it("a subject's figure is the mean of its samples: a slow sample counts", () => {
    expect(mean([10, 10, 10, 30])).toBe(15);
  });

  it("the spread of ours/host is the same run after run, holds the ratio of means, and is 0 when every pair keeps the ratio", () => {
    const floor = [100, 140, 90, 120, 110, 95, 130, 105];
    const ours = floor.map((x, i) => x * (i % 2 === 0 ? 1.01 : 1.05));
    const range = pairedRatioRange(ours, floor);
    expect(pairedRatioRange(ours, floor)).toEqual(range);
    const ratio = mean(ours) / mean(floor);
    expect(range[0]).toBeLessThanOrEqual(ratio);
    expect(range[1]).toBeGreaterThanOrEqual(ratio);
    expect(range[1]).toBeGreaterThan(range[0]);
    // Both subjects slowed alike in each lifecycle: the machine's swings cancel in the pairs.
    expect(
      pairedRatioRange(
        floor.map((x) => x * 1.02),
        floor,
      ),
    ).toEqual([1.02, 1.02]);
    expect(() => pairedRatioRange([1, 2], [1])).toThrow(/2 samples of ours against 1/);
  });

  it("every API operation at the target cell, create's ours/HTTP, every growth row and every face command is a check", () => {
    const { checks, missing } = targetChecks([...targetCell(), ...growth()], face());
    expect(missing).toEqual([]);
    expect(checks.map((c) => c.what)).toEqual([
      "create, N = 200, 20 ms: ours/host",
      "create, N = 200, 20 ms: ours/HTTP",
      "refresh, N = 200, 20 ms: ours/host",
      "refresh-no-health, N = 200, 20 ms: ours/host",
      "update, N = 200, 20 ms: ours/host",
      "delete, N = 200, 20 ms: ours/host",
      "create, N = 50, 0 sources in the sandbox, 20 ms: ours/host",
      "create, N = 50, 200 sources in the sandbox, 20 ms: ours/host",
      "create, N = 50, 1000 sources in the sandbox, 20 ms: ours/host",
      "plugin face, up: ours/floor",
      "plugin face, preview: ours/floor",
    ]);
    expect(checks.every((c) => c.met)).toBe(true);
  });

  it("a ratio over its limit is missed, one at the limit is met", () => {
    const { checks } = targetChecks(
      [...targetCell({ update: 105.1, delete: 105 }, 86.9), ...growth(105.2)],
      face(1.11),
    );
    const missed = checks.filter((c) => !c.met).map((c) => `${c.what} ${c.value}`);
    expect(missed).toEqual([
      "create, N = 200, 20 ms: ours/HTTP 1.151",
      "update, N = 200, 20 ms: ours/host 1.051",
      "create, N = 50, 0 sources in the sandbox, 20 ms: ours/host 1.052",
      "create, N = 50, 200 sources in the sandbox, 20 ms: ours/host 1.052",
      "create, N = 50, 1000 sources in the sandbox, 20 ms: ours/host 1.052",
      "plugin face, up: ours/floor 1.11",
      "plugin face, preview: ours/floor 1.11",
    ]);
    expect(targetLines(targetChecks([...targetCell({ update: 107 }), ...growth()], face()))).toEqual([
      "targets (issue 11's cell N = 200 at 20 ms, the growth rows, the plugin face): 10 of 11 met",
      "  missed: update, N = 200, 20 ms: ours/host 1.07 (target ≤ 1.05)",
    ]);
  });

  it("a cell without a target is reported, not checked; a run without the target cell says so", () => {
    const elsewhere = [
      row({ n: 50, latencyMs: 0, op: "update", ours: 130 }),
      row({ n: 200, latencyMs: 0, ours: 140 }),
    ];
    const { checks, missing } = targetChecks(elsewhere, undefined);
    expect(checks).toEqual([]);
    expect(missing).toEqual([
      ...API_OPS.map((op) => `${op}, N = 200, 20 ms`),
      "the growth rows",
      "the plugin face",
    ]);
  });
});
