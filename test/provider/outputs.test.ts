import { describe, expect, it } from "vitest";
import type { DataSource } from "../../src/client/types";
import { diff } from "../../src/provider/diff";
import {
  buildOutputs,
  healthFromOutcome,
  healthFromSource,
  inputsFromOutputs,
  outputsFromSource,
} from "../../src/provider/outputs";
import { registerBody } from "../../src/provider/schema";
import type { NormalizedInputs } from "../../src/provider/schema";
import { HERE, checkedInputs, hasUndefined } from "./fixtures";

const TOKEN = "tok-secret-123456";
const ID = "ds_01";

function inputs(patch: Record<string, unknown> = {}): NormalizedInputs {
  return checkedInputs(TOKEN, patch);
}

function source(adapter: Record<string, unknown>, extra: Partial<DataSource> = {}): DataSource {
  return {
    data_source_id: ID,
    sandbox_id: "sb_1",
    provider: "user_mcp",
    name: "CRM",
    status: "active",
    ingestion_mode: "user_mcp",
    health_error: null,
    created_at: "2026-01-01T00:00:00+00:00",
    updated_at: "2026-01-02T00:00:00+00:00",
    adapter_config: {
      base_url: "https://mcp.example.com/mcp",
      auth_kind: "bearer",
      auth_header: null,
      app_namespace: ID,
      allowed_tools: null,
      ingest_tool_calls: [],
      rate_cap_per_minute: 60,
      webhook_rate_cap_per_minute: 600,
      vault_ref: "user_mcp/ds_01/auth",
      ...adapter,
    },
    ...extra,
  };
}

const healthy = { status: "active", healthError: null, ingestionMode: "user_mcp" };

describe("buildOutputs", () => {
  it("holds every input normalised, plus id, status, healthError null, ingestionMode, resolved namespace", () => {
    const outs = buildOutputs(inputs(), ID, healthy, ID, HERE);
    expect(Object.keys(outs).sort()).toEqual(
      [
        "sandboxId",
        "name",
        "baseUrl",
        "authKind",
        "token",
        "appNamespace",
        "ingestToolCalls",
        "rateCapPerMinute",
        "webhookRateCapPerMinute",
        "healthPolicy",
        "healthTimeoutSeconds",
        "healthCheckOnRefresh",
        "deletionPolicy",
        "adoptExisting",
        "dataSourceId",
        "status",
        "healthError",
        "ingestionMode",
        "apiEndpoint",
        "tenantId",
      ].sort(),
    );
    expect(outs.healthError).toBeNull();
    expect(outs.appNamespace).toBe(ID);
    expect(hasUndefined(outs)).toBe(false);
  });

  it("omits absent optional inputs rather than sending undefined or null", () => {
    const outs = buildOutputs(inputs({ authKind: "none", token: undefined }), ID, healthy, ID, HERE);
    expect("token" in outs).toBe(false);
    expect("authHeader" in outs).toBe(false);
    expect("allowedTools" in outs).toBe(false);
  });

  it("carries the token only under the key token", () => {
    const outs = buildOutputs(inputs(), ID, healthy, ID, HERE);
    const { token, ...rest } = outs;
    expect(token).toBe(TOKEN);
    expect(JSON.stringify(rest)).not.toContain(TOKEN);
  });

  it("keeps healthError when unhealthy and clears it when active", () => {
    expect(
      buildOutputs(inputs(), ID, { status: "error", healthError: "refused", ingestionMode: null }, ID, HERE)
        .healthError,
    ).toBe("refused");
    expect(
      buildOutputs(inputs(), ID, { status: "active", healthError: "stale", ingestionMode: null }, ID, HERE)
        .healthError,
    ).toBeNull();
  });
});

describe("healthFromOutcome / healthFromSource", () => {
  it.each([
    [
      "active outcome",
      { status: "active", health_error: "x", ingestion_mode: "user_mcp" },
      { status: "active", healthError: null, ingestionMode: "user_mcp" },
    ],
    [
      "error outcome",
      { status: "error", health_error: "refused" },
      { status: "error", healthError: "refused", ingestionMode: null },
    ],
    ["empty outcome keeps the fallback", {}, { status: "unknown", healthError: null, ingestionMode: null }],
  ])("%s", (_case, outcome, expected) => {
    expect(healthFromOutcome(outcome)).toEqual(expected);
  });

  it("reads status and health_error of a DataSource", () => {
    expect(healthFromSource(source({}, { status: "error", health_error: "down" }))).toEqual({
      status: "error",
      healthError: "down",
      ingestionMode: "user_mcp",
    });
  });
});

describe("read mapping", () => {
  const prior = buildOutputs(
    inputs({ healthPolicy: "warn", deletionPolicy: "delete" }),
    ID,
    healthy,
    ID,
    HERE,
  );

  it("a source matching the prior state reads back as no drift", () => {
    const props = outputsFromSource(source({}), prior, healthy);
    expect(props).toEqual(prior);
    expect(diff(props, inputs({ healthPolicy: "warn", deletionPolicy: "delete" }) as never).changes).toBe(
      false,
    );
  });

  it("takes desired fields from the server, token and provider-only fields from prior state, no timestamps", () => {
    const props = outputsFromSource(
      source(
        { base_url: "https://evil.example.com/mcp", allowed_tools: ["a"], rate_cap_per_minute: 7 },
        { name: "Renamed" },
      ),
      prior,
      healthy,
    );
    expect(props).toMatchObject({
      name: "Renamed",
      baseUrl: "https://evil.example.com/mcp",
      allowedTools: ["a"],
      rateCapPerMinute: 7,
      token: TOKEN,
      healthPolicy: "warn",
      deletionPolicy: "delete",
    });
    expect(JSON.stringify(props)).not.toContain("2026-01");
    expect(JSON.stringify(props)).not.toContain("vault");
  });

  it("inputs: the desired fields only; the server-default namespace left out; the token from prior", () => {
    const props = outputsFromSource(source({}), prior, {
      status: "error",
      healthError: "down",
      ingestionMode: "user_mcp",
    });
    const readInputs = inputsFromOutputs(props);
    expect(readInputs).not.toHaveProperty("status");
    expect(readInputs).not.toHaveProperty("dataSourceId");
    expect(readInputs).not.toHaveProperty("appNamespace");
    expect(readInputs.token).toBe(TOKEN);
    expect(hasUndefined(readInputs)).toBe(false);
  });

  it("an explicit namespace stays in the inputs", () => {
    const withNs = buildOutputs(inputs({ appNamespace: "crm" }), ID, healthy, "crm", HERE);
    const props = outputsFromSource(source({ app_namespace: "crm" }), withNs, healthy);
    expect(inputsFromOutputs(props).appNamespace).toBe("crm");
  });

  it("authKind switched to none out of band drops the token and header", () => {
    const props = outputsFromSource(source({ auth_kind: "none", vault_ref: null }), prior, healthy);
    expect(props).not.toHaveProperty("token");
    expect(props).not.toHaveProperty("authHeader");
  });

  it("an adapter_config key the server does not return keeps the prior value", () => {
    const config = source({}).adapter_config as Record<string, unknown>;
    delete config.rate_cap_per_minute;
    delete config.ingest_tool_calls;
    const props = outputsFromSource(
      source({}, { adapter_config: config }),
      { ...prior, rateCapPerMinute: 9 },
      healthy,
    );
    expect(props.rateCapPerMinute).toBe(9);
    expect(props.ingestToolCalls).toEqual([]);
  });

  it("ingest tool calls with null arguments read back without the key", () => {
    const props = outputsFromSource(
      source({ ingest_tool_calls: [{ name: "p", arguments: null }] }),
      prior,
      healthy,
    );
    expect(props.ingestToolCalls).toEqual([{ name: "p" }]);
  });
});

describe("read follows the field table", () => {
  it("reads back every API field the register body sent (fields the table reads from the server)", () => {
    const before = inputs({ appNamespace: "crm", healthPolicy: "warn" });
    const after = inputs({
      name: "CRM v2",
      baseUrl: "https://mcp2.example.com/mcp",
      authKind: "header_token",
      authHeader: "X-Api-Key",
      appNamespace: "crm2",
      allowedTools: ["b", "a"],
      ingestToolCalls: [{ name: "list_docs", arguments: { limit: 5 } }],
      rateCapPerMinute: 7,
      webhookRateCapPerMinute: 8,
      healthPolicy: "warn",
    });
    // The server mirrors the register body in adapter_config; the token never comes back.
    const { token: _token, name, ...mirrored } = registerBody(after);
    const outs = outputsFromSource(
      source(mirrored, { name }),
      buildOutputs(before, ID, healthy, "crm", HERE),
      healthy,
    );
    expect(outs).toEqual(buildOutputs(after, ID, healthy, "crm2", HERE));
  });

  it("keeps the prior value for an adapter_config key of the wrong type, field by field", () => {
    const prior = buildOutputs(inputs({ rateCapPerMinute: 5 }), ID, healthy, ID, HERE);
    const outs = outputsFromSource(
      source({ auth_kind: "kerberos", rate_cap_per_minute: "fast", base_url: "https://new.example.com/mcp" }),
      prior,
      healthy,
    );
    expect(outs.authKind).toBe("bearer");
    expect(outs.rateCapPerMinute).toBe(5);
    expect(outs.baseUrl).toBe("https://new.example.com/mcp");
  });
});
