/**
 * `pulumi-copass import`, the pure part: a sandbox's sources as Copass lists them → the
 * `UserMcpSource` args that adopt each one unchanged → the program text, the `--json` document and
 * the stderr notes. No I/O here (main.ts does argv, the environment, the API call and the files).
 *
 * Why a generator: `pulumi import` does not work for dynamic providers, and adoption
 * (`adoptExisting`) PATCHes the whole program config onto the source it takes over, so a program
 * typed by hand with one field off changes a live source on its first `up`. The args here are read
 * through the field table (src/provider/schema.ts: API names, defaults, rules) and then checked by
 * the provider's own `checkInputs`, so what this writes is what `check` accepts and what adoption
 * leaves as it is.
 *
 * Determinism: sources are sorted by namespace (then id), names derive from namespaces only, and
 * the text is printed in prettier's style (printWidth 110, the repo's config) by construction, so
 * re-running the command on an unchanged sandbox gives the same bytes.
 */
import { isDeepStrictEqual } from "node:util";
import type { DataSource } from "../client/types";
import { isRetired } from "../client/vocabulary";
import { FIELDS, FIELD_NAMES, checkInputs, type UserMcpSourceInputs } from "../provider/schema";
import { printProperty, printString } from "./print";
import { RESOURCE_TOKEN, pluginId } from "../plugin/ids";

/** The args of one imported source: what the program passes, without the token. */
export type ImportedArgs = Omit<UserMcpSourceInputs, "token"> & { adoptExisting: true; appNamespace: string };

export interface ImportedSource {
  /** Logical resource name, derived from the namespace: an identifier, unique in the program. */
  resourceName: string;
  dataSourceId: string;
  /** Stack config key holding the token (`<resourceName>Token`); absent for authKind `none`. */
  tokenConfigKey?: string;
  /** Copass status when listed (`active`, `error`, …): adoption under healthPolicy require re-tests it. */
  status: string;
  args: ImportedArgs;
}

export interface SkippedSource {
  dataSourceId: string;
  name: string;
  appNamespace?: string;
  /** `revoked`: disconnected (a revoke); `archived`: Copass archived it. Both are terminal. */
  reason: "revoked" | "archived";
}

export interface ImportPlan {
  sandboxId: string;
  sources: ImportedSource[];
  skipped: SkippedSource[];
}

/** A source Copass returned that cannot be written as a program; the message names it and why. */
export class ImportError extends Error {
  override name = "ImportError";
}

/** A source's name for messages: JSON-quoted, so a newline or an escape code in it stays inert. */
export function describeSource(source: { dataSourceId: string; name: string }): string {
  return `${source.dataSourceId} (${JSON.stringify(source.name)})`;
}

/**
 * The program args that adopt `source` as Copass has it: every API field of the field table with
 * its value, defaults left out, nulls meaning "absent" (`auth_header` of a bearer source,
 * `allowed_tools` meaning all tools), plus `adoptExisting: true`. The namespace is always written,
 * even one the server chose (the id): adoption finds the source by it. Throws ImportError when the
 * result would not pass the provider's check.
 */
export function argsFromSource(source: DataSource, sandboxId: string): ImportedArgs {
  const described = describeSource({ dataSourceId: source.data_source_id, name: source.name });
  const wire: Record<string, unknown> = { ...(source.adapter_config ?? {}), name: source.name };
  const raw: Record<string, unknown> = { sandboxId };
  for (const name of FIELD_NAMES) {
    const spec = FIELDS[name];
    if (spec.wire === null || spec.secret) continue;
    const value =
      spec.wire === FIELDS.ingestToolCalls.wire ? withoutNullArguments(wire[spec.wire]) : wire[spec.wire];
    if (value !== undefined && value !== null) raw[name] = value;
  }
  if (typeof raw.appNamespace !== "string") {
    throw new ImportError(
      `source ${described} has no app_namespace in Copass's answer, so it cannot be adopted ` +
        "(adoption finds a source by its namespace); give it one with a PATCH of app_namespace, then import again",
    );
  }
  raw.adoptExisting = true;
  // The provider's own check, with a stand-in token where one is required: the token comes from
  // stack config at run time and is the one thing this command cannot read.
  const needsToken = raw.authKind === "bearer" || raw.authKind === "header_token";
  const checked = checkInputs({ ...raw, ...(needsToken ? { token: "stand-in" } : {}) });
  if (!checked.ok) {
    const failure = checked.failures[0]!;
    throw new ImportError(
      `source ${described} cannot be written as a program: ${failure.reason} (as Copass returned it)`,
    );
  }
  // Normalised values (zod drops keys outside the schema), defaults left out.
  const args: Record<string, unknown> = {};
  for (const name of FIELD_NAMES) {
    if (!(name in raw)) continue;
    const value = checked.inputs[name];
    const spec = FIELDS[name] as { default?: unknown };
    if (name !== "adoptExisting" && "default" in spec && isDeepStrictEqual(value, spec.default)) continue;
    args[name] = value;
  }
  return args as ImportedArgs;
}

/** Copass spells an ingest tool call without arguments as `arguments: null`; the program omits it. */
function withoutNullArguments(calls: unknown): unknown {
  if (!Array.isArray(calls)) return calls;
  return calls.map((call: unknown) => {
    if (typeof call !== "object" || call === null || Array.isArray(call)) return call;
    const { arguments: args, ...rest } = call as Record<string, unknown>;
    return args === null || args === undefined ? rest : { ...rest, arguments: args };
  });
}

/**
 * The logical name a namespace gives: its `-`/`_`-separated parts in camelCase (`crm-tools` →
 * `crmTools`, `ds_01JX` → `ds01JX`), prefixed with `source` when it would start with a digit. A
 * namespace is `[A-Za-z0-9_-]{1,64}`, so the result is always a plain identifier.
 */
export function baseName(namespace: string): string {
  const parts = namespace.split(/[-_]+/).filter((part) => part !== "");
  const joined = parts.map((part, i) => (i === 0 ? part : part[0]!.toUpperCase() + part.slice(1))).join("");
  if (joined === "") return "source";
  return /^[0-9]/.test(joined) ? `source${joined}` : joined;
}

/**
 * Logical names for namespaces given in their final (sorted) order: the base name, or for a
 * second namespace with the same base name (`crm-tools`, `crm_tools`) the base name plus the first
 * free number from 2. A numbered name never takes another namespace's base name, so a name depends
 * only on the namespaces that share its base: stable across runs while the sandbox is unchanged.
 */
export function logicalNames(namespaces: readonly string[]): string[] {
  const bases = namespaces.map(baseName);
  const reserved = new Set(bases);
  const used = new Set<string>();
  return bases.map((base) => {
    let name = base;
    // At most namespaces.length numbers can be taken, so this ends within that many steps.
    for (let n = 2; used.has(name); n++) {
      name = `${base}${n}`;
      if (reserved.has(name)) name = base; // keep looking: that name belongs to another namespace
    }
    used.add(name);
    return name;
  });
}

/**
 * The import plan of a sandbox: revoked sources skipped, every other user_mcp source mapped to
 * args, sorted by namespace then id, and named.
 */
export function planImport(sandboxId: string, listed: readonly DataSource[]): ImportPlan {
  const userMcp = listed.filter((s) => s.provider === "user_mcp");
  const skipped: SkippedSource[] = userMcp
    // Retired (revoked, archived) is terminal and frees the namespace: nothing to adopt (DESIGN §2).
    .filter((s) => isRetired(s.status))
    .map((s) => {
      const ns = s.adapter_config?.app_namespace;
      return {
        dataSourceId: s.data_source_id,
        name: s.name,
        ...(typeof ns === "string" ? { appNamespace: ns } : {}),
        reason: s.status === "archived" ? ("archived" as const) : ("revoked" as const),
      };
    })
    .sort((a, b) => compare(a.dataSourceId, b.dataSourceId));
  const entries = userMcp
    .filter((s) => !isRetired(s.status))
    .map((s) => ({ source: s, args: argsFromSource(s, sandboxId) }))
    .sort(
      (a, b) =>
        compare(a.args.appNamespace, b.args.appNamespace) ||
        compare(a.source.data_source_id, b.source.data_source_id),
    );
  const names = logicalNames(entries.map((e) => e.args.appNamespace));
  const sources = entries.map(({ source, args }, i): ImportedSource => {
    const resourceName = names[i]!;
    return {
      resourceName,
      dataSourceId: source.data_source_id,
      ...(args.authKind === "none" ? {} : { tokenConfigKey: `${resourceName}Token` }),
      status: source.status,
      args,
    };
  });
  return { sandboxId, sources, skipped };
}

/** Code-unit order, independent of the locale (`localeCompare` is not). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// --- output ----------------------------------------------------------------------------------------

/** The TypeScript program: one `UserMcpSource` per source, in prettier's style. */
export function renderProgram(plan: ImportPlan): string {
  const lines = [
    `// Generated by \`pulumi-copass import --sandbox ${plan.sandboxId}\` from the sandbox's user_mcp sources as Copass`,
    "// has them. The first `pulumi up` adopts each one (adoptExisting) and changes nothing but its token: set the",
    "// tokens first with the `pulumi config set --secret` lines the command printed.",
  ];
  if (plan.sources.length === 0) {
    lines.push(`// Sandbox ${plan.sandboxId} had no user_mcp sources to import.`);
    return lines.join("\n") + "\n";
  }
  const needsConfig = plan.sources.some((s) => s.tokenConfigKey !== undefined);
  if (needsConfig) lines.push('import * as pulumi from "@pulumi/pulumi";');
  lines.push('import { UserMcpSource } from "pulumi-copass";', "");
  if (needsConfig) lines.push("const config = new pulumi.Config();");
  lines.push(`const sandboxId = ${printString(plan.sandboxId)};`);
  for (const source of plan.sources) {
    lines.push("", `new UserMcpSource(${printString(source.resourceName)}, {`);
    for (const name of FIELD_NAMES) {
      if (name === "sandboxId") {
        lines.push("  sandboxId,");
      } else if (name === "token") {
        if (source.tokenConfigKey !== undefined) {
          lines.push(`  token: config.requireSecret(${printString(source.tokenConfigKey)}),`);
        }
      } else if (name in source.args) {
        lines.push(printProperty(name, (source.args as Record<string, unknown>)[name], 2));
      }
    }
    lines.push("});");
  }
  return lines.join("\n") + "\n";
}

/** The `--json` document: the same sources as resource args, no token (only its config key). */
export function renderJson(plan: ImportPlan): string {
  return JSON.stringify(plan, null, 2) + "\n";
}

/**
 * The file `pulumi import --file` takes: every imported source as a `copass:index:UserMcpSource`
 * of the provider plugin (docs/other-languages.md), named as in the program and
 * identified as the plugin identifies it. Pulumi then writes the program in the project's language.
 */
export function renderPulumiImport(plan: ImportPlan): string {
  const resources = plan.sources.map((source) => ({
    type: RESOURCE_TOKEN,
    name: source.resourceName,
    id: pluginId(plan.sandboxId, source.dataSourceId),
  }));
  return JSON.stringify({ resources }, null, 2) + "\n";
}

/**
 * What stderr says: skipped sources, unhealthy ones, then one `pulumi config set --secret` line
 * per source with a token. The command takes no value, so pulumi prompts for it (or reads it from
 * stdin) and the token stays out of shell history. Names are JSON-quoted (no raw control
 * characters from Copass reach the terminal or a pasted shell line).
 */
export function renderNotes(plan: ImportPlan): string[] {
  const notes: string[] = [];
  for (const s of plan.skipped) {
    notes.push(
      `skipped ${describeSource(s)}: it is ${s.reason === "archived" ? "archived" : "revoked (disconnected)"}, which is terminal; nothing to adopt`,
    );
  }
  for (const s of plan.sources) {
    if (s.status === "active") continue;
    notes.push(
      `note: ${describeSource({ dataSourceId: s.dataSourceId, name: s.args.name })} is ${JSON.stringify(s.status)} ` +
        'at Copass; the first up re-tests it, and under healthPolicy "require" (the default) it must be healthy by then',
    );
  }
  const withToken = plan.sources.filter((s) => s.tokenConfigKey !== undefined);
  if (withToken.length > 0) {
    notes.push(
      "Set each token before `pulumi up` (pulumi prompts for the value, keeping it out of shell history):",
    );
    for (const s of withToken) {
      const what = s.args.authKind === "header_token" ? `${s.args.authHeader} header` : "bearer token";
      notes.push(
        `  pulumi config set --secret ${s.tokenConfigKey}  # ${what} of ${JSON.stringify(s.args.name)} (${s.args.appNamespace})`,
      );
    }
  }
  return notes;
}
