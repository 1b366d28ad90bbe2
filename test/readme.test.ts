import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { inputsMarkdownTable } from "../src/provider/docs";

const docs = (file: string) => readFileSync(path.join(__dirname, "..", file), "utf8");
const readme = docs("README.md");

describe("docs/usage.md", () => {
  it("has the inputs table generated from the field table (run `npm run docs` when this fails)", () => {
    const between = docs("docs/usage.md").split("<!-- inputs:start -->")[1]?.split("<!-- inputs:end -->")[0];
    expect(between?.trim()).toBe(inputsMarkdownTable().trim());
  });
});

describe("README", () => {
  it("names the two commands a newcomer runs: the demo and the tests", () => {
    expect(readme).toContain("npm ci && npm run demo");
    expect(readme).toContain("npm ci && npm test");
  });
});

describe("docs/development.md: Adding a field", () => {
  const section = docs("docs/development.md").split("### Adding a field")[1] ?? "";
  const root = path.join(__dirname, "..");

  it("names files and symbols that exist", () => {
    expect(section).not.toBe("");
    const files = [...section.matchAll(/`(src\/[\w/.-]+\.ts)`/g)].map((m) => m[1]!);
    expect(files).toEqual(expect.arrayContaining(["src/provider/schema.ts", "src/resource.ts"]));
    const source = files.map((file) => readFileSync(path.join(root, file), "utf8")).join("\n");
    for (const symbol of [
      "export const FIELDS",
      "interface FieldSpec",
      "interface UserMcpSourceArgs",
      "class UserMcpSource",
      "interface RegisterUserMcpRequest",
      "userMcpAdapterConfigSchema",
    ]) {
      expect(section.includes(symbol.split(" ").pop()!), symbol).toBe(true);
      expect(source, symbol).toContain(symbol);
    }
    const scripts = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).scripts;
    for (const [, name] of section.matchAll(/`npm run (\w+)`/g)) expect(scripts).toHaveProperty(name!);
  });

  it("lists exactly the attributes of FieldSpec", () => {
    const listed = section
      .split("<!-- field-attributes:start -->")[1]
      ?.split("<!-- field-attributes:end -->")[0];
    const attributes = [...(listed ?? "").matchAll(/`(\w+)`/g)].map((m) => m[1]).sort();
    const schema = readFileSync(path.join(root, "src", "provider", "schema.ts"), "utf8");
    const spec = schema.split("export interface FieldSpec")[1]?.split("\n}\n")[0] ?? "";
    const declared = [...spec.matchAll(/^ {2}readonly (\w+)\??:/gm)].map((m) => m[1]).sort();
    expect(declared.length).toBeGreaterThan(0);
    expect(attributes).toEqual(declared);
  });
});
