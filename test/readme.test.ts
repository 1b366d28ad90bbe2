import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { inputsMarkdownTable } from "../src/provider/schema";

const readme = readFileSync(path.join(__dirname, "..", "README.md"), "utf8");

describe("README", () => {
  it("has the inputs table generated from the field table (run `npm run docs` when this fails)", () => {
    const between = readme.split("<!-- inputs:start -->")[1]?.split("<!-- inputs:end -->")[0];
    expect(between?.trim()).toBe(inputsMarkdownTable().trim());
  });

  it("names the two commands a newcomer runs: the demo and the tests", () => {
    expect(readme).toContain("npm ci && npm run demo");
    expect(readme).toContain("npm ci && npm test");
  });
});
