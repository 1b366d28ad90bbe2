/**
 * The verdicts of `pulumi-copass drift` (src/cli/drift-classify.ts) on engine events captured from
 * a real refresh preview (drift-fixtures.ts), and on copies edited to reach the rarer shapes.
 */
import { describe, expect, it } from "vitest";
import {
  EXIT_CODES,
  NOT_READ,
  classify,
  outcomeOf,
  type EngineEventLike,
} from "../../src/cli/drift-classify";
import {
  PENDING_CAPTURE,
  SOURCE_ID,
  SOURCE_URN,
  captured,
  copyResult,
  pendingCopyLast,
  sourceOutputs,
  withoutResult,
} from "./drift-fixtures";

const only = (events: EngineEventLike[]) => {
  const { sources } = classify(events);
  expect(sources).toHaveLength(1);
  return sources[0]!;
};

describe("classify on captured refresh previews", () => {
  it("reads an unchanged stack as in sync, exit 0", () => {
    const result = classify(captured("in-sync"));
    expect(result.sources).toEqual([
      expect.objectContaining({ name: "crm", urn: SOURCE_URN, id: SOURCE_ID, state: "in sync", changes: [] }),
    ]);
    // The stack and the default provider are neither judged nor counted.
    expect(result.otherResources).toEqual({ count: 0, changedByRefresh: 0 });
    expect(EXIT_CODES[outcomeOf(result)]).toBe(0);
  });

  it("reads an MCP outage as unhealthy with status and healthError then and now, exit 20", () => {
    const result = classify(captured("mcp-outage"));
    expect(result.sources[0]).toMatchObject({
      state: "unhealthy",
      changes: [],
      before: { status: "active", healthError: null },
      now: { status: "error", healthError: "connection refused" },
      baseUrl: "http://127.0.0.1:47002/mcp",
    });
    expect(outcomeOf(result)).toBe("health drift");
    expect(EXIT_CODES[outcomeOf(result)]).toBe(20);
  });

  it("reads a console rename as changed: field name, old → new, exit 21", () => {
    const result = classify(captured("renamed"));
    expect(result.sources[0]).toMatchObject({
      state: "changed",
      changes: [{ field: "name", secret: false, old: "CRM tools", new: "CRM (console edit)" }],
    });
    expect(EXIT_CODES[outcomeOf(result)]).toBe(21);
  });

  it("reads an out-of-band revoke (status disconnected) as gone, revoked, keeping the changed fields", () => {
    const verdict = only(captured("revoked-and-renamed"));
    expect(verdict).toMatchObject({ state: "gone", goneBecause: "revoked", now: { status: "disconnected" } });
    expect(verdict.changes.map((c) => c.field)).toEqual(["name"]);
    expect(outcomeOf(classify(captured("revoked-and-renamed")))).toBe("configuration drift");
  });

  it("reads an archived source as gone too: every retired status is", () => {
    // mutation: `now.status === "disconnected"` instead of isRetired → this test fails.
    const events = captured("revoked-and-renamed");
    sourceOutputs(events).new.outputs.status = "archived";
    expect(only(events)).toMatchObject({ state: "gone", goneBecause: "archived" });
  });

  it("reads an out-of-band delete (the refresh would delete it) as gone, deleted", () => {
    const verdict = only(captured("deleted"));
    expect(verdict).toMatchObject({ state: "gone", goneBecause: "deleted", now: null, id: SOURCE_ID });
    expect(verdict.before.status).toBe("active");
  });

  it("reads a failed read as cannot verify with the provider's message (engine prefix removed), exit 22", () => {
    const result = classify(captured("read-failed"));
    expect(result.sources[0]).toMatchObject({
      state: "cannot verify",
      now: null,
      message: `Copass read of source ${SOURCE_ID} in sandbox sb_scratch failed: get: HTTP 500 internal: boom [redacted]`,
    });
    // The provider's stack trace (severity info#err) and the engine's "preview failed" are noise.
    expect(result.errors).toEqual([]);
    expect(EXIT_CODES[outcomeOf(result)]).toBe(22);
  });
});

describe("classify on edited captures", () => {
  it("judges the plugin's type token copass:index:UserMcpSource like the dynamic one", () => {
    const events = captured("renamed");
    for (const e of events) {
      const meta = e.resourcePreEvent?.metadata ?? e.resOutputsEvent?.metadata;
      if (meta?.urn === SOURCE_URN) meta.type = "copass:index:UserMcpSource";
    }
    expect(only(events)).toMatchObject({ state: "changed", type: "copass:index:UserMcpSource" });
  });

  it("says a secret field changed without any value of it", () => {
    // The engine masks secrets as "[secret]"; a different envelope stands for a token changed behind
    // our back. mutation: report secret fields like the others (old/new) → this test fails.
    const events = captured("in-sync");
    sourceOutputs(events).new.outputs.token = {
      "4dabf18193072939515e22adb298388d": "x",
      ciphertext: "other",
    };
    const verdict = only(events);
    expect(verdict).toMatchObject({ state: "changed", changes: [{ field: "token", secret: true }] });
    expect(verdict.changes[0]).not.toHaveProperty("old");
    expect(verdict.changes[0]).not.toHaveProperty("new");
  });

  it("takes new output-only keys (issue 15's apiEndpoint, tenantId) for no configuration drift", () => {
    // mutation: compare every output key instead of the field table's → this test fails.
    const events = captured("in-sync");
    Object.assign(sourceOutputs(events).new.outputs, {
      apiEndpoint: "http://127.0.0.1:47001",
      tenantId: "usr_1",
    });
    expect(only(events).state).toBe("in sync");
  });

  it("compares allowedTools as a set, as the plan does: a reordered list is no drift", () => {
    const events = captured("in-sync");
    sourceOutputs(events).new.outputs.allowedTools = ["get_account", "search_accounts"];
    expect(only(events).state).toBe("in sync");
  });

  it("takes an unhealthy source under healthPolicy ignore as in sync, as the plan does", () => {
    // mutation: unhealthy whenever status is not active (without hasHealthDrift) → this test fails.
    const events = captured("mcp-outage");
    const step = sourceOutputs(events);
    step.old.outputs.healthPolicy = step.new.outputs.healthPolicy = "ignore";
    expect(only(events)).toMatchObject({ state: "in sync", now: { status: "error" } });
  });

  it("reports a source the refresh started but never finished as cannot verify", () => {
    const events = captured("in-sync").filter((e) => e.resOutputsEvent?.metadata.urn !== SOURCE_URN);
    expect(only(events)).toMatchObject({
      state: "cannot verify",
      message: expect.stringMatching(/^not read/),
    });
  });

  it("counts other resources without judging them, and keeps their errors apart", () => {
    const bucketUrn = "urn:pulumi:dev::copass-basic::aws:s3/bucket:Bucket::logs";
    const bucket = {
      op: "update",
      urn: bucketUrn,
      type: "aws:s3/bucket:Bucket",
      old: { id: "b" },
      new: { id: "b" },
    };
    const failing = { ...bucket, urn: `${bucketUrn}2`, op: "refresh" };
    const events: EngineEventLike[] = [
      ...captured("in-sync"),
      { resourcePreEvent: { metadata: { ...bucket, op: "refresh" } } },
      { resOutputsEvent: { metadata: bucket } },
      { resourcePreEvent: { metadata: failing } },
      {
        diagnosticEvent: {
          urn: `${bucketUrn}2`,
          severity: "error",
          message: "Preview failed: access denied\n",
        },
      },
      { diagnosticEvent: { severity: "error", message: "preview failed\n" } },
    ];
    const result = classify(events);
    expect(result.sources.map((s) => s.state)).toEqual(["in sync"]);
    expect(result.otherResources).toEqual({ count: 2, changedByRefresh: 1 });
    expect(result.errors).toEqual(["logs2: access denied"]);
    expect(outcomeOf(result)).toBe("error");
  });

  it("lets the most serious outcome win: error > configuration drift > health drift > in sync", () => {
    const verdicts = (...names: Parameters<typeof captured>[0][]) =>
      classify(
        names.flatMap((name, i) =>
          captured(name).map((e) => JSON.parse(JSON.stringify(e).replaceAll("::crm", `::crm${i}`))),
        ),
      );
    expect(outcomeOf(verdicts("in-sync", "mcp-outage"))).toBe("health drift");
    expect(outcomeOf(verdicts("mcp-outage", "renamed"))).toBe("configuration drift");
    expect(outcomeOf(verdicts("mcp-outage", "deleted"))).toBe("configuration drift");
    expect(outcomeOf(verdicts("renamed", "read-failed"))).toBe("error");
    expect(verdicts("renamed", "in-sync").sources.map((s) => s.name)).toEqual(["crm0", "crm1"]);
  });
});

describe("classify: two copies of one URN (a replacement whose delete failed, issue 22)", () => {
  const { urn, liveId, oldId } = PENDING_CAPTURE;
  // The engine reads both copies at once: either result may come last.
  const orders = [
    ["as captured: the old copy's result first", (events: EngineEventLike[]) => events],
    ["the old copy's events last", pendingCopyLast],
  ] as const;

  it.each(orders)(
    "judges the live copy and the old copy pending delete each on its own (%s)",
    (_o, order) => {
      // mutation: key copies by URN alone (copyKey returns meta.urn) → one verdict; with the old
      // copy last it is "gone", exit 21, for a live source in sync.
      const result = classify(order(captured("pending-delete")));
      expect(result.sources).toEqual([
        expect.objectContaining({ urn, id: liveId, pendingDelete: false, state: "in sync" }),
        expect.objectContaining({
          urn,
          id: oldId,
          pendingDelete: true,
          state: "gone",
          goneBecause: "revoked",
        }),
      ]);
      expect(EXIT_CODES[outcomeOf(result)]).toBe(0);
    },
  );

  it.each(orders)("still reports the live copy's own drift (%s)", (_o, order) => {
    const events = captured("pending-delete");
    const live = copyResult(events, false);
    Object.assign(live, { op: "update" });
    live.new.outputs.name = "CRM (console edit)";
    const result = classify(order(events));
    expect(result.sources.map((s) => [s.id, s.state])).toEqual([
      [liveId, "changed"],
      [oldId, "gone"],
    ]);
    expect(outcomeOf(result)).toBe("configuration drift");
  });

  it("counts the old copy for the outcome only when it cannot be verified", () => {
    // mutation: outcomeOf without the pendingDelete filter → the first outcome is configuration drift.
    const changed = captured("pending-delete");
    Object.assign(copyResult(changed, true).new.outputs, { status: "active", name: "CRM (console edit)" });
    expect(classify(changed).sources[1]).toMatchObject({ pendingDelete: true, state: "changed" });
    expect(outcomeOf(classify(changed))).toBe("in sync");

    const unread = classify(withoutResult(captured("pending-delete"), true));
    expect(unread.sources[1]).toMatchObject({ pendingDelete: true, state: "cannot verify" });
    expect(outcomeOf(unread)).toBe("error");
  });

  it("gives a failed read's diagnostic to the copy whose read did not finish", () => {
    // The engine's diagnostic names the URN only; the live copy's read finished, the old one's did not.
    // mutation: give it to every copy of the URN → the live copy is "cannot verify" too.
    const events = withoutResult(captured("pending-delete"), true);
    events.push({ diagnosticEvent: { urn, severity: "error", message: "Preview failed: HTTP 500\n" } });
    const result = classify(events);
    expect(result.sources.map((s) => [s.id, s.state, s.message])).toEqual([
      [liveId, "in sync", undefined],
      [oldId, "cannot verify", "HTTP 500"],
    ]);
    expect(result.errors).toEqual([]);
  });
});

describe("classify: Pulumi's own failure (issue 22)", () => {
  const unread = () => captured("in-sync").filter((e) => e.resOutputsEvent?.metadata.urn !== SOURCE_URN);

  it("keeps Pulumi's failure when a source merely was not read (an engine crash or cancel)", () => {
    // mutation: count any "cannot verify" source as explaining the failure → errors is empty.
    const result = classify(unread(), "context canceled");
    expect(result.sources[0]).toMatchObject({ state: "cannot verify", message: NOT_READ });
    expect(result.errors).toEqual(["pulumi: context canceled"]);
    expect(EXIT_CODES[outcomeOf(result)]).toBe(22);
  });

  it("leaves it out when a source's own failed read explains it, or another resource's error does", () => {
    expect(classify(captured("read-failed"), "preview failed").errors).toEqual([]);
    const other: EngineEventLike = {
      diagnosticEvent: {
        urn: "urn:pulumi:dev::p::aws:s3/bucket:Bucket::logs",
        severity: "error",
        message: "denied",
      },
    };
    expect(classify([...unread(), other], "preview failed").errors).toEqual(["logs: denied"]);
  });

  it("reports Pulumi's failure with no events at all", () => {
    expect(classify([], "passphrase must be set").errors).toEqual(["pulumi: passphrase must be set"]);
    expect(classify([], null).errors).toEqual([]);
  });
});
