/**
 * The plugin starts lean (issue 18): Configure and GetSchema, which every `pulumi preview` of a
 * YAML, Python or Go program makes first, load neither the core nor zod nor undici; the first
 * Check does. Probed in a fresh Node process on the built dist/ (the package's own files).
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const dist = path.join(__dirname, "..", "..", "dist", "plugin");

/** Loads the plugin's handlers, runs `calls`, and reports which heavy modules got loaded. */
function loadedAfter(calls: string): { zod: boolean; undici: boolean; core: boolean } {
  const script = `
    const { handlers } = require(${JSON.stringify(path.join(dist, "handlers.js"))});
    require(${JSON.stringify(path.join(dist, "grpc-server.js"))});
    const loaded = (re) => Object.keys(require.cache).some((k) => re.test(k));
    (async () => { ${calls} })().then(() => process.stdout.write(JSON.stringify({
      zod: loaded(/[\\\\/]zod(-mini|-core)?(\\.js$|[\\\\/])/),
      undici: loaded(/[\\\\/]undici[\\\\/]/),
      core: loaded(/[\\\\/]dist[\\\\/]provider[\\\\/]provider\\.js$/),
    })));
  `;
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as { zod: boolean; undici: boolean; core: boolean };
}

describe("the plugin's start", () => {
  it("serves Configure without loading the core, zod or undici", () => {
    // Mutation: load the core in handlers.configure (`await loadCore()`) → core and zod load.
    expect(loadedAfter(`handlers.configure({ apiUrl: "http://127.0.0.1:9" }, {});`)).toEqual({
      zod: false,
      undici: false,
      core: false,
    });
  });

  it("loads the core and zod on the first Check, and still not undici (a preview never calls Copass)", () => {
    const after = loadedAfter(`
      handlers.configure({ apiUrl: "http://127.0.0.1:9" }, {});
      await handlers.check({ sandboxId: "sb_1", name: "n", baseUrl: "https://mcp.example.com/mcp", authKind: "none" });
    `);
    expect(after).toEqual({ zod: true, undici: false, core: true });
  });
});
