/**
 * The plugin's Pulumi schema (schema.json, shipped and served by GetSchema) against the field
 * table it is generated from: a field added, made secret, or made to replace shows here first.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { schemaFileText } from "../../src/plugin/package-schema";
import { FIELDS, FIELD_NAMES, specOf } from "../../src/provider/schema";
import { SETTINGS } from "../../src/provider/config";

const root = path.join(__dirname, "..", "..");
const { version } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string };
const shipped = readFileSync(path.join(root, "schema.json"), "utf8");
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON document
const schema = JSON.parse(shipped) as any;
const resource = schema.resources["copass:index:UserMcpSource"];

describe("schema.json", () => {
  it("is what the field table generates (run `npm run docs` after changing the table)", () => {
    expect(shipped).toBe(schemaFileText(version));
  });

  it("declares every input of the table, its required ones, and only those", () => {
    expect(Object.keys(resource.inputProperties)).toEqual(FIELD_NAMES);
    expect(resource.requiredInputs).toEqual(FIELD_NAMES.filter((n) => specOf(n).required));
  });

  it("marks the table's secret fields secret, in inputs and outputs", () => {
    for (const name of FIELD_NAMES) {
      const secret = specOf(name).secret ? true : undefined;
      expect(resource.inputProperties[name].secret, name).toBe(secret);
      expect(resource.properties[name].secret, name).toBe(secret);
    }
    expect(schema.config.variables.apiKey.secret).toBe(true);
    expect(schema.provider.inputProperties.encryptionToken.secret).toBe(true);
  });

  it("replaces on a change exactly where the table says replace", () => {
    const replacing = FIELD_NAMES.filter((n) => resource.inputProperties[n].replaceOnChanges === true);
    expect(replacing).toEqual(FIELD_NAMES.filter((n) => specOf(n).change === "replace"));
    expect(replacing).toContain("sandboxId");
  });

  it("gives each primitive default of the table, and enums their values", () => {
    for (const name of FIELD_NAMES) {
      const fallback = specOf(name).default;
      if (typeof fallback === "object" || fallback === undefined) continue;
      expect(resource.inputProperties[name].default, name).toBe(fallback);
    }
    const authKinds = schema.types["copass:index:AuthKind"].enum.map((e: { value: string }) => e.value);
    expect(authKinds).toEqual(FIELDS.authKind.schema.options);
    expect(resource.inputProperties.rateCapPerMinute.type).toBe("integer");
    expect(resource.inputProperties.allowedTools).toMatchObject({ type: "array", items: { type: "string" } });
  });

  it("has the outputs the dynamic resource has, and the provider config of config.ts", () => {
    for (const key of ["dataSourceId", "status", "healthError", "ingestionMode", "apiEndpoint", "tenantId"]) {
      expect(resource.properties[key], key).toBeDefined();
    }
    expect(resource.required).toEqual(expect.arrayContaining(["appNamespace", "dataSourceId", "status"]));
    expect(Object.keys(schema.config.variables)).toEqual(Object.keys(SETTINGS));
  });

  it("names the repository's GitHub releases as where the CLI downloads the plugin", () => {
    // The SDKs carry this URL (Python's pulumi-plugin.json `server`), so a program on them, or a
    // YAML program, gets the plugin with no runtime of ours (issue 23).
    expect(schema.pluginDownloadURL).toBe("github://api.github.com/copass/pulumi-copass");
  });

  it("names the SDKs as the registry lays them out: pulumi_copass, and the Go module at sdk/", () => {
    expect(schema.language.python.packageName).toBe("pulumi_copass");
    expect(schema.language.go).toMatchObject({
      importBasePath: "github.com/copass/pulumi-copass/sdk/go/copass",
      modulePath: "github.com/copass/pulumi-copass/sdk",
    });
  });
});
