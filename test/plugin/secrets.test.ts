/** The plugin's translation of Pulumi's secret envelopes (src/plugin/secrets.ts) and ids (ids.ts). */
import { describe, expect, it } from "vitest";
import { SECRET_SIG, SIG_KEY, unwrapSecrets, wrapSecrets } from "../../src/plugin/secrets";
import { parsePluginId, pluginId } from "../../src/plugin/ids";

const secret = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });

describe("unwrapSecrets", () => {
  it("opens envelopes at any depth and names the top-level keys that held one", () => {
    const { plain, secretKeys } = unwrapSecrets({
      token: secret("tok_1234"),
      name: "crm",
      ingestToolCalls: [{ name: "list", arguments: { key: secret("k") } }],
    });
    expect(plain).toEqual({
      token: "tok_1234",
      name: "crm",
      ingestToolCalls: [{ name: "list", arguments: { key: "k" } }],
    });
    expect([...secretKeys].sort()).toEqual(["ingestToolCalls", "token"]);
  });
});

describe("wrapSecrets", () => {
  it("wraps the table's secret fields even when they came in plain, and the keys that came in secret", () => {
    // Mutation: drop the SECRET_FIELDS test in wrapSecrets → token comes back plain.
    const out = wrapSecrets({ token: "tok_1234", name: "crm", baseUrl: "https://x" }, new Set(["baseUrl"]));
    expect(out).toEqual({ token: secret("tok_1234"), name: "crm", baseUrl: secret("https://x") });
  });

  it("leaves absent values absent", () => {
    expect(wrapSecrets({ token: undefined, name: "crm" })).toEqual({ token: undefined, name: "crm" });
  });
});

describe("plugin ids", () => {
  it("are <sandboxId>/<dataSourceId> and parse back", () => {
    expect(pluginId("sb_1", "ds_2")).toBe("sb_1/ds_2");
    expect(parsePluginId("sb_1/ds_2")).toEqual({ sandboxId: "sb_1", dataSourceId: "ds_2" });
  });

  it("a bare id (no sandbox) stays the data source id", () => {
    expect(parsePluginId("ds_2")).toEqual({ dataSourceId: "ds_2" });
    expect(parsePluginId("/ds_2")).toEqual({ dataSourceId: "/ds_2" });
    expect(parsePluginId("sb_1/")).toEqual({ dataSourceId: "sb_1/" });
  });
});
