/**
 * The report of `pulumi-copass drift` (src/cli/drift-render.ts): its versioned json shape, the
 * markdown table a PR comment shows, and the text a terminal shows, built from captured refresh
 * previews (drift-fixtures.ts).
 */
import { describe, expect, it } from "vitest";
import { classify, type Classification } from "../../src/cli/drift-classify";
import {
  buildReport,
  code,
  redactReport,
  renderJson,
  renderMarkdown,
  renderText,
  type DriftReport,
} from "../../src/cli/drift-render";
import {
  PENDING_CAPTURE,
  SOURCE_ID,
  captured,
  copyResult,
  sourceOutputs,
  type Captured,
} from "./drift-fixtures";

const META = { stack: "dev", stateAsOf: "2026-12-02T09:43:49.834Z", generatedAt: "2026-12-02T09:50:00.000Z" };

function reportOf(what: Captured | Classification, errors: string[] = []): DriftReport {
  return buildReport(typeof what === "string" ? classify(captured(what)) : what, { ...META, errors });
}

describe("json", () => {
  it("has the documented version-1 shape", () => {
    const json = JSON.parse(renderJson(reportOf("renamed")));
    expect(Object.keys(json)).toEqual([
      "version",
      "stack",
      "stateAsOf",
      "generatedAt",
      "outcome",
      "exitCode",
      "sources",
      "otherResources",
      "errors",
    ]);
    expect(json).toMatchObject({ version: 1, stack: "dev", outcome: "configuration drift", exitCode: 21 });
    expect(json.sources).toEqual([
      {
        name: "crm",
        urn: "urn:pulumi:dev::copass-basic::pulumi-nodejs:dynamic/copass:UserMcpSource::crm",
        type: "pulumi-nodejs:dynamic/copass:UserMcpSource",
        id: SOURCE_ID,
        sandboxId: "sb_scratch",
        baseUrl: "http://127.0.0.1:47002/mcp",
        pendingDelete: false,
        state: "changed",
        changes: [{ field: "name", secret: false, old: "CRM tools", new: "CRM (console edit)" }],
        before: { status: "active", healthError: null },
        now: { status: "active", healthError: null },
        action:
          "run `pulumi up --refresh` to restore the program's values, or change the program to keep Copass's",
      },
    ]);
    expect(json.otherResources).toEqual({ count: 0, changedByRefresh: 0 });
  });

  it("is an error report with the message when the run failed before any event", () => {
    const empty = { sources: [], otherResources: { count: 0, changedByRefresh: 0 }, errors: [] };
    const json = JSON.parse(renderJson(reportOf(empty, ['no stack named "prod"'])));
    expect(json).toMatchObject({
      outcome: "error",
      exitCode: 22,
      sources: [],
      errors: ['no stack named "prod"'],
    });
  });
});

describe("markdown", () => {
  it("names the source, the state and the health error of an MCP outage in a table row", () => {
    const md = renderMarkdown(reportOf("mcp-outage"));
    expect(md).toContain("### Copass drift: stack `dev`: health drift (exit code 20)");
    expect(md).toContain("| Source | State | What changed | What to do |");
    expect(md).toContain(
      '| `crm` (`ds_Q9KAQ4B9JK11XYCJNVRWH4PEEZ`) | 🩺 unhealthy | status `"active"` → `"error"`<br>' +
        'healthError `"connection refused"` | ask the owner of the MCP server to fix it; then ' +
        "`pulumi up --refresh` re-tests it and records the result |",
    );
  });

  it("shows a rename as field: old → new, and a gone source with the way back", () => {
    expect(renderMarkdown(reportOf("renamed"))).toContain(
      '| ✏️ changed | `name`: `"CRM tools"` → `"CRM (console edit)"` |',
    );
    expect(renderMarkdown(reportOf("deleted"))).toContain(
      "| ❌ gone | deleted out of band: Copass has no such source | run `pulumi up --refresh` to register it again",
    );
  });

  it("says a secret field changed and never shows its value", () => {
    const events = captured("in-sync");
    sourceOutputs(events).new.outputs.token = { ciphertext: "tok_should_not_show" };
    const md = renderMarkdown(reportOf(classify(events)));
    expect(md).toContain("| `token` changed |");
    expect(md).not.toContain("tok_should_not_show");
  });

  it("keeps a hostile value inside its code span and its table cell", () => {
    // mutation: code() without the `|` escape → the row gains a cell and this test fails.
    const events = captured("renamed");
    sourceOutputs(events).new.outputs.name = "a | b ` <img src=x>\nsecond line";
    const md = renderMarkdown(reportOf(classify(events)));
    const row = md.split("\n").find((l) => l.startsWith("| `crm`"))!;
    expect(row.split(/(?<!\\)\|/).length).toBe(6); // 4 cells between 5 borders
    expect(row).toContain('`` "a \\| b ` <img src=x>\\nsecond line" ``');
    expect(code("plain", false)).toBe("`plain`");
  });

  it("lists errors and counts the other resources", () => {
    const md = renderMarkdown(reportOf("read-failed", ["pulumi: a | b"]));
    expect(md).toContain("❓ cannot verify | `Copass read of source");
    expect(md).toContain("**Errors**\n\n- `pulumi: a | b`");
    expect(md).toContain("1 UserMcpSource: 1 cannot verify; 0 other resources counted, not judged.");
  });
});

describe("text", () => {
  it("puts the outcome first, then each source with what changed and what to do", () => {
    expect(renderText(reportOf("renamed"))).toBe(
      [
        "Copass drift report for stack dev: configuration drift (exit code 21)",
        "State as of 2026-12-02T09:43:49.834Z, compared at 2026-12-02T09:50:00.000Z.",
        "",
        `crm (${SOURCE_ID}): changed`,
        '  name: "CRM tools" → "CRM (console edit)"',
        "  what to do: run `pulumi up --refresh` to restore the program's values, or change the program to keep Copass's",
        "",
        "1 UserMcpSource: 1 changed; 0 other resources counted, not judged.",
        "",
      ].join("\n"),
    );
  });

  it("says nothing to do for a source in sync", () => {
    const text = renderText(reportOf("in-sync"));
    expect(text).toContain(`crm (${SOURCE_ID}): in sync\n`);
    expect(text).not.toContain("what to do");
    expect(text).toContain("in sync (exit code 0)");
  });
});

describe("a status the state already holds (issue 25)", () => {
  // A `pulumi refresh` already wrote status "error" to state: the read finds what state holds.
  const refreshed = () => {
    const events = captured("mcp-outage");
    Object.assign(sourceOutputs(events).old.outputs, { status: "error", healthError: "connection refused" });
    return classify(events);
  };

  it("says it is already recorded in state, as of the state's date, in text and markdown", () => {
    // mutation: the old wording "(already at the last update)" → both expectations fail.
    const report = buildReport(refreshed(), META);
    expect(renderText(report)).toContain(
      '  status "error" already recorded in state (as of 2026-12-02T09:43:49.834Z)\n',
    );
    expect(renderMarkdown(report)).toContain(
      'status `"error"` already recorded in state (as of 2026-12-02T09:43:49.834Z)<br>',
    );
  });

  it("leaves the date out when the state's date is unknown", () => {
    const text = renderText(buildReport(refreshed(), { ...META, stateAsOf: null }));
    expect(text).toContain('  status "error" already recorded in state\n');
    expect(text).not.toContain("last update");
  });
});

describe("a copy pending delete (issue 22)", () => {
  const { liveId, oldId } = PENDING_CAPTURE;

  it("is its own row, named as pending delete, with nothing for the user to do", () => {
    // mutation: sourceLabel without " (pending delete)" → this test fails.
    const report = reportOf("pending-delete");
    const text = renderText(report);
    expect(text).toContain(`\ncrm (${liveId}): in sync\n`);
    expect(text).toContain(
      [
        `crm (${oldId}) (pending delete): gone`,
        '  revoked (status "disconnected")',
        "  what to do: nothing: a replacement meant to delete it; the next `pulumi up` drops it from state",
      ].join("\n"),
    );
    expect(text).toContain("2 UserMcpSources (1 pending delete): 1 in sync, 1 gone;");
    expect(report).toMatchObject({ outcome: "in sync", exitCode: 0 });
    expect(renderMarkdown(report)).toContain(
      `\n| \`crm\` (\`${oldId}\`) (pending delete) | ❌ gone | revoked (status \`"disconnected"\`) |`,
    );
  });

  it("still exists: the next up deletes it", () => {
    const events = captured("pending-delete");
    const old = copyResult(events, true);
    Object.assign(old, { op: "same", new: old.old });
    const verdict = reportOf(classify(events)).sources[1]!;
    expect(verdict).toMatchObject({ id: oldId, pendingDelete: true, state: "in sync" });
    expect(verdict.action).toBe(
      "nothing here: the old copy of a replacement whose delete failed; the next `pulumi up` deletes it",
    );
  });
});

describe("redactReport", () => {
  it("redacts every string of the report's data, object keys and nested values included", () => {
    // ingestToolCalls[].arguments is a user's object: a key may hold anything.
    // mutation: keep keys as they are in redactReport → the key check fails.
    const secret = "sk_nested_7Hq2Lm";
    const events = captured("in-sync");
    sourceOutputs(events).new.outputs.ingestToolCalls = [{ name: "sync", arguments: { [secret]: [secret] } }];
    const report = redactReport(reportOf(classify(events), [`err ${secret}`]), [secret]);
    expect(report.sources[0]!.changes[0]!.new).toEqual([
      { name: "sync", arguments: { "[redacted]": ["[redacted]"] } },
    ]);
    expect(report.errors).toEqual(["err [redacted]"]);
    expect(JSON.stringify(report)).not.toContain(secret);
    expect(report.exitCode).toBe(22); // numbers and booleans pass through
  });
});
