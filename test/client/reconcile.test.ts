import { describe, expect, it } from "vitest";
import { findRegisteredSource, outcomeFromSource } from "../../src/client/reconcile";
import type { DataSource } from "../../src/client/types";

const row = (id: string, over: Partial<DataSource> & { ns?: string; url?: string } = {}): DataSource => {
  const { ns, url, ...rest } = over;
  return {
    data_source_id: id,
    provider: "user_mcp",
    name: "crm",
    status: "active",
    adapter_config: { base_url: url ?? "https://mcp.example.com/mcp", app_namespace: ns ?? id },
    created_at: `2026-01-01T00:00:0${id.slice(-1)}Z`,
    ...rest,
  };
};
const req = { name: "crm", base_url: "https://mcp.example.com/mcp" };

describe("findRegisteredSource with an explicit app_namespace", () => {
  const withNs = { ...req, app_namespace: "crm" };
  it.each([
    {
      name: "finds the live source holding the namespace",
      rows: [row("ds_1"), row("ds_2", { ns: "crm" })],
      id: "ds_2",
    },
    {
      name: "finds an unhealthy one too (status error still holds it)",
      rows: [row("ds_2", { ns: "crm", status: "error" })],
      id: "ds_2",
    },
    {
      name: "ignores a revoked source with the namespace",
      rows: [row("ds_2", { ns: "crm", status: "disconnected" })],
      id: undefined,
    },
    {
      name: "ignores an archived one",
      rows: [row("ds_2", { ns: "crm", status: "archived" })],
      id: undefined,
    },
    {
      name: "does not adopt somebody else's source (other URL) holding it",
      rows: [row("ds_2", { ns: "crm", url: "https://other/mcp" })],
      id: undefined,
    },
    {
      name: "does not adopt one with another name",
      rows: [row("ds_2", { ns: "crm", name: "other" })],
      id: undefined,
    },
    { name: "ignores other providers", rows: [row("ds_2", { ns: "crm", provider: "slack" })], id: undefined },
    {
      name: "a row without adapter_config cannot prove the namespace",
      rows: [row("ds_2", { adapter_config: null })],
      id: undefined,
    },
    {
      name: "a row without base_url is not held against it",
      rows: [row("ds_2", { adapter_config: { app_namespace: "crm" } })],
      id: "ds_2",
    },
    { name: "nothing listed", rows: [], id: undefined },
  ])("$name", ({ rows, id }) => {
    expect(findRegisteredSource(rows, withNs)?.data_source_id).toBe(id);
  });
});

describe("findRegisteredSource without an app_namespace (snapshot before the POST)", () => {
  const before = new Set(["ds_1"]);
  it.each([
    { name: "finds the new id with our name and URL", rows: [row("ds_1"), row("ds_2")], id: "ds_2" },
    { name: "an old source with the same name and URL is not ours", rows: [row("ds_1")], id: undefined },
    {
      name: "a new source with another URL is not ours",
      rows: [row("ds_1"), row("ds_2", { url: "https://x/mcp" })],
      id: undefined,
    },
    {
      name: "a new source with another name is not ours",
      rows: [row("ds_2", { name: "billing" })],
      id: undefined,
    },
    { name: "two new matches: the newest", rows: [row("ds_3"), row("ds_2")], id: "ds_3" },
    {
      name: "a new but already revoked source is not taken",
      rows: [row("ds_2", { status: "disconnected" })],
      id: undefined,
    },
  ])("$name", ({ rows, id }) => {
    expect(findRegisteredSource(rows, req, before)?.data_source_id).toBe(id);
  });

  it("without a snapshot nothing can be proven new", () => {
    expect(findRegisteredSource([row("ds_2")], req)).toBeUndefined();
  });
});

describe("outcomeFromSource", () => {
  it("carries status and health_error from the row", () => {
    const r = row("ds_2", {
      status: "error",
      health_error: "connect ECONNREFUSED",
      ingestion_mode: "user_mcp",
    });
    expect(outcomeFromSource(r)).toEqual({
      data_source_id: "ds_2",
      status: "error",
      name: "crm",
      ingestion_mode: "user_mcp",
      health_error: "connect ECONNREFUSED",
      error: null,
      detail: null,
    });
  });
});
