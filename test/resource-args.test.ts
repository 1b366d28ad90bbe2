/**
 * The resource's typed args (src/resource.ts, for the program) and the field table
 * (src/provider/schema.ts) declare DESIGN §1's inputs; adding a field is one table entry plus its
 * resource type lines, and these tests fail when either is missing or the docs drift. The compiler
 * holds the types together (`npm test` typechecks this file); the runtime tests read the source.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { UserMcpSource, UserMcpSourceArgs } from "../src/resource";
import { argDoc } from "../src/provider/docs";
import { FIELD_NAMES, type FieldName, type UserMcpSourceInputs } from "../src/provider/schema";

const RESOURCE = path.join(__dirname, "..", "src", "resource.ts");

/** Members of `interface UserMcpSourceArgs` in `source`, with their JSDoc as one line. */
function argsMembers(source: string): Map<string, string> {
  const file = ts.createSourceFile("resource.ts", source, ts.ScriptTarget.ES2022, true);
  const members = new Map<string, string>();
  file.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node) || node.name.text !== "UserMcpSourceArgs") return;
    for (const member of node.members) {
      const docs = ts.getJSDocCommentsAndTags(member).map((doc) => ts.getTextOfJSDocComment(doc.comment));
      members.set((member.name as ts.Identifier).text, docs.join(" ").replace(/\s+/g, " ").trim());
    }
  });
  return members;
}

/** What differs between the args interface in `source` and the field table. */
function argsDrift(source: string, names: readonly string[], docOf: (name: string) => string) {
  const members = argsMembers(source);
  const problems: string[] = [];
  for (const name of names) {
    if (!members.has(name)) problems.push(`${name}: no member in UserMcpSourceArgs`);
    else if (members.get(name) !== docOf(name)) {
      problems.push(`${name}: JSDoc differs from the field table (run \`npm run docs\`)`);
    }
  }
  for (const name of members.keys()) if (!names.includes(name)) problems.push(`${name}: not in the table`);
  return problems;
}

describe("UserMcpSourceArgs", () => {
  it("declares exactly the inputs of the field table", () => {
    expectTypeOf<keyof UserMcpSourceArgs>().toEqualTypeOf<FieldName>();
    expectTypeOf<keyof UserMcpSourceArgs>().toEqualTypeOf<keyof UserMcpSourceInputs>();
  });

  it("exposes every input as an output of the resource", () => {
    expectTypeOf<UserMcpSource>().toHaveProperty("sandboxId");
    type Missing = Exclude<FieldName, keyof UserMcpSource>;
    expectTypeOf<Missing>().toEqualTypeOf<never>();
  });

  it("requires the same inputs the field table requires", () => {
    type RequiredKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? never : K }[keyof T];
    expectTypeOf<RequiredKeys<UserMcpSourceArgs>>().toEqualTypeOf<RequiredKeys<UserMcpSourceInputs>>();
  });

  it("documents each member with the table's text (run `npm run docs` when this fails)", () => {
    expect(argsDrift(readFileSync(RESOURCE, "utf8"), FIELD_NAMES, (n) => argDoc(n as FieldName))).toEqual([]);
  });

  it("reports a table entry without its resource line, and a stale JSDoc", () => {
    const source = readFileSync(RESOURCE, "utf8");
    const docOf = (n: string) => (n === "extraField" ? "New." : argDoc(n as FieldName));
    expect(argsDrift(source, [...FIELD_NAMES, "extraField"], docOf)).toEqual([
      "extraField: no member in UserMcpSourceArgs",
    ]);
    const stale = source.replace("Display name of the source.", "Display name.");
    expect(argsDrift(stale, FIELD_NAMES, (n) => argDoc(n as FieldName))).toEqual([
      "name: JSDoc differs from the field table (run `npm run docs`)",
    ]);
    const withoutTable = FIELD_NAMES.filter((n) => n !== "name");
    expect(argsDrift(source, withoutTable, (n) => argDoc(n as FieldName))).toEqual([
      "name: not in the table",
    ]);
  });
});
