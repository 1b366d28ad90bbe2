import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { diff, differingFields, updatePlan, type DiffResult } from "../../src/provider/diff";
import type { DataSource } from "../../src/client/types";
import { userMcpRow } from "../support/rows";
import { buildOutputs } from "../../src/provider/outputs";
import { UNKNOWN, checkInputs, type NormalizedInputs } from "../../src/provider/schema";
import { HERE, arbProgram, checkedInputs } from "./fixtures";

const ID = "ds_1";
const TOKEN = "tok-old-123456";

function inputs(patch: Record<string, unknown> = {}): NormalizedInputs {
  return checkedInputs(TOKEN, patch);
}

/** Outputs of a source created from `patch`, with a given status. */
function outs(patch: Record<string, unknown> = {}, status = "active"): Record<string, unknown> {
  const x = inputs(patch);
  return buildOutputs(
    x,
    ID,
    { status, healthError: status === "active" ? null : "boom", ingestionMode: "user_mcp" },
    x.appNamespace ?? ID,
    HERE,
  );
}

const none: DiffResult = { changes: false, replaces: [], deleteBeforeReplace: false };
const update: DiffResult = { changes: true, replaces: [], deleteBeforeReplace: false };

describe("diff", () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>, DiffResult, string?]>([
    ["no change", {}, {}, none],
    ["rename → update", {}, { name: "CRM 2" }, update],
    ["baseUrl → update", {}, { baseUrl: "https://mcp2.example.com/mcp" }, update],
    ["token rotation → update, no replace", {}, { token: "tok-new-654321" }, update],
    // Auth-kind switches (issue 15 §4). PATCH reads null as omitted (reference §7.1), so it can
    // neither clear auth_header nor delete the vault token: a switch that must drop either
    // registers a new source, and the old one's revoke deletes its token from the vault.
    // mutation: drop `onRemove: "replace"` from FIELDS.token (schema.ts) → the rows that switch
    // to none become updates and fail; from FIELDS.authHeader → the rows leaving header_token fail.
    [
      "authKind bearer → none → replace (only a revoke deletes the vault token)",
      {},
      { authKind: "none", token: undefined },
      { changes: true, replaces: ["token"], deleteBeforeReplace: false },
    ],
    [
      "authKind header_token → bearer → replace (PATCH cannot clear auth_header)",
      { authKind: "header_token", authHeader: "X-Api-Key" },
      { authKind: "bearer", authHeader: undefined },
      { changes: true, replaces: ["authHeader"], deleteBeforeReplace: false },
    ],
    [
      "authKind header_token → none → replace (auth_header and the vault token)",
      { authKind: "header_token", authHeader: "X-Api-Key" },
      { authKind: "none", authHeader: undefined, token: undefined },
      { changes: true, replaces: ["token", "authHeader"], deleteBeforeReplace: false },
    ],
    [
      "authKind switch to none keeping an explicit namespace → delete first",
      { appNamespace: "crm" },
      { appNamespace: "crm", authKind: "none", token: undefined },
      { changes: true, replaces: ["token"], deleteBeforeReplace: true },
    ],
    [
      "authKind bearer → header_token → update (auth_header is set, not cleared)",
      {},
      { authKind: "header_token", authHeader: "X-Api-Key" },
      update,
    ],
    [
      "authKind none → bearer → update (a token is added to the vault)",
      { authKind: "none", token: undefined },
      { authKind: "bearer", token: "tok-new-654321" },
      update,
    ],
    [
      "authKind header_token, another header → update",
      { authKind: "header_token", authHeader: "X-Api-Key" },
      { authHeader: "X-Other-Key" },
      update,
    ],
    ["allowedTools added → update", {}, { allowedTools: ["a"] }, update],
    ["allowedTools reordered → no change", { allowedTools: ["a", "b"] }, { allowedTools: ["b", "a"] }, none],
    [
      "allowedTools removed → replace (cannot be cleared in place)",
      { allowedTools: ["a"] },
      { allowedTools: undefined },
      { changes: true, replaces: ["allowedTools"], deleteBeforeReplace: false },
    ],
    ["rate cap → update", {}, { rateCapPerMinute: 10 }, update],
    [
      "sandboxId → replace",
      {},
      { sandboxId: "sb_2" },
      { changes: true, replaces: ["sandboxId"], deleteBeforeReplace: false },
    ],
    [
      "ingestToolCalls → replace",
      {},
      { ingestToolCalls: [{ name: "pull" }] },
      { changes: true, replaces: ["ingestToolCalls"], deleteBeforeReplace: false },
    ],
    [
      "ingestToolCalls argument key order → no change",
      { ingestToolCalls: [{ name: "p", arguments: { a: 1, b: 2 } }] },
      { ingestToolCalls: [{ name: "p", arguments: { b: 2, a: 1 } }] },
      none,
    ],
    [
      "replace in the same sandbox keeping an explicit namespace → delete before replace",
      { appNamespace: "crm" },
      { appNamespace: "crm", ingestToolCalls: [{ name: "pull" }] },
      { changes: true, replaces: ["ingestToolCalls"], deleteBeforeReplace: true },
    ],
    [
      "sandbox move keeping the namespace → create first (no outage; a failed create keeps the old)",
      { appNamespace: "crm" },
      { appNamespace: "crm", sandboxId: "sb_2" },
      { changes: true, replaces: ["sandboxId"], deleteBeforeReplace: false },
    ],
    [
      "sandbox move and ingestToolCalls change keeping the namespace → create first",
      { appNamespace: "crm" },
      { appNamespace: "crm", sandboxId: "sb_2", ingestToolCalls: [{ name: "pull" }] },
      { changes: true, replaces: ["sandboxId", "ingestToolCalls"], deleteBeforeReplace: false },
    ],
    [
      "replace changing the namespace → create first",
      { appNamespace: "crm" },
      { appNamespace: "crm2", sandboxId: "sb_2" },
      { changes: true, replaces: ["sandboxId"], deleteBeforeReplace: false },
    ],
    [
      "replace with the server's namespace → create first",
      {},
      { sandboxId: "sb_2" },
      { changes: true, replaces: ["sandboxId"], deleteBeforeReplace: false },
    ],
    ["appNamespace removed from the program → no change (kept)", { appNamespace: "crm" }, {}, none],
    ["appNamespace equal to the resolved one → no change", {}, { appNamespace: ID }, none],
    [
      "deletionPolicy → update without API call (delete sees only outputs)",
      {},
      { deletionPolicy: "delete" },
      update,
    ],
    ["healthCheckOnRefresh → update without API call", {}, { healthCheckOnRefresh: false }, update],
    [
      "adoptExisting alone → no change (create-only)",
      { appNamespace: "crm" },
      { appNamespace: "crm", adoptExisting: true },
      none,
    ],
    ["unknown name → change", {}, { name: UNKNOWN }, update],
    [
      "unknown inside allowedTools → change",
      { allowedTools: ["a"] },
      { allowedTools: ["a", UNKNOWN] },
      update,
    ],
    [
      "unknown sandboxId → replace",
      {},
      { sandboxId: UNKNOWN },
      { changes: true, replaces: ["sandboxId"], deleteBeforeReplace: false },
    ],
    [
      "unknown inside ingestToolCalls → replace",
      {},
      { ingestToolCalls: [{ name: UNKNOWN }] },
      { changes: true, replaces: ["ingestToolCalls"], deleteBeforeReplace: false },
    ],
    [
      "unknown appNamespace on replace → create first",
      { appNamespace: "crm" },
      { appNamespace: UNKNOWN, sandboxId: "sb_2" },
      { changes: true, replaces: ["sandboxId"], deleteBeforeReplace: false },
    ],
  ])("%s", (_case, before, after, expected) => {
    const news = { ...inputs(before), ...after } as Record<string, unknown>;
    for (const [k, v] of Object.entries(after)) if (v === undefined) delete news[k];
    // A row that does not mention appNamespace means the program does not set it.
    if (!("appNamespace" in after)) delete news.appNamespace;
    expect(diff(outs(before), news)).toEqual(expected);
  });

  it.each<[string, string, Record<string, unknown>, DiffResult]>([
    ["health drift: error under require → update that re-tests", "error", {}, update],
    ["health drift: error under warn → update", "error", { healthPolicy: "warn" }, update],
    ["health drift: error under ignore → no change", "error", { healthPolicy: "ignore" }, none],
    [
      "health drift: revoked out of band → replace",
      "disconnected",
      {},
      { changes: true, replaces: ["status"], deleteBeforeReplace: false },
    ],
    [
      // One list of retired statuses (client/vocabulary.ts). mutation: `isRetired` → `=== "disconnected"`
      // in diff.ts → an update that re-tests a source that can never heal: this row fails.
      "health drift: archived (retired, like revoked) → replace",
      "archived",
      {},
      { changes: true, replaces: ["status"], deleteBeforeReplace: false },
    ],
    [
      "health drift: revoked, explicit namespace kept → delete first",
      "disconnected",
      { appNamespace: "crm" },
      { changes: true, replaces: ["status"], deleteBeforeReplace: true },
    ],
  ])("%s", (_case, status, patch, expected) => {
    const news: Record<string, unknown> = { ...inputs(patch) };
    expect(diff(outs(patch, status), news)).toEqual(expected);
  });

  it("reads a defaulted field missing from older state as its default (no replace, no PATCH)", () => {
    const older = outs();
    for (const key of ["ingestToolCalls", "rateCapPerMinute", "webhookRateCapPerMinute", "healthPolicy"]) {
      delete older[key];
    }
    const news = { ...inputs() } as Record<string, unknown>;
    delete news.appNamespace;
    expect(diff(older, news)).toEqual(none);
    expect(updatePlan(older, inputs()).body).toEqual({});
    // A real change of such a field is still one.
    expect(diff(older, { ...news, ingestToolCalls: [{ name: "pull" }] }).replaces).toEqual([
      "ingestToolCalls",
    ]);
  });

  it("ignores __provider and the outputs-only keys", () => {
    const news = {
      ...inputs(),
      __provider: "new code",
      dataSourceId: "other",
      status: "error",
      healthError: "x",
    };
    expect(diff({ ...outs(), __provider: "old code" }, news)).toEqual(none);
  });

  it("property: diff(outs(x), x) has no changes for every valid x", () => {
    fc.assert(
      fc.property(arbProgram, (program) => {
        const checked = checkInputs(program);
        if (!checked.ok) throw new Error(JSON.stringify(checked.failures));
        const x = checked.inputs;
        const o = buildOutputs(
          x,
          ID,
          { status: "active", healthError: null, ingestionMode: "user_mcp" },
          x.appNamespace ?? ID,
          HERE,
        );
        expect(diff(o, x as unknown as Record<string, unknown>)).toEqual(none);
        expect(updatePlan(o, x)).toEqual({ body: {}, retest: false });
      }),
      { numRuns: 300 },
    );
  });
});

describe("differingFields: the one comparator of a Copass row and the desired inputs", () => {
  // Adoption names these fields; create's reconciliation of a lost answer takes a new row as its own
  // only when there are none. Same rule as the diff (fieldChanged after read's mapping).
  const row = (config: Record<string, unknown> = {}, over: Partial<DataSource> = {}): DataSource =>
    userMcpRow(ID, config, { name: "CRM", ...over });
  it.each<[string, DataSource, Record<string, unknown>, string[]]>([
    ["the same configuration (server defaults filled in)", row(), {}, []],
    ["another name", row({}, { name: "billing" }), {}, ["name"]],
    ["another base_url", row({ base_url: "https://other.example.com/mcp" }), {}, ["baseUrl"]],
    ["another auth_kind", row({ auth_kind: "none" }), {}, ["authKind"]],
    [
      "another auth_header",
      row({ auth_kind: "header_token", auth_header: "X-A" }),
      { authKind: "header_token", authHeader: "X-B" },
      ["authHeader"],
    ],
    ["another rate cap", row({ rate_cap_per_minute: 61 }), {}, ["rateCapPerMinute"]],
    ["another webhook rate cap", row({ webhook_rate_cap_per_minute: 1 }), {}, ["webhookRateCapPerMinute"]],
    ["an allowlist where the program has none", row({ allowed_tools: ["a"] }), {}, ["allowedTools"]],
    ["the allowlist in another order", row({ allowed_tools: ["b", "a"] }), { allowedTools: ["a", "b"] }, []],
    [
      "other ingest tool calls",
      row({ ingest_tool_calls: [{ name: "pull", arguments: null }] }),
      {},
      ["ingestToolCalls"],
    ],
    [
      "ingest tool calls with null arguments for omitted ones",
      row({ ingest_tool_calls: [{ name: "pull", arguments: null }] }),
      { ingestToolCalls: [{ name: "pull" }] },
      [],
    ],
    ["a row that omits keys (undocumented adapter_config)", row({}, { adapter_config: {} }), {}, []],
    ["the program's namespace", row({ app_namespace: "crm" }), { appNamespace: "crm" }, []],
    ["another namespace", row({ app_namespace: "x" }), { appNamespace: "crm" }, ["appNamespace"]],
    [
      "no namespace in the program: the server's is not held against the row",
      row({ app_namespace: "x" }),
      {},
      [],
    ],
  ])("%s", (_name, source, patch, expected) => {
    expect(differingFields(source, inputs(patch))).toEqual(expected);
  });
});

describe("updatePlan: the PATCH body", () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>]>([
    ["nothing changed → empty", {}, {}, {}],
    ["rename → name only", {}, { name: "CRM 2" }, { name: "CRM 2" }],
    ["token rotation → token only", {}, { token: "tok-new-654321" }, { token: "tok-new-654321" }],
    [
      "baseUrl → base_url only, token not resent",
      {},
      { baseUrl: "https://b.example.com/mcp" },
      { base_url: "https://b.example.com/mcp" },
    ],
    [
      "to header_token → auth_kind and auth_header",
      {},
      { authKind: "header_token", authHeader: "X-Key" },
      { auth_kind: "header_token", auth_header: "X-Key" },
    ],
    [
      "none → bearer → auth_kind and the token",
      { authKind: "none", token: undefined },
      { authKind: "bearer", token: "tok-new-654321" },
      { auth_kind: "bearer", token: "tok-new-654321" },
    ],
    [
      "caps → snake_case",
      {},
      { rateCapPerMinute: 5, webhookRateCapPerMinute: 7 },
      { rate_cap_per_minute: 5, webhook_rate_cap_per_minute: 7 },
    ],
    ["provider-only fields → nothing sent", {}, { healthPolicy: "warn", deletionPolicy: "delete" }, {}],
    ["ingestToolCalls never patched", {}, { ingestToolCalls: [{ name: "x" }] }, {}],
  ])("%s", (_case, before, after, expected) => {
    expect(updatePlan(outs(before), inputs({ ...before, ...after })).body).toEqual(expected);
  });
});

describe("updatePlan: the re-test", () => {
  it.each<[string, Record<string, unknown>, string, boolean]>([
    ["rename: no", { name: "CRM 2" }, "active", false],
    ["baseUrl: yes", { baseUrl: "https://b.example.com/mcp" }, "active", true],
    ["token: yes", { token: "tok-new-654321" }, "active", true],
    ["authKind: yes", { authKind: "none", token: undefined }, "active", true],
    ["health drift under require: yes", {}, "error", true],
    ["health drift under ignore: no", { healthPolicy: "ignore" }, "error", false],
  ])("%s", (_case, after, status, expected) => {
    expect(updatePlan(outs({}, status), inputs(after)).retest).toBe(expected);
  });
});
