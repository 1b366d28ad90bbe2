/**
 * Files generated from the field table (schema.ts): the README inputs table, the JSDoc of each
 * `UserMcpSourceArgs` member (src/resource.ts) and the zod-free list of names the program side
 * reads (src/field-names.ts). `npm run docs` (scripts/docs.cjs) writes all three;
 * test/readme.test.ts, test/resource-args.test.ts and test/field-names.test.ts fail when one drifts.
 */
import {
  FIELD_NAMES,
  SECRET_FIELDS,
  specOf,
  type ChangeClass,
  type FieldName,
  type FieldSpec,
} from "./schema";

/** What a change does, as the README's "on change" column says it (with the field's special rules). */
function changeCell(spec: FieldSpec): string {
  const base = {
    replace: "**replace**",
    update: "update",
    "update-then-retest": "update, then health re-test",
    none: "no API call",
  }[spec.change];
  const notes = [
    spec.createOnly ? "read on create only" : undefined,
    spec.onRemove === "keep" ? "removing it keeps the server's" : undefined,
    spec.onRemove === "replace" ? "removing it: **replace**" : undefined,
    spec.compare === "set" ? "order ignored" : undefined,
  ].filter((note) => note !== undefined);
  return notes.length === 0 ? base : `${base}; ${notes.join("; ")}`;
}

/** The README inputs table, generated from FIELDS (a test compares it with the README). */
export function inputsMarkdownTable(): string {
  const rows = FIELD_NAMES.map((name) => {
    const spec = specOf(name);
    const api = name === "sandboxId" ? "path `sandbox_id`" : spec.wire === null ? "—" : `\`${spec.wire}\``;
    return `| \`${name}\` | ${api} | ${spec.rule} | ${spec.defaultDoc} | ${changeCell(spec)} | ${spec.secret ? "yes" : ""} | ${spec.description} |`;
  });
  return [
    "| input | API field | type / rule | default | on change | secret | description |",
    "|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

const CHANGE_DOC: Record<ChangeClass, string> = {
  replace: "Changing it **replaces** the source.",
  update: "Updated in place.",
  "update-then-retest": "Updated in place, then health is re-tested.",
  none: "Provider-only: a change makes no API call.",
};

/**
 * The JSDoc of `UserMcpSourceArgs[name]` (src/resource.ts), as one paragraph. `npm run docs` writes
 * it there; test/resource-args.test.ts fails when the two differ.
 */
export function argDoc(name: FieldName): string {
  const spec = specOf(name);
  const presence = spec.required
    ? "Required."
    : spec.defaultDoc === "—"
      ? "Optional."
      : `Default: ${spec.defaultDoc}.`;
  return [
    spec.description,
    `Rule: ${spec.rule.replaceAll("\\|", "|")}.`,
    presence,
    spec.createOnly ? "Read on create only: a later change does nothing." : CHANGE_DOC[spec.change],
    spec.onRemove === "keep" ? "Removing it keeps the server's current value." : undefined,
    spec.onRemove === "replace" ? "Removing it **replaces** the source." : undefined,
    spec.compare === "set" ? "Order does not matter." : undefined,
    spec.secret ? "Always stored as a secret, even when passed as a plain string." : undefined,
  ]
    .filter((part) => part !== undefined)
    .join(" ");
}

/**
 * The text of src/field-names.ts: the table's input names and secret ones as plain data, so that
 * the program side (resource.ts) gets them without loading the validator (zod) that the table
 * holds. Formatted as prettier would, so the written file passes `prettier --check`.
 */
export function fieldNamesModule(): string {
  const list = (names: readonly string[]) => names.map((name) => `  ${JSON.stringify(name)},\n`).join("");
  return [
    "// Generated from the field table (src/provider/schema.ts) by `npm run docs`: do not edit.",
    "// test/field-names.test.ts fails when it differs from the table.",
    "",
    "/**",
    " * The inputs of `UserMcpSource` in table order, and the ones stored as secrets: plain data for",
    " * the program side (resource.ts), which needs the names, not the validator. Importing this loads",
    ' * nothing, so `require("pulumi-copass")` does not load zod (test/package/lean-start.test.ts).',
    " */",
    `export const FIELD_NAMES = [\n${list(FIELD_NAMES)}] as const;`,
    "",
    "export type FieldName = (typeof FIELD_NAMES)[number];",
    "",
    `export const SECRET_FIELDS: readonly FieldName[] = [${SECRET_FIELDS.map((n) => JSON.stringify(n)).join(", ")}];`,
    "",
  ].join("\n");
}
