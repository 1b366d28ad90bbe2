/**
 * What loading the packed package loads (issue 18), each in a fresh Node process in the consumer
 * project (the tarball + `@pulumi/pulumi`, as a user's program has it):
 * - the program side (`require("pulumi-copass")`) loads no zod: it needs the field names, not the
 *   validator (src/field-names.ts);
 * - loading the provider loads no zod, no undici, not the client's wire schemas and not the
 *   operations that call the API (issue 24): its first check loads zod only as dist/zod-mini.js, a
 *   bundle without zod's locales (scripts/bundle-zod.mjs); its first create, the operations;
 * - the client loads undici's Agent, retry interceptor and request API, not its entry point, and
 *   classic zod (dist/zod.js);
 * - the bundles are ASCII, and zod/mini's alone speaks English;
 * - the bundled zod says exactly what the zod package says: every check failure of the provider
 *   and every response-shape message of the client, compared with the sources run on the package.
 * The times are the bench's business (`npm run bench:cold`); these tests hold what is loaded.
 */
import { describe, expect, inject, it } from "vitest";
import { dataSourceSchema, sourceListSchema, userMcpResultSchema } from "../../src/client/types";
import { checkInputs } from "../../src/provider/schema";
import { hostNode, run } from "../support/pulumi-host";

const consumer = inject("copassConsumerA");

/**
 * Runs `body` in a fresh Node in the consumer project and returns what it printed as JSON.
 * `loadedSince(before)` lists the files loaded since `before`, relative to their node_modules.
 */
async function inConsumer<T>(body: string): Promise<T> {
  const script = `
    const path = require("node:path");
    const modules = () => Object.keys(require.cache);
    const loadedSince = (before) => {
      const seen = new Set(before);
      return modules()
        .filter((m) => !seen.has(m))
        // The innermost package: ours may sit in node_modules/pulumi-copass/node_modules.
        .map((m) => m.split(path.sep + "node_modules" + path.sep).pop().split(path.sep).join("/"));
    };
    const out = (value) => process.stdout.write(JSON.stringify(value));
    (async () => { ${body} })().catch((e) => { console.error(e); process.exit(1); });
  `;
  const r = await run(hostNode, ["-e", script], { cwd: consumer, timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

let providerLoaded: Promise<string[]> | undefined;
/** What `require("pulumi-copass/provider")` loads in a fresh process: probed once, read by two tests. */
function providerLoad(): Promise<string[]> {
  providerLoaded ??= inConsumer<string[]>(`
    const before = modules();
    require("pulumi-copass/provider");
    out(loadedSince(before));
  `);
  return providerLoaded;
}

const ours = (files: string[]) => files.filter((f) => f.startsWith("pulumi-copass/"));
const of = (pkg: string, files: string[]) => files.filter((f) => f.startsWith(`${pkg}/`));

describe("loading the packed package", () => {
  it('require("pulumi-copass") adds to a program no zod and no undici', { timeout: 60_000 }, async () => {
    const r = await inConsumer<{ pulumi: string[]; added: string[] }>(`
      require("@pulumi/pulumi");
      const before = modules();
      require("pulumi-copass");
      out({ pulumi: loadedSince([]), added: loadedSince(before) });
    `);
    // Were @pulumi/pulumi to load zod itself, the cache would hide ours: it does not.
    expect(r.pulumi.filter((f) => /zod/.test(f))).toEqual([]);
    // The list is real: our program-side files are in it.
    expect(ours(r.added)).toEqual(
      expect.arrayContaining(["pulumi-copass/dist/index.js", "pulumi-copass/dist/resource.js"]),
    );
    // mutation: import FIELD_NAMES and SECRET_FIELDS from "./provider/schema" in resource.ts and read
    // `FIELDS.name.schema` at its top → dist/zod-mini.js (and the schema's modules) appear → this fails.
    expect(r.added.filter((f) => /zod/.test(f))).toEqual([]);
    expect(of("undici", r.added)).toEqual([]);
  });

  it(
    "loading the provider loads no zod and no operation that calls the API, only what a preview calls",
    { timeout: 60_000 },
    async () => {
      const added = await providerLoad();
      // The list is real: what configure, check and diff need is in it.
      expect(ours(added)).toEqual(
        expect.arrayContaining([
          "pulumi-copass/dist/provider/provider.js",
          "pulumi-copass/dist/provider/schema.js",
          "pulumi-copass/dist/provider/diff.js",
          "pulumi-copass/dist/provider/session.js",
        ]),
      );
      // mutation: a top-level `z.string()` in schema.ts (or `import * as z from "../zod-mini"` back in
      // place of the lazy require) → dist/zod-mini.js appears → this test fails.
      expect(ours(added).filter((f) => /zod/.test(f))).toEqual([]);
      expect(of("zod", added)).toEqual([]);
      expect(of("undici", added)).toEqual([]);
      // mutation: import { operations } from "./operations" at the top of provider.ts (or import
      // createOnce there again) → operations.js, create-once.js, adopt.js, health-wait.js appear → fails.
      for (const module of ["operations", "adopt", "health-wait", "health"]) {
        expect(ours(added)).not.toContain(`pulumi-copass/dist/provider/${module}.js`);
      }
      expect(ours(added)).not.toContain("pulumi-copass/dist/client/create-once.js");
    },
  );

  it(
    "the first check loads zod only as the zod/mini bundle without locales; the first create, the operations",
    { timeout: 60_000 },
    async () => {
      const r = await inConsumer<{ check: string[]; create: string[] }>(`
        const { provider } = require("pulumi-copass/provider");
        await provider.configure({ config: { get: () => undefined } });
        let before = modules();
        const news = { sandboxId: "sb", name: "n", baseUrl: "https://mcp.example.com/mcp", authKind: "none" };
        const { inputs, failures } = await provider.check({}, news);
        if (failures.length > 0) throw new Error(JSON.stringify(failures));
        const check = loadedSince(before);
        before = modules();
        // No API key: create fails once it has loaded the operations and the client.
        await provider.create(inputs).then(() => { throw new Error("create needs an API key"); }, () => undefined);
        out({ check, create: loadedSince(before) });
      `);
      // mutation: import { z } from "zod" in schema.ts (or a build without scripts/bundle-zod.mjs) →
      // zod's own files, its 64 locales among them, appear → this test fails.
      expect(of("zod", r.check)).toEqual([]);
      // mutation: add `import "../zod";` to schema.ts → classic zod's bundle appears → this fails.
      // mutation: one rolldown build of both entries (a shared chunk) → dist/zod-core.js appears.
      expect(ours(r.check)).toEqual(["pulumi-copass/dist/zod-mini.js"]);
      expect(ours(r.create)).toEqual(
        expect.arrayContaining([
          "pulumi-copass/dist/provider/operations.js",
          "pulumi-copass/dist/client/create-once.js",
        ]),
      );
    },
  );

  it(
    "the provider does not build the client's wire schemas, nor load what reads error bodies",
    { timeout: 60_000 },
    async () => {
      const added = await providerLoad();
      // The list is real: the client modules the provider does need are in it.
      expect(ours(added)).toEqual(
        expect.arrayContaining([
          "pulumi-copass/dist/client/errors.js",
          "pulumi-copass/dist/client/vocabulary.js",
        ]),
      );
      // mutation: import AUTH_KINDS from "../client/types" in schema.ts, or userMcpAdapterConfigSchema
      // in outputs.ts, or move httpError back into client/errors.ts → types.js appears → this fails.
      expect(ours(added)).not.toContain("pulumi-copass/dist/client/types.js");
      expect(ours(added)).not.toContain("pulumi-copass/dist/client/call-errors.js");
    },
  );

  it("ships the zod bundles in ASCII, so Node holds their source as one byte per character", async () => {
    const bundles = await inConsumer<{ size: number; nonAscii: number }[]>(`
      const dist = path.join(path.dirname(require.resolve("pulumi-copass/package.json")), "dist");
      const texts = ["zod.js", "zod-mini.js"].map((f) => require("node:fs").readFileSync(path.join(dist, f), "utf8"));
      out(texts.map((text) => ({ size: text.length, nonAscii: (text.match(/[\\u0080-\\uffff]/g) ?? []).length })));
    `);
    for (const zod of bundles) {
      expect(zod.size).toBeGreaterThan(5_000);
      // mutation: drop both `comments` and `charset` from scripts/bundle-zod.mjs's output options
      // (either alone keeps it ASCII) → zod's doc comments keep their dashes → this fails.
      expect(zod.nonAscii).toBe(0);
    }
  });

  it("the zod/mini bundle, loaded alone, writes zod's own messages in English", async () => {
    const message = await inConsumer<string>(`
      const dist = path.join(path.dirname(require.resolve("pulumi-copass/package.json")), "dist");
      const z = require(path.join(dist, "zod-mini.js"));
      out(z.string().safeParse(5).error.issues[0].message);
    `);
    // mutation: delete `if (!config().localeError) config(en());` in src/zod-mini.ts → zod/mini has
    // no locale, the message is "Invalid input" → this fails.
    expect(message).toBe("Invalid input: expected string, received number");
  });

  it(
    "the client loads undici's Agent, retry interceptor and request API, not its entry point",
    { timeout: 60_000 },
    async () => {
      const added = await inConsumer<string[]>(`
      require("pulumi-copass/provider");
      const before = modules();
      require("pulumi-copass/client");
      out(loadedSince(before));
    `);
      const undici = of("undici", added);
      expect(undici).toEqual(
        expect.arrayContaining([
          "undici/lib/dispatcher/agent.js",
          "undici/lib/interceptor/retry.js",
          "undici/lib/api/api-request.js",
        ]),
      );
      // mutation: import { Agent, interceptors } from "undici" in client.ts → index.js and its
      // fetch, WebSocket, cache and mock modules appear → this test fails.
      expect(undici).not.toContain("undici/index.js");
      expect(undici.length).toBeLessThan(40);
      expect(of("zod", added)).toEqual([]);
      // Classic zod, for the wire schemas: its own bundle, with the part of zod's core it uses.
      expect(ours(added).filter((f) => /zod/.test(f))).toEqual(["pulumi-copass/dist/zod.js"]);
    },
  );
});

// --- the bundled zod says what the zod package says ---------------------------------------------

/** Programs that break every rule of the field table, the cross-field ones and nested ones. */
const BAD_PROGRAMS: Record<string, unknown>[] = [
  {},
  { sandboxId: 5, name: 7, baseUrl: 9, authKind: 1 },
  { sandboxId: "sb/1", name: "", baseUrl: "ftp://x", authKind: "basic" },
  { sandboxId: "sb", name: "x".repeat(256), baseUrl: "http://example.com/mcp", authKind: "bearer" },
  {
    sandboxId: "sb",
    name: "n",
    baseUrl: "https://u:p@example.com/mcp/",
    authKind: "none",
    token: "tok_1234",
  },
  { sandboxId: "sb", name: "n", baseUrl: "https://example.com/mcp", authKind: "bearer", token: "abc" },
  { sandboxId: "sb", name: "n", baseUrl: "https://example.com/mcp", authKind: "header_token", token: 5 },
  {
    sandboxId: "sb",
    name: "n",
    baseUrl: "https://example.com/mcp",
    authKind: "bearer",
    token: "tok_1234",
    authHeader: "X Bad",
  },
  {
    sandboxId: "sb",
    name: "n",
    baseUrl: "https://example.com/mcp",
    authKind: "none",
    appNamespace: "a b",
    adoptExisting: "yes",
  },
  { sandboxId: "sb", name: "n", baseUrl: "https://example.com/mcp", authKind: "none", adoptExisting: true },
  {
    sandboxId: "sb",
    name: "n",
    baseUrl: "https://example.com/mcp",
    authKind: "none",
    allowedTools: ["a", "a"],
  },
  { sandboxId: "sb", name: "n", baseUrl: "https://example.com/mcp", authKind: "none", allowedTools: [""] },
  { sandboxId: "sb", name: "n", baseUrl: "https://example.com/mcp", authKind: "none", allowedTools: "all" },
  {
    sandboxId: "sb",
    name: "n",
    baseUrl: "https://example.com/mcp",
    authKind: "none",
    ingestToolCalls: [{ arguments: 1 }],
  },
  { sandboxId: "sb", name: "n", baseUrl: "https://example.com/mcp", authKind: "none", ingestToolCalls: [5] },
  { sandboxId: "sb", name: "n", baseUrl: "https://example.com/mcp", authKind: "none", ingestToolCalls: {} },
  {
    sandboxId: "sb",
    name: "n",
    baseUrl: "https://example.com/mcp",
    authKind: "none",
    rateCapPerMinute: 1.5,
    webhookRateCapPerMinute: 0,
  },
  {
    sandboxId: "sb",
    name: "n",
    baseUrl: "https://example.com/mcp",
    authKind: "none",
    rateCapPerMinute: "60",
    webhookRateCapPerMinute: 7000,
  },
  {
    sandboxId: "sb",
    name: "n",
    baseUrl: "https://example.com/mcp",
    authKind: "none",
    healthPolicy: "never",
    healthTimeoutSeconds: -1,
  },
  {
    sandboxId: "sb",
    name: "n",
    baseUrl: "https://example.com/mcp",
    authKind: "none",
    healthCheckOnRefresh: "no",
    deletionPolicy: "purge",
  },
];

/** Response bodies of the wrong shape: these messages are zod's own, in its English locale. */
const BAD_BODIES: Record<"result" | "source" | "list", unknown[]> = {
  result: [{ data_source_id: 5 }, { status: [], error: {} }, "text", null],
  source: [
    {},
    { data_source_id: 5, provider: "user_mcp", name: "n", status: "active", adapter_config: "x" },
    [],
  ],
  list: [{ sources: {} }, { sources: [{ data_source_id: "d" }], count: 1.5 }, { sources: [1] }],
};

/** The first three issues of a failed parse, as the client puts them in its error message. */
function issues(parse: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) {
  return parse.success
    ? []
    : parse.error!.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
}

describe("the bundled zod (dist/zod.js)", () => {
  it(
    "gives every check failure and every response-shape message the zod package gives, byte for byte",
    { timeout: 60_000 },
    async () => {
      const packed = await inConsumer<{ failures: unknown[]; bodies: Record<string, string[][]> }>(`
      const { provider } = require("pulumi-copass/provider");
      const client = require("pulumi-copass/client");
      const programs = ${JSON.stringify(BAD_PROGRAMS)};
      const bodies = ${JSON.stringify(BAD_BODIES)};
      const issues = ${issues.toString()};
      const failures = [];
      for (const p of programs) failures.push((await provider.check({}, p)).failures);
      const schemas = { result: client.userMcpResultSchema, source: client.dataSourceSchema, list: client.sourceListSchema };
      const parsed = {};
      for (const [k, list] of Object.entries(bodies)) parsed[k] = list.map((b) => issues(schemas[k].safeParse(b)));
      out({ failures, bodies: parsed, loaded: loadedSince([]).filter((f) => f.startsWith("zod/")) });
    `);
      const fromSources = {
        failures: BAD_PROGRAMS.map((p) => checkInputs(p).failures),
        bodies: {
          result: BAD_BODIES.result.map((b) => issues(userMcpResultSchema.safeParse(b))),
          source: BAD_BODIES.source.map((b) => issues(dataSourceSchema.safeParse(b))),
          list: BAD_BODIES.list.map((b) => issues(sourceListSchema.safeParse(b))),
        },
      };
      // Not vacuous: every program fails, and zod's own English messages are among the compared.
      expect(fromSources.failures.every((f) => f.length > 0)).toBe(true);
      expect(JSON.stringify(fromSources.bodies)).toContain("Invalid input: expected string, received number");
      // mutation: remove `if (!globalConfig.localeError) config(en_default())` from dist/zod.js (the
      // English locale the bundle keeps) → the client's messages become "Invalid input" → this fails.
      expect(packed).toEqual({ ...fromSources, loaded: [] });
    },
  );
});
