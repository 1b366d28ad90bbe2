// Writes the files generated from the field table (src/provider/schema.ts, built): the inputs
// table of docs/usage.md, the JSDoc of every `UserMcpSourceArgs` member in src/resource.ts, and
// src/field-names.ts (the names the program side reads without loading zod).
// Usage: npm run docs. test/readme.test.ts, test/resource-args.test.ts and
// test/field-names.test.ts fail when one drifts.
const fs = require("node:fs");
const path = require("node:path");

/** `text` as a JSDoc block indented by `indent`, wrapped at `width` columns. */
function jsdoc(text, indent, width) {
  const single = `${indent}/** ${text} */`;
  if (single.length <= width) return single;
  const lines = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line !== "" && `${indent} * ${line} ${word}`.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return [`${indent}/**`, ...lines.map((l) => `${indent} * ${l}`), `${indent} */`].join("\n");
}

/** `source` (src/resource.ts) with each args member's JSDoc replaced by `docOf(name)`. */
function withArgsDocs(source, docOf) {
  const start = source.indexOf("export interface UserMcpSourceArgs {");
  const end = source.indexOf("\n}\n", start);
  if (start < 0 || end < 0) throw new Error("src/resource.ts: interface UserMcpSourceArgs not found");
  const body = source
    .slice(start, end)
    .replace(/\n( {2})\/\*\*[\s\S]*?\*\/\n {2}readonly (\w+)\??:/g, (match, indent, name) =>
      match.replace(/\/\*\*[\s\S]*?\*\//, jsdoc(docOf(name), indent, 110).trimStart()),
    );
  return source.slice(0, start) + body + source.slice(end);
}

module.exports = { jsdoc, withArgsDocs };

if (require.main === module) {
  const { argDoc, fieldNamesModule, inputsMarkdownTable } = require("../dist/provider/docs");
  const root = path.join(__dirname, "..");

  const usagePath = path.join(root, "docs", "usage.md");
  const START = "<!-- inputs:start -->";
  const END = "<!-- inputs:end -->";
  const usage = fs.readFileSync(usagePath, "utf8");
  const [before, rest] = usage.split(START);
  const after = rest.split(END)[1];
  fs.writeFileSync(usagePath, `${before}${START}\n${inputsMarkdownTable()}\n${END}${after}`);
  console.log("docs/usage.md inputs table updated");

  const resourcePath = path.join(root, "src", "resource.ts");
  fs.writeFileSync(resourcePath, withArgsDocs(fs.readFileSync(resourcePath, "utf8"), argDoc));
  console.log("src/resource.ts UserMcpSourceArgs JSDoc updated");

  fs.writeFileSync(path.join(root, "src", "field-names.ts"), fieldNamesModule());
  console.log("src/field-names.ts updated");

  // The plugin's Pulumi package schema: shipped, served by GetSchema, read by the SDK generators.
  const { schemaFileText } = require("../dist/plugin/package-schema");
  const { version } = require("../package.json");
  fs.writeFileSync(path.join(root, "schema.json"), schemaFileText(version));
  console.log("schema.json updated");
}
