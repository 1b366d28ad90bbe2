/**
 * The package as `npm pack` makes it and a user's Pulumi project installs it (issue 7): the files
 * it ships, the dependencies it adds next to `@pulumi/pulumi`, and the README example and
 * examples/basic type-checked against it under Pulumi's default template tsconfig and under the
 * node16 and bundler resolutions, with `skipLibCheck: false`.
 *
 * The tarball and the consumer project (tarball + `@pulumi/pulumi`, installed `--prefer-offline`
 * into an empty project) come from test/globalSetup.host.ts, which packs once per run.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { repoRoot, run } from "../support/pulumi-host";

const tarball = inject("copassTarball");
const consumer = inject("copassConsumerA");
const installed = path.join(consumer, "node_modules", "pulumi-copass");
const tsc = path.join(repoRoot, "node_modules", "typescript", "bin", "tsc");

interface PackageJson {
  name: string;
  license?: string;
  main?: string;
  types?: string;
  repository?: { type: string; url: string };
  keywords?: string[];
  exports?: Record<string, string | Record<string, string>>;
  typesVersions?: Record<string, Record<string, string[]>>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  bin?: Record<string, string>;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, "utf8")) as T;

describe("the packed tarball", () => {
  let files: string[];
  let pkg: PackageJson;

  beforeAll(async () => {
    const list = await run("tar", ["-tzf", tarball], { cwd: repoRoot });
    expect(list.code, list.stderr).toBe(0);
    files = list.stdout
      .split("\n")
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ""))
      .sort();
    pkg = readJson<PackageJson>(path.join(installed, "package.json"));
  });

  it("ships dist's JavaScript and declarations, README, LICENSE, CHANGELOG, package.json and the plugin's schema.json only", () => {
    const meta = ["package.json", "README.md", "LICENSE", "CHANGELOG.md", "schema.json"];
    const unexpected = files.filter((f) => !meta.includes(f) && !/^dist\/.+\.(js|d\.ts)$/.test(f));
    expect(unexpected).toEqual([]);
    expect(files).toEqual(
      expect.arrayContaining([
        ...meta,
        "dist/index.js",
        "dist/index.d.ts",
        "dist/resource.js",
        "dist/resource.d.ts",
        "dist/provider/shim.js",
        "dist/provider/provider.js",
        "dist/client/index.js",
        "dist/client/index.d.ts",
        "dist/plugin/main.js",
      ]),
    );
    // The emulator is its own package (copass-emulator), so none of it ships here.
    expect(files.filter((f) => /emulator|mcp-server/.test(f))).toEqual([]);
    // Nor the release's executables (release/, `npm run dist`) or the generated SDKs (sdk/), nor the
    // executable's entry (mutation: drop tsconfig.build.json's exclude → dist/plugin/executable.js).
    expect(files.filter((f) => /^(release|sdk)\/|executable/.test(f))).toEqual([]);
  });

  it("has every file its exports map, typesVersions, main, types and bin point to", () => {
    const targets = new Set<string>([pkg.main!, pkg.types!]);
    for (const entry of Object.values(pkg.exports ?? {})) {
      for (const t of typeof entry === "string" ? [entry] : Object.values(entry)) targets.add(t);
    }
    for (const map of Object.values(pkg.typesVersions ?? {})) {
      for (const list of Object.values(map)) list.forEach((t) => targets.add(t));
    }
    for (const t of Object.values(pkg.bin ?? {})) targets.add(t);
    const missing = [...targets].map((t) => t.replace(/^\.\//, "")).filter((t) => !files.includes(t));
    expect(missing).toEqual([]);
  });

  it("carries the Apache-2.0 license text and says so in package.json", () => {
    const license = readFileSync(path.join(installed, "LICENSE"), "utf8");
    expect(pkg.license).toBe("Apache-2.0");
    expect(license).toContain("Apache License");
    expect(license).toContain("Version 2.0, January 2004");
    expect(license).toContain("TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION");
    expect(license).toContain("END OF TERMS AND CONDITIONS");
    expect(license.length).toBeGreaterThan(10_000);
  });

  it("depends on undici and zod at run time, with @pulumi/pulumi as a peer, and has publish metadata", () => {
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual(["undici", "zod"]);
    expect(pkg.optionalDependencies).toBeUndefined();
    expect(Object.keys(pkg.peerDependencies ?? {})).toEqual(["@pulumi/pulumi"]);
    expect(pkg.repository?.url).toMatch(/pulumi-copass/);
    expect(pkg.keywords).toEqual(expect.arrayContaining(["pulumi", "copass", "mcp"]));
  });
});

// ---------------------------------------------------------------------------------------------
// What installing adds

interface LockEntry {
  version?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** Node's lookup over a lockfile's `packages` keys: the nearest `node_modules/<name>` upwards. */
function resolveIn(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = (dir ? `${dir}/` : "") + `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const up = dir.lastIndexOf("/node_modules/");
    dir = up < 0 ? "" : dir.slice(0, up);
  }
}

/** Every lockfile entry reachable from `roots` through dependencies, optional and peer ones. */
function closure(packages: Record<string, LockEntry>, roots: string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const at = queue.pop()!;
    if (seen.has(at)) continue;
    seen.add(at);
    const e = packages[at]!;
    const names = Object.keys({ ...e.dependencies, ...e.optionalDependencies, ...e.peerDependencies });
    for (const name of names) {
      const dep = resolveIn(packages, at, name);
      if (dep) queue.push(dep);
    }
  }
  return seen;
}

/** Bytes of a package's own files (symlinks not followed; nested packages are counted apart). */
function diskBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== "node_modules") total += diskBytes(p);
    else if (entry.isFile()) total += statSync(p).size;
  }
  return total;
}

describe("installed into a project that has @pulumi/pulumi", () => {
  it("adds only pulumi-copass, undici, zod and their own dependencies", () => {
    const lock = readJson<{ packages: Record<string, LockEntry> }>(path.join(consumer, "package-lock.json"));
    const packages = lock.packages;
    const all = Object.keys(packages).filter((k) => k !== "");
    const withPulumi = closure(packages, ["node_modules/@pulumi/pulumi"]);
    const added = all.filter((k) => !withPulumi.has(k)).sort();
    // undici and zod as pulumi-copass resolves them (its undici 7 nests below it when the
    // project's tree holds another major at the top).
    const copass = "node_modules/pulumi-copass";
    const runtime = ["undici", "zod"].map((name) => resolveIn(packages, copass, name)!);
    const allowed = closure(packages, runtime);
    allowed.add(copass);
    expect(added.filter((k) => !allowed.has(k))).toEqual([]);
    expect(added).toContain("node_modules/pulumi-copass");
    // The MCP SDK and its server stack (express, hono, ajv…) belong to copass-emulator only.
    expect(all.filter((k) => /@modelcontextprotocol|\/express$|\/hono$/.test(k))).toEqual([]);
    const bytes = added.reduce((sum, k) => sum + diskBytes(path.join(consumer, k)), 0);
    process.stderr.write(
      `[package] installing pulumi-copass next to @pulumi/pulumi adds ${added.length} packages, ` +
        `${(bytes / 1e6).toFixed(2)} MB: ${added.map((k) => k.replace(/^.*node_modules\//, "")).join(", ")}\n`,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Type-checking a user's program against the installed package

/** Pulumi's `typescript` template tsconfig (pulumi/templates), `pretty` off so each error is one line. */
const templateOptions = {
  strict: true,
  outDir: "bin",
  target: "es2020",
  module: "commonjs",
  moduleResolution: "node",
  sourceMap: true,
  experimentalDecorators: true,
  pretty: false,
  noFallthroughCasesInSwitch: true,
  noImplicitReturns: true,
  forceConsistentCasingInFileNames: true,
};

const resolutions: Record<string, Record<string, unknown>> = {
  "Pulumi's template (commonjs, moduleResolution node)": templateOptions,
  "moduleResolution node16": { ...templateOptions, module: "node16", moduleResolution: "node16" },
  "moduleResolution bundler": { ...templateOptions, module: "esnext", moduleResolution: "bundler" },
};

/** The README's program: the ```ts block that imports the package. */
function readmeExample(): string {
  const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const example = blocks.find((b) => b.includes('from "pulumi-copass"'));
  if (!example) throw new Error("README.md has no ```ts block importing pulumi-copass");
  return example;
}

const programs: Record<string, () => string> = {
  "the README example": readmeExample,
  "examples/basic": () => readFileSync(path.join(repoRoot, "examples/basic/index.ts"), "utf8"),
  // Every union-typed output, compared for type identity, so a loosened output type fails.
  "output types": () => `
import * as pulumi from "@pulumi/pulumi";
import {
  UserMcpSource,
  type UserMcpAuthKind,
  type UserMcpDeletionPolicy,
  type UserMcpHealthPolicy,
  type UserMcpSourceStatus,
} from "pulumi-copass";
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
declare const s: UserMcpSource;
export const checks: true[] = [
  true as Equals<typeof s.status, pulumi.Output<UserMcpSourceStatus>>,
  true as Equals<typeof s.authKind, pulumi.Output<UserMcpAuthKind>>,
  true as Equals<typeof s.healthPolicy, pulumi.Output<UserMcpHealthPolicy>>,
  true as Equals<typeof s.deletionPolicy, pulumi.Output<UserMcpDeletionPolicy>>,
  true as Equals<UserMcpAuthKind, "bearer" | "header_token" | "none">,
  true as Equals<UserMcpHealthPolicy, "require" | "warn" | "ignore">,
  true as Equals<UserMcpDeletionPolicy, "revoke" | "delete">,
];
export const known: UserMcpSourceStatus[] = ["active", "error", "paused", "disconnected", "archived", "unknown"];
`,
};

describe("a user's program type-checks against the installed package with skipLibCheck false", () => {
  const work = path.join(consumer, "typecheck");
  beforeAll(() => mkdirSync(work, { recursive: true }));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  let n = 0;
  /**
   * Writes the programs and a tsconfig in a fresh folder of the consumer project and runs tsc
   * there, once for all programs (each tsc run reads @pulumi/pulumi's declarations in full).
   */
  async function check(
    sources: Record<string, string>,
    compilerOptions: Record<string, unknown>,
    extraArgs: string[] = [],
  ) {
    const dir = path.join(work, String(n++));
    mkdirSync(dir);
    for (const [file, source] of Object.entries(sources)) writeFileSync(path.join(dir, file), source);
    // A Pulumi project has @types/node (the template's devDependency); take the repository's.
    const options = {
      noEmit: true,
      skipLibCheck: false,
      typeRoots: [path.join(repoRoot, "node_modules", "@types")],
      types: ["node"],
      ...compilerOptions,
    };
    const tsconfig = { compilerOptions: options, files: Object.keys(sources) };
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
    return run(process.execPath, [tsc, "-p", "tsconfig.json", ...extraArgs], {
      cwd: dir,
      timeoutMs: 300_000,
    });
  }

  /** One file per program; a file name says which program an error is in. */
  const sources = () =>
    Object.fromEntries(
      Object.entries(programs).map(([name, source]) => [`${name.replace(/[^a-z0-9]+/gi, "-")}.ts`, source()]),
    );

  for (const [resolutionName, options] of Object.entries(resolutions)) {
    it(`${Object.keys(programs).join(", ")} under ${resolutionName}`, { timeout: 300_000 }, async () => {
      const template = options === templateOptions;
      const r = await check(sources(), options, template ? ["--listFiles"] : []);
      expect(r.stderr).toBe("");
      expect(r.stdout.split("\n").filter((l) => l.includes("error TS"))).toEqual([]);
      expect(r.code).toBe(0);
      if (template) {
        // No zod declaration enters a program that imports the root entry point.
        expect(r.stdout).toContain(path.join("pulumi-copass", "dist", "index.d.ts"));
        expect(r.stdout.split("\n").filter((f) => f.includes(`${path.sep}zod${path.sep}`))).toEqual([]);
      }
    });
  }

  it(
    "the client and provider subpaths resolve under moduleResolution node (typesVersions)",
    { timeout: 300_000 },
    async () => {
      const source = `
import { CopassClient, CopassError } from "pulumi-copass/client";
import { provider } from "pulumi-copass/provider";
export const ok: [typeof CopassClient, typeof CopassError, typeof provider] = [CopassClient, CopassError, provider];
`;
      // zod's own declarations need esModuleInterop or skipLibCheck (see README), unlike the root entry.
      const r = await check(
        { "subpaths.ts": source },
        { ...templateOptions, esModuleInterop: true, skipLibCheck: true },
      );
      expect(r.stdout + r.stderr).toBe("");
      expect(r.code).toBe(0);
    },
  );
});
