/**
 * What the package claims to run on is what `npm run test:matrix` tests (issue 8): the floors of
 * `engines.node` and of the `@pulumi/pulumi` peer range are the matrix's first row, and
 * docs/compatibility.md shows every row.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(__dirname, "..");
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
  engines: { node: string };
  peerDependencies: Record<string, string>;
};
const rows = (
  JSON.parse(readFileSync(path.join(root, "scripts", "matrix.json"), "utf8")) as {
    rows: { id: string; node: string; sdk: string }[];
  }
).rows;
const page = readFileSync(path.join(root, "docs", "compatibility.md"), "utf8");

describe("the compatibility matrix", () => {
  it("starts at the floor of engines.node with the floor of the peer range", () => {
    expect(pkg.engines.node).toBe(`>=${rows[0]!.node}`);
    expect(pkg.peerDependencies["@pulumi/pulumi"]).toBe(`>=${rows[0]!.sdk} <4`);
  });

  it("tests each Node line once, every SDK either the floor or the latest 3.x", () => {
    const majors = rows.map((r) => r.node.split(".")[0]);
    expect(new Set(majors).size).toBe(rows.length);
    for (const r of rows) expect([rows[0]!.sdk, "latest"]).toContain(r.sdk);
  });

  it("is shown in docs/compatibility.md, one table row per matrix row", () => {
    for (const r of rows) {
      const node = r.node.includes(".") ? r.node : `${r.node}.x, newest`;
      const sdk = r.sdk === "latest" ? "latest 3.x" : r.sdk;
      expect(page).toContain(`| ${node} | ${sdk} |`);
    }
  });
});
