/**
 * Documentation generated from the field table (schema.ts): the README inputs table and the JSDoc
 * of each `UserMcpSourceArgs` member (src/resource.ts). `npm run docs` (scripts/docs.cjs) writes
 * both; test/readme.test.ts and test/resource-args.test.ts fail when either drifts.
 */
import { FIELD_NAMES, specOf, type ChangeClass, type FieldName, type FieldSpec } from "./schema";

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
