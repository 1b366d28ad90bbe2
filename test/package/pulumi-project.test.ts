/**
 * The repository root is a Pulumi project (Pulumi.yaml, `main: examples/basic/`), and
 * examples/basic is one too, installed by the root's `npm ci` as a workspace. No Pulumi CLI here:
 * the project files are parsed with the YAML parser @pulumi/pulumi itself ships, their config
 * declarations are held against the keys the program reads, and the program is type-checked with
 * the tsconfig Pulumi would use from each folder (ts-node takes `tsconfig.json` from the cwd).
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot, run } from "../support/pulumi-host";

interface ConfigDecl {
  type?: string;
  secret?: boolean;
  description?: string;
  default?: unknown;
}
interface Project {
  name: string;
  description?: string;
  main?: string;
  runtime: { name: string; options?: { typescript?: boolean } };
  config?: Record<string, ConfigDecl>;
}

const yaml = createRequire(require.resolve("@pulumi/pulumi/package.json"))("js-yaml") as {
  load(text: string): unknown;
};
const tsc = path.join(repoRoot, "node_modules", "typescript", "bin", "tsc");
const basic = path.join(repoRoot, "examples", "basic");
const program = readFileSync(path.join(basic, "index.ts"), "utf8");

const loadProject = (dir: string) =>
  yaml.load(readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as Project;

/** The project config keys the program reads: `cfg.require("k")`, `requireSecret`, `get`… */
function keysRead(source: string): { key: string; secret: boolean }[] {
  return [...source.matchAll(/cfg\.(require|get)(Secret)?(?:Number|Boolean|Object)?\("([^"]+)"\)/g)].map(
    (m) => ({ key: m[3]!, secret: m[2] === "Secret" }),
  );
}

describe.each([
  ["the repository root", repoRoot],
  ["examples/basic", basic],
])("Pulumi.yaml of %s", (_name, dir) => {
  const project = loadProject(dir);

  it("is a TypeScript Node.js project that runs examples/basic", () => {
    expect(project.name).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(project.runtime).toEqual({ name: "nodejs", options: { typescript: true } });
    const main = path.resolve(dir, project.main ?? ".");
    expect(realpathSync(main)).toBe(realpathSync(basic));
    const pkg = JSON.parse(readFileSync(path.join(main, "package.json"), "utf8")) as { main?: string };
    expect(pkg.main).toBe("index.ts");
  });

  it("declares exactly the config keys the program reads, secrets as secret, each described", () => {
    const read = keysRead(program);
    expect(read.map((r) => r.key).sort()).toEqual(["crmMcpToken", "mcpUrl", "sandboxId"]);
    expect(Object.keys(project.config ?? {}).sort()).toEqual(read.map((r) => r.key).sort());
    for (const { key, secret } of read) {
      const decl = project.config![key]!;
      expect(decl.type, key).toBe("string");
      expect(decl.secret ?? false, key).toBe(secret);
      expect(decl.description, key).toBeTruthy();
      // No default: `pulumi up` stops early, naming the missing key.
      expect(decl.default, key).toBeUndefined();
    }
  });
});

describe("the workspace", () => {
  const readPkg = (dir: string) =>
    JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as {
      version: string;
      dependencies?: Record<string, string>;
      bin?: Record<string, string>;
    };

  it("keeps the provider's runtime dependencies to undici and zod; the MCP SDK is the emulator's", () => {
    const root = readPkg(repoRoot);
    const emulator = readPkg(path.join(repoRoot, "packages", "emulator"));
    expect(Object.keys(root.dependencies ?? {}).sort()).toEqual(["undici", "zod"]);
    expect(Object.keys(emulator.dependencies ?? {}).sort()).toEqual([
      "@modelcontextprotocol/sdk",
      "pulumi-copass",
    ]);
    // The range the emulator publishes with must accept this checkout's provider version.
    expect(emulator.dependencies!["pulumi-copass"]).toBe(`^${root.version}`);
  });

  it(
    "runs `npx copass-emulator --help` from the clone, as the README documents",
    { timeout: 120_000 },
    async () => {
      const r = await run("npx", ["--no-install", "copass-emulator", "--help"], {
        cwd: repoRoot,
        timeoutMs: 120_000,
      });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Usage: copass-emulator");
    },
  );

  it("resolves `copass-emulator` by name to the built package, with its documented exports", () => {
    const fromRoot = createRequire(path.join(repoRoot, "package.json"));
    const entry = fromRoot.resolve("copass-emulator");
    expect(realpathSync(entry)).toBe(
      path.join(realpathSync(repoRoot), "packages", "emulator", "dist", "index.js"),
    );
    const emulator = fromRoot("copass-emulator") as Record<string, unknown>;
    expect(typeof emulator.startEmulator).toBe("function");
    expect(typeof emulator.startMcpServer).toBe("function");
  });
});

describe("examples/basic", () => {
  mkdirSync(path.join(repoRoot, ".tmp"), { recursive: true });
  const temp = mkdtempSync(path.join(repoRoot, ".tmp", "typecheck-basic-"));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it("documents every config key in its README, with the provider's API key", () => {
    const readme = readFileSync(path.join(basic, "README.md"), "utf8");
    for (const { key } of keysRead(program)) expect(readme).toContain(`\`${key}\``);
    expect(readme).toContain("copass:apiKey");
    expect(readme).toContain("copass:apiUrl");
  });

  it("resolves pulumi-copass to this checkout and shares the root's @pulumi/pulumi (npm workspace)", () => {
    const fromBasic = createRequire(path.join(basic, "index.ts"));
    const fromRoot = createRequire(path.join(repoRoot, "package.json"));
    expect(realpathSync(fromBasic.resolve("pulumi-copass"))).toBe(
      path.join(realpathSync(repoRoot), "dist", "index.js"),
    );
    expect(fromBasic.resolve("@pulumi/pulumi")).toBe(fromRoot.resolve("@pulumi/pulumi"));
  });

  it("type-checks with its own tsconfig (pulumi up in examples/basic)", { timeout: 180_000 }, async () => {
    const r = await run(process.execPath, [tsc, "-p", "tsconfig.json", "--noEmit"], { cwd: basic });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it(
    "type-checks with the root tsconfig (pulumi up at the root, main: examples/basic/)",
    { timeout: 180_000 },
    async () => {
      const tsconfig = path.join(temp, "tsconfig.json");
      writeFileSync(
        tsconfig,
        JSON.stringify({
          extends: path.join(repoRoot, "tsconfig.json"),
          compilerOptions: { noEmit: true },
          include: [],
          files: [path.join(basic, "index.ts")],
        }),
      );
      const r = await run(process.execPath, [tsc, "-p", tsconfig], { cwd: repoRoot });
      expect(r.stdout + r.stderr).toBe("");
      expect(r.code).toBe(0);
    },
  );
});
