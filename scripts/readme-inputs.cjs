// Rewrites the inputs table of README.md from the field table (src/provider/schema.ts, built).
// Usage: npm run docs. test/readme.test.ts fails when the README and the field table differ.
const fs = require("node:fs");
const path = require("node:path");
const { inputsMarkdownTable } = require("../dist/provider/schema");

const readmePath = path.join(__dirname, "..", "README.md");
const START = "<!-- inputs:start -->";
const END = "<!-- inputs:end -->";
const readme = fs.readFileSync(readmePath, "utf8");
const [before, rest] = readme.split(START);
const after = rest.split(END)[1];
fs.writeFileSync(readmePath, `${before}${START}\n${inputsMarkdownTable()}\n${END}${after}`);
console.log("README.md inputs table updated");
