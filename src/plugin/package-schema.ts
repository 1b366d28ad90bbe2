/**
 * The Pulumi package schema of the `copass` provider plugin, generated from the field table
 * (src/provider/schema.ts): each input's type (read off its zod rule), description (the same
 * paragraph as the TypeScript JSDoc, docs.ts `argDoc`), default, enum, `secret` and
 * `replaceOnChanges`; the outputs; the provider config (config.ts `SETTINGS`).
 *
 * `npm run docs` writes it to schema.json at the package root, which the package ships and the
 * plugin serves from `GetSchema` without loading zod; test/plugin/package-schema.test.ts fails when
 * the file and the table disagree. SDKs for Python and Go are generated from that file.
 */
import type * as z from "../zod";
import { argDoc } from "../provider/docs";
import { SECRET_SETTINGS, SETTINGS, type SettingName } from "../provider/config";
import { FIELD_NAMES, specOf, type FieldName } from "../provider/schema";

import { RESOURCE_TOKEN } from "./ids";

export const PACKAGE = "copass";

/** Where releases live: `github://api.github.com/<owner>/<repo>` names a repository's GitHub releases. */
export const PLUGIN_DOWNLOAD_URL = "github://api.github.com/copass/pulumi-copass";

/** A Pulumi schema type reference (the subset this package uses). */
export interface TypeSpec {
  type?: "string" | "integer" | "number" | "boolean" | "array" | "object";
  $ref?: string;
  items?: TypeSpec;
  additionalProperties?: TypeSpec;
}

export interface PropertySpec extends TypeSpec {
  description?: string;
  default?: string | number | boolean;
  secret?: true;
  replaceOnChanges?: true;
}

/** Pulumi's enum and object type definitions (`types` of the schema). */
type TypeDefinition =
  | { type: "string"; description: string; enum: { value: string; name: string }[] }
  | { type: "object"; description: string; properties: Record<string, PropertySpec>; required: string[] };

/** The zod internals read here: zod 4 keeps each schema's definition under `_zod.def`. */
interface ZodDef {
  type: string;
  entries?: Record<string, string>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  checks?: { _zod: { def: { check: string; format?: string } } }[];
}

function defOf(schema: z.ZodType): ZodDef {
  return (schema as unknown as { _zod: { def: ZodDef } })._zod.def;
}

function isInteger(schema: z.ZodType): boolean {
  return (defOf(schema).checks ?? []).some(
    ({ _zod: { def } }) => def.check === "number_format" && def.format?.includes("int") === true,
  );
}

/** The outputs that are no input, as resource.ts documents them for TypeScript. */
const OUTPUT_DOCS: Record<string, string> = {
  dataSourceId: "The Copass `data_source_id`.",
  status: "`active` when the last health check passed; `error`, `disconnected`, `unknown`, … otherwise.",
  healthError: "Why the last health check failed; null when healthy.",
  ingestionMode: "How Copass ingests from the source (`user_mcp`); null when the server did not say.",
  apiEndpoint:
    "The Copass API endpoint the source lives at; refresh, update and destroy refuse to judge it from another one.",
  tenantId: "The Copass tenant (`user_id`) that owns the source; null until an answer carried it.",
};

/** Type names of the enum and object types, by the field (or object key) that uses them. */
const TYPE_NAMES: Partial<Record<string, string>> = {
  authKind: "AuthKind",
  healthPolicy: "HealthPolicy",
  deletionPolicy: "DeletionPolicy",
  ingestToolCalls: "IngestToolCall",
};

function ref(name: string): TypeSpec {
  return { $ref: `#/types/${PACKAGE}:index:${name}` };
}

/** PascalCase enum member names: `header_token` → `HeaderToken`. */
function memberName(value: string): string {
  return value
    .split(/[^A-Za-z0-9]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

/**
 * The Pulumi type of a zod rule, registering enum and object types in `types` under the name
 * TYPE_NAMES gives `owner`. Throws on a zod type it does not know: a new kind of field must be
 * mapped here deliberately, not guessed.
 */
function typeOf(schema: z.ZodType, owner: string, types: Record<string, TypeDefinition>): TypeSpec {
  const def = defOf(schema);
  switch (def.type) {
    case "string":
    case "boolean":
      return { type: def.type };
    case "number":
      // `.int()` is a "number_format" check of format "safeint", which classic's `isInt` reads
      // too; the field table is built with zod/mini, which has no `isInt`.
      return { type: isInteger(schema) ? "integer" : "number" };
    case "optional":
    case "default":
      return typeOf(def.innerType as z.ZodType, owner, types);
    case "unknown":
    case "any":
      return { $ref: "pulumi.json#/Any" };
    case "record":
      return { type: "object", additionalProperties: { $ref: "pulumi.json#/Any" } };
    case "array":
      return { type: "array", items: typeOf(def.element as z.ZodType, owner, types) };
    case "enum": {
      const name = typeName(owner);
      const values = Object.values(def.entries ?? {});
      types[`${PACKAGE}:index:${name}`] = {
        type: "string",
        description: `The values of \`${owner}\`.`,
        enum: values.map((value) => ({ value, name: memberName(value) })),
      };
      return ref(name);
    }
    case "object": {
      const name = typeName(owner);
      const shape = def.shape ?? {};
      const properties: Record<string, PropertySpec> = {};
      for (const [key, member] of Object.entries(shape)) properties[key] = typeOf(member, key, types);
      types[`${PACKAGE}:index:${name}`] = {
        type: "object",
        description: `One entry of \`${owner}\`.`,
        properties,
        required: Object.keys(shape).filter((key) => defOf(shape[key] as z.ZodType).type !== "optional"),
      };
      return ref(name);
    }
    default:
      throw new Error(`package-schema.ts: no Pulumi type for zod type "${def.type}" (field ${owner})`);
  }
}

function typeName(owner: string): string {
  const name = TYPE_NAMES[owner];
  if (name === undefined) throw new Error(`package-schema.ts: TYPE_NAMES has no type name for ${owner}`);
  return name;
}

/** A primitive default (Pulumi schemas take no array or object defaults: `[]` stays check's job). */
function primitiveDefault(value: unknown): string | number | boolean | undefined {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? value
    : undefined;
}

function inputProperty(name: FieldName, types: Record<string, TypeDefinition>): PropertySpec {
  const spec = specOf(name);
  const property: PropertySpec = { ...typeOf(spec.schema, name, types), description: argDoc(name) };
  const fallback = primitiveDefault(spec.default);
  if (fallback !== undefined) property.default = fallback;
  if (spec.secret) property.secret = true;
  // Only the fields that replace on any change: a removal that replaces (onRemove) is the diff's call.
  if (spec.change === "replace") property.replaceOnChanges = true;
  return property;
}

/** Setting descriptions: what it holds and its environment fallback, read by the plugin at call time. */
const SETTING_DOCS: Record<SettingName, string> = {
  apiUrl: "Copass API URL. Default: https://api.copass.id.",
  apiKey: "Copass API key (a secret): `pulumi config set --secret copass:apiKey <key>`.",
  encryptionToken: "Copass encryption token (a secret), when the sandbox needs one.",
  requestTimeoutSeconds: "Timeout of one API request, in seconds (above 0, at most 3600). Default: 30.",
  apiUrlMovedFrom:
    "The endpoint the stack's sources are recorded at, when they moved to apiUrl deliberately (docs/trust.md: Moving a stack).",
};

function settingProperty(name: SettingName): PropertySpec {
  const property: PropertySpec = {
    type: name === "requestTimeoutSeconds" ? "number" : "string",
    description: `${SETTING_DOCS[name]} Falls back to the environment variable ${SETTINGS[name].env}, read when the plugin calls Copass (never stored).`,
  };
  if (SECRET_SETTINGS.includes(name)) property.secret = true;
  return property;
}

/** The whole schema, as `GetSchema` serves it (key order fixed, so the file diffs cleanly). */
export function packageSchema(version: string): Record<string, unknown> {
  const types: Record<string, TypeDefinition> = {};
  const inputs: Record<string, PropertySpec> = {};
  for (const name of FIELD_NAMES) inputs[name] = inputProperty(name, types);
  const requiredInputs = FIELD_NAMES.filter((name) => specOf(name).required);

  const outputs: Record<string, PropertySpec> = { ...inputs };
  for (const [name, doc] of Object.entries(OUTPUT_DOCS)) outputs[name] = { type: "string", description: doc };
  // The resolved namespace is always known after create; the health fields may be null.
  const requiredOutputs = [...requiredInputs, "appNamespace", "dataSourceId", "status"];

  const settings = Object.keys(SETTINGS) as SettingName[];
  const config = Object.fromEntries(settings.map((name) => [name, settingProperty(name)]));
  return {
    name: PACKAGE,
    displayName: "Copass",
    version,
    description: "Manage Copass user_mcp sources (your own MCP servers registered with a Copass sandbox).",
    homepage: "https://github.com/copass/pulumi-copass",
    repository: "https://github.com/copass/pulumi-copass",
    license: "Apache-2.0",
    publisher: "Copass",
    // The repository's GitHub releases: the CLI downloads the plugin's tarball for this platform
    // from there by itself, for a YAML program or any generated SDK (which carries this URL).
    pluginDownloadURL: PLUGIN_DOWNLOAD_URL,
    keywords: ["copass", "mcp", "category/utility", "kind/native"],
    // Makes the generators write each SDK as a package of its own: the Go SDK's go.mod (the Go
    // program reaches it through a `replace`), the versions in pyproject.toml and pulumi-plugin.json.
    meta: { supportPack: true },
    config: { variables: config },
    provider: {
      description: "The Copass provider: where the API is and the key to call it.",
      inputProperties: config,
    },
    resources: {
      [RESOURCE_TOKEN]: {
        description:
          "A Copass `user_mcp` source: an MCP server of yours registered with a Copass sandbox, health-checked by Copass.",
        inputProperties: inputs,
        requiredInputs,
        properties: outputs,
        required: requiredOutputs,
      },
    },
    types,
    language: LANGUAGE,
  };
}

/**
 * What the SDK generators (tools/sdkgen) need to name and place each SDK. The Go module is `sdk/`
 * (scripts/sdk.mjs moves the generated go.mod there), as the registry's providers lay it out, so
 * `go get github.com/copass/pulumi-copass/sdk/go/copass@v<version>` resolves from a tag
 * `sdk/v<version>`.
 */
const LANGUAGE = {
  python: { packageName: "pulumi_copass", pyproject: { enabled: true }, respectSchemaVersion: true },
  go: {
    importBasePath: "github.com/copass/pulumi-copass/sdk/go/copass",
    modulePath: "github.com/copass/pulumi-copass/sdk",
    generateResourceContainerTypes: false,
    respectSchemaVersion: true,
  },
  nodejs: { packageName: "@copass/pulumi-copass-sdk" },
};

/** The text of schema.json (`npm run docs`). */
export function schemaFileText(version: string): string {
  return `${JSON.stringify(packageSchema(version), null, 2)}\n`;
}
