/**
 * What a register proves (src/client/register-fate.ts), as tables: its 2xx answer, its failure, and
 * the listing that reconciles a lost one. Pure functions, no sockets; the loop that acts on them is
 * test/client/create-once.test.ts.
 */
import { describe, expect, it } from "vitest";
import {
  CopassConflictError,
  CopassNetworkError,
  CopassRateLimitedError,
  CopassServerError,
  CopassTimeoutError,
  CopassValidationError,
  type CopassError,
} from "../../src/client/errors";
import {
  answerFate,
  createdOutcome,
  fateOf,
  nextStep,
  reconcile,
  type AnswerFate,
  type NextStep,
  type Reconciliation,
} from "../../src/client/register-fate";
import type { DataSource, UserMcpResult } from "../../src/client/types";

describe("answerFate: what a 2xx register answer proves", () => {
  it.each<[string, UserMcpResult, AnswerFate]>([
    ["an id, no error", { data_source_id: "ds_1", status: "active" }, "created"],
    // Copass writes the row before the health check (reference §1.0): the id means it exists.
    // mutation: `if (result.error) return "refused"` first → this row fails.
    ["an id and an error", { data_source_id: "ds_1", error: "health_check_failed" }, "created"],
    // The id can only name the holder: never ours.
    ["namespace_conflict with an id", { data_source_id: "ds_x", error: "namespace_conflict" }, "refused"],
    ["namespace_conflict without an id", { data_source_id: null, error: "namespace_conflict" }, "refused"],
    ["an error without an id", { error: "invalid_base_url" }, "refused"],
    ["neither", { status: "active" }, "unnamed"],
  ])("%s", (_name, result, fate) => {
    expect(answerFate(result)).toBe(fate);
  });

  it("reads a created answer with an error as unhealthy, the reason redacted", () => {
    const out = createdOutcome(
      { data_source_id: "ds_1", error: "boom", detail: "tok_SECRET_1 refused" },
      (t) => t.replace("tok_SECRET_1", "[redacted]"),
    );
    expect(out).toMatchObject({
      data_source_id: "ds_1",
      status: "error",
      health_error: "boom: [redacted] refused",
    });
  });
});

describe("fateOf: what a failed register proves", () => {
  const net = (code: string) =>
    new CopassNetworkError("x", { operation: "register", cause: Object.assign(new Error(code), { code }) });
  it.each<[string, CopassError, string]>([
    ["connection refused", net("ECONNREFUSED"), "not-processed"],
    ["DNS failure", net("ENOTFOUND"), "not-processed"],
    [
      "connect timeout",
      new CopassTimeoutError("x", {
        operation: "register",
        cause: Object.assign(new Error("c"), { code: "UND_ERR_CONNECT_TIMEOUT" }),
      }),
      "not-processed",
    ],
    ["429", new CopassRateLimitedError("x", { operation: "register", status: 429 }), "not-processed"],
    ["a reset after sending", net("ECONNRESET"), "may-have-committed"],
    ["a closed socket", net("UND_ERR_SOCKET"), "may-have-committed"],
    [
      "a response timeout",
      new CopassTimeoutError("x", {
        operation: "register",
        cause: Object.assign(new Error("h"), { code: "UND_ERR_HEADERS_TIMEOUT" }),
      }),
      "may-have-committed",
    ],
    ["a 500", new CopassServerError("x", { operation: "register", status: 500 }), "may-have-committed"],
    [
      "a 502 (a proxy)",
      new CopassServerError("x", { operation: "register", status: 502 }),
      "may-have-committed",
    ],
    ["a 400", new CopassValidationError("x", { operation: "register", status: 400 }), "refused"],
  ])("%s", (_name, error, fate) => {
    expect(fateOf(error)).toBe(fate);
  });
});

describe("nextStep: what a failed attempt leads to", () => {
  const conflict = new CopassConflictError("x", { operation: "register", status: 400 });
  const reset = new CopassNetworkError("x", {
    operation: "register",
    cause: Object.assign(new Error("r"), { code: "ECONNRESET" }),
  });
  const rateLimited = new CopassRateLimitedError("x", { operation: "register", status: 429 });
  it.each<[string, CopassError, { lostBefore: boolean; namespace?: string }, NextStep]>([
    ["a reset", reset, { lostBefore: false }, "reconcile"],
    ["a 429", rateLimited, { lostBefore: false, namespace: "crm" }, "resend"],
    ["a first conflict", conflict, { lostBefore: false, namespace: "crm" }, "give-up"],
    // The retry after a lost attempt meets that attempt's own source. mutation: drop the
    // `lostBefore && namespace && COPASS_CONFLICT` branch of nextStep → "give-up": this row fails, and
    // so does create-once.test's "a late commit with a namespace" (the source it made is refused).
    ["a conflict after a lost attempt", conflict, { lostBefore: true, namespace: "crm" }, "reconcile"],
    ["a conflict after a lost attempt, no namespace", conflict, { lostBefore: true }, "give-up"],
  ])("%s", (_name, error, context, step) => {
    expect(nextStep(error, context)).toBe(step);
  });
});

describe("reconcile: what the listing after a lost answer proves", () => {
  const row = (id: string, namespace: string, over: Partial<DataSource> = {}): DataSource => ({
    data_source_id: id,
    provider: "user_mcp",
    name: "crm",
    status: "active",
    adapter_config: { app_namespace: namespace },
    ...over,
  });
  const alike = () => true;
  const differs = () => false;
  const kindOf = (r: Reconciliation) =>
    r.kind === "ours"
      ? `ours ${r.row.data_source_id}`
      : r.kind === "held"
        ? `held ${r.holder.data_source_id}`
        : r.kind;
  const table: [string, DataSource[], string[], string | undefined, (row: DataSource) => boolean, string][] =
    [
      ["a new matching holder", [row("ds_1", "crm")], [], "crm", alike, "ours ds_1"],
      // mutation: drop `!before.has(...)` → "ours ds_a": a twin stack's source taken over.
      ["an identical holder from the snapshot", [row("ds_a", "crm")], ["ds_a"], "crm", alike, "held ds_a"],
      ["a new holder that differs", [row("ds_x", "crm")], [], "crm", differs, "held ds_x"],
      ["no holder", [row("ds_o", "other")], [], "crm", alike, "absent"],
      ["a retired holder only", [row("ds_r", "crm", { status: "archived" })], [], "crm", alike, "absent"],
      ["another provider's row", [row("ds_p", "crm", { provider: "slack" })], [], "crm", alike, "absent"],
      [
        "no namespace, one new match",
        [row("ds_old", "ds_old"), row("ds_1", "ds_1")],
        ["ds_old"],
        undefined,
        alike,
        "ours ds_1",
      ],
      ["no namespace, none new", [row("ds_old", "ds_old")], ["ds_old"], undefined, alike, "unknown"],
      ["no namespace, two new", [row("ds_1", "ds_1"), row("ds_2", "ds_2")], [], undefined, alike, "several"],
    ];
  it.each(
    table.map(([name, rows, before, namespace, matches, expected]) => ({
      name,
      rows,
      before,
      namespace,
      matches,
      expected,
    })),
  )("$name → $expected", ({ rows, before, namespace, matches, expected }) => {
    expect(kindOf(reconcile(rows, { before: new Set(before), namespace, matches }))).toBe(expected);
  });
});
