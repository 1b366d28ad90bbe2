/**
 * What the bench's rows say in a user's terms (issue 24), computed from results.json's rows:
 *   - the price of exactly-once creates: the snapshot listing a create makes before it registers,
 *     so that it never takes a twin stack's source (DESIGN §2), priced by the HTTP floor with and
 *     without it (`httpFloorMs` vs `createOneCallHttpMs`), per create;
 *   - how create grows with the sandbox: ms per create per 1000 sources already in the sandbox
 *     (the listing returns them all: the API has no paging), for ours and both floors.
 */
export interface PriceRow {
  series: "lifecycle" | "growth";
  n: number;
  latencyMs: number;
  sandboxSize: number;
  op: string;
  oursMs: number;
  hostFloorMs: number;
  httpFloorMs: number | null;
  createOneCallHttpMs?: number | null;
}

export interface TwinSafetyPrice {
  latencyMs: number;
  /** One create alone (N = 1): the listing's round trip, ms. */
  oneCreateMs: number;
  /** N creates, `parallel` in flight: the extra wall time divided by N, ms per create. */
  n: number;
  perCreateMs: number;
}

export interface GrowthPrice {
  latencyMs: number;
  n: number;
  /** The largest sandbox measured. */
  sandboxSize: number;
  /** (create at sandboxSize − create at 0) / N / (sandboxSize / 1000), per subject. */
  msPerCreatePer1000Sources: { ours: number; hostFloor: number; httpFloor: number | null };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Per latency: what the snapshot costs one create alone, and per create at the largest N. */
export function twinSafetyPrices(rows: readonly PriceRow[]): TwinSafetyPrice[] {
  const creates = rows.filter(
    (r) =>
      r.series === "lifecycle" && r.op === "create" && r.httpFloorMs != null && r.createOneCallHttpMs != null,
  );
  const out: TwinSafetyPrice[] = [];
  for (const latencyMs of [...new Set(creates.map((r) => r.latencyMs))]) {
    const at = creates.filter((r) => r.latencyMs === latencyMs).sort((a, b) => a.n - b.n);
    const [smallest, largest] = [at[0]!, at[at.length - 1]!];
    const extra = (r: PriceRow) => (r.httpFloorMs! - r.createOneCallHttpMs!) / r.n;
    out.push({
      latencyMs,
      oneCreateMs: round2(smallest.n === 1 ? extra(smallest) : NaN),
      n: largest.n,
      perCreateMs: round2(extra(largest)),
    });
  }
  return out;
}

/** Per latency: ms per create per 1000 sources in the sandbox, between S = 0 and the largest S. */
export function growthPrices(rows: readonly PriceRow[]): GrowthPrice[] {
  const creates = rows.filter((r) => r.series === "growth" && r.op === "create");
  const out: GrowthPrice[] = [];
  for (const latencyMs of [...new Set(creates.map((r) => r.latencyMs))]) {
    const at = creates.filter((r) => r.latencyMs === latencyMs).sort((a, b) => a.sandboxSize - b.sandboxSize);
    const [empty, full] = [at[0]!, at[at.length - 1]!];
    if (empty.sandboxSize !== 0 || full.sandboxSize === 0) continue;
    const slope = (a: number, b: number) => round2((b - a) / full.n / (full.sandboxSize / 1000));
    out.push({
      latencyMs,
      n: full.n,
      sandboxSize: full.sandboxSize,
      msPerCreatePer1000Sources: {
        ours: slope(empty.oursMs, full.oursMs),
        hostFloor: slope(empty.hostFloorMs, full.hostFloorMs),
        httpFloor:
          empty.httpFloorMs == null || full.httpFloorMs == null
            ? null
            : slope(empty.httpFloorMs, full.httpFloorMs),
      },
    });
  }
  return out;
}
