/**
 * The pure part of `pulumi-copass import` (src/cli/import.ts): Copass rows → args → program text.
 * The program must read as prettier prints it (the repo's .prettierrc.json), so each rendering is
 * compared with prettier's output, for fixed cases and for generated ones (fast-check).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import * as prettier from "prettier";
import { describe, expect, it } from "vitest";
import type { DataSource } from "../../src/client/types";
import {
  argsFromSource,
  baseName,
  logicalNames,
  planImport,
  renderJson,
  renderPulumiImport,
  renderNotes,
  renderProgram,
  type ImportPlan,
} from "../../src/cli/import";
import { printString } from "../../src/cli/print";
import { checkInputs } from "../../src/provider/schema";

const SB = "sb_import";

/** A user_mcp row as Copass lists it, with the server's defaults filled in like the emulator does. */
function row(id: string, config: Record<string, unknown>, extra: Partial<DataSource> = {}): DataSource {
  return {
    data_source_id: id,
    sandbox_id: SB,
    provider: "user_mcp",
    name: `source ${id}`,
    ingestion_mode: "user_mcp",
    status: "active",
    kind: "durable",
    adapter_config: {
      base_url: "https://mcp.example.com/mcp",
      auth_kind: "bearer",
      auth_header: null,
      app_namespace: id,
      allowed_tools: null,
      ingest_tool_calls: [],
      rate_cap_per_minute: 60,
      webhook_rate_cap_per_minute: 600,
      vault_ref: `user_mcp/${id}/auth`,
      ...config,
    },
    health_error: null,
    created_at: "2026-01-01T00:00:00.000000+00:00",
    updated_at: "2026-01-01T00:00:00.000000+00:00",
    ...extra,
  };
}

async function prettierFormat(text: string): Promise<string> {
  const file = path.join(__dirname, "../../sources.ts");
  const config = await prettier.resolveConfig(file);
  return prettier.format(text, { ...config, filepath: file });
}

describe("argsFromSource", () => {
  it("leaves out every default and null, and always writes the namespace and adoptExisting", () => {
    expect(argsFromSource(row("ds_A", {}), SB)).toEqual({
      sandboxId: SB,
      name: "source ds_A",
      baseUrl: "https://mcp.example.com/mcp",
      authKind: "bearer",
      appNamespace: "ds_A",
      adoptExisting: true,
    });
  });

  it("keeps every non-default field as Copass has it", () => {
    const source = row("ds_B", {
      auth_kind: "header_token",
      auth_header: "X-Api-Key",
      app_namespace: "docs",
      allowed_tools: ["search", "get"],
      ingest_tool_calls: [
        { name: "list_docs", arguments: { limit: 50 } },
        { name: "recent", arguments: null },
      ],
      rate_cap_per_minute: 120,
      webhook_rate_cap_per_minute: 1200,
    });
    expect(argsFromSource(source, SB)).toEqual({
      sandboxId: SB,
      name: "source ds_B",
      baseUrl: "https://mcp.example.com/mcp",
      authKind: "header_token",
      authHeader: "X-Api-Key",
      appNamespace: "docs",
      allowedTools: ["search", "get"],
      ingestToolCalls: [{ name: "list_docs", arguments: { limit: 50 } }, { name: "recent" }],
      rateCapPerMinute: 120,
      webhookRateCapPerMinute: 1200,
      adoptExisting: true,
    });
  });

  it("keeps an empty allowedTools list (no tools), which differs from absent (all tools)", () => {
    expect(argsFromSource(row("ds_C", { allowed_tools: [] }), SB).allowedTools).toEqual([]);
  });

  it("gives args the provider's check accepts once the token is set", () => {
    const args = argsFromSource(row("ds_D", { rate_cap_per_minute: 7 }), SB);
    expect(checkInputs({ ...args, token: "tok_1234" }).ok).toBe(true);
  });

  it.each([
    ["no app_namespace", { app_namespace: null }, "has no app_namespace"],
    ["no base_url", { base_url: null }, "baseUrl is required"],
    ["an unknown auth_kind", { auth_kind: "oauth" }, "authKind must be one of"],
    ["a rate cap out of range", { rate_cap_per_minute: 9000 }, "rateCapPerMinute must be at most 600"],
  ])("refuses a source with %s, naming the source and the rule", (_case, config, fragment) => {
    expect(() => argsFromSource(row("ds_E", config), SB)).toThrow(/source ds_E \("source ds_E"\)/);
    expect(() => argsFromSource(row("ds_E", config), SB)).toThrow(fragment);
  });
});

describe("logical names", () => {
  it.each([
    ["crm", "crm"],
    ["crm-tools", "crmTools"],
    ["crm_tools", "crmTools"],
    ["CRM", "CRM"],
    ["ds_01JX9Z", "ds01JX9Z"],
    ["1password", "source1password"],
    ["--", "source"],
    ["a--b__c", "aBC"],
  ])("namespace %s is named %s", (namespace, name) => {
    expect(baseName(namespace)).toBe(name);
  });

  it("numbers namespaces that share a base name, skipping names other namespaces hold", () => {
    expect(logicalNames(["crm-tools", "crmTools", "crmTools2", "crm_tools"])).toEqual([
      "crmTools",
      "crmTools3",
      "crmTools2",
      "crmTools4",
    ]);
  });

  it("gives unique identifiers for any namespaces (property)", () => {
    const namespace = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
    fc.assert(
      fc.property(fc.uniqueArray(namespace, { maxLength: 20 }), (namespaces) => {
        const names = logicalNames([...namespaces].sort());
        expect(new Set(names).size).toBe(names.length);
        for (const name of names) expect(name).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
      }),
    );
  });
});

describe("planImport", () => {
  const listed = [
    row("ds_3", { app_namespace: "zeta" }),
    row("ds_1", { app_namespace: "alpha", auth_kind: "none", vault_ref: null }),
    row("ds_2", { app_namespace: "old" }, { status: "disconnected" }),
    row("ds_4", { app_namespace: "beta" }, { status: "error", health_error: "connection refused" }),
    { ...row("ds_5", {}), provider: "github" },
  ];

  it("skips revoked sources and other providers, sorts by namespace, and names tokens per source", () => {
    const plan = planImport(SB, listed);
    expect(plan.sources.map((s) => [s.resourceName, s.dataSourceId, s.tokenConfigKey])).toEqual([
      ["alpha", "ds_1", undefined],
      ["beta", "ds_4", "betaToken"],
      ["zeta", "ds_3", "zetaToken"],
    ]);
    expect(plan.skipped).toEqual([
      { dataSourceId: "ds_2", name: "source ds_2", appNamespace: "old", reason: "revoked" },
    ]);
  });

  it("skips an archived source too, saying it is archived (one isRetired for every retired status)", () => {
    // mutation: the skip filter back to `s.status === "disconnected"` → ds_6 is planned for adoption;
    // the note's status word `archived` hard-coded as "revoked (disconnected)" → the note fails.
    const plan = planImport(SB, [row("ds_6", { app_namespace: "gone" }, { status: "archived" })]);
    expect(plan.sources).toEqual([]);
    expect(plan.skipped).toEqual([
      { dataSourceId: "ds_6", name: "source ds_6", appNamespace: "gone", reason: "archived" },
    ]);
    expect(renderNotes(plan)[0]).toBe(
      'skipped ds_6 ("source ds_6"): it is archived, which is terminal; nothing to adopt',
    );
  });

  it("is the same whatever order Copass lists the sources in", () => {
    expect(renderProgram(planImport(SB, [...listed].reverse()))).toBe(renderProgram(planImport(SB, listed)));
  });

  it("notes skipped and unhealthy sources, then one config line per source with a token", () => {
    expect(renderNotes(planImport(SB, listed))).toEqual([
      'skipped ds_2 ("source ds_2"): it is revoked (disconnected), which is terminal; nothing to adopt',
      'note: ds_4 ("source ds_4") is "error" at Copass; the first up re-tests it, and under healthPolicy "require" (the default) it must be healthy by then',
      "Set each token before `pulumi up` (pulumi prompts for the value, keeping it out of shell history):",
      '  pulumi config set --secret betaToken  # bearer token of "source ds_4" (beta)',
      '  pulumi config set --secret zetaToken  # bearer token of "source ds_3" (zeta)',
    ]);
  });

  it("keeps control characters of a Copass name out of the notes", () => {
    const plan = planImport(SB, [{ ...row("ds_X", {}), name: "evil\n rm -rf ~ \u001b[2J" }]);
    const notes = renderNotes(plan).join("\n");
    expect(notes).not.toContain("\u001b");
    expect(notes).toContain('"evil\\n rm -rf ~ \\u001b[2J"');
    expect(notes.split("\n")).toHaveLength(2);
  });
});

describe("renderProgram", () => {
  it("writes one adopting UserMcpSource per source, tokens from config, as prettier prints it", async () => {
    const plan = planImport(SB, [
      row("ds_1", {
        app_namespace: "crm-tools",
        allowed_tools: ["search_accounts", "get_account"],
        rate_cap_per_minute: 120,
      }),
      row("ds_2", { app_namespace: "docs", auth_kind: "header_token", auth_header: "X-Api-Key" }),
      row("ds_3", { app_namespace: "public", auth_kind: "none", vault_ref: null }),
    ]);
    const text = renderProgram(plan);
    expect(text)
      .toBe(`// Generated by \`pulumi-copass import --sandbox sb_import\` from the sandbox's user_mcp sources as Copass
// has them. The first \`pulumi up\` adopts each one (adoptExisting) and changes nothing but its token: set the
// tokens first with the \`pulumi config set --secret\` lines the command printed.
import * as pulumi from "@pulumi/pulumi";
import { UserMcpSource } from "pulumi-copass";

const config = new pulumi.Config();
const sandboxId = "sb_import";

new UserMcpSource("crmTools", {
  sandboxId,
  name: "source ds_1",
  baseUrl: "https://mcp.example.com/mcp",
  authKind: "bearer",
  token: config.requireSecret("crmToolsToken"),
  appNamespace: "crm-tools",
  allowedTools: ["search_accounts", "get_account"],
  rateCapPerMinute: 120,
  adoptExisting: true,
});

new UserMcpSource("docs", {
  sandboxId,
  name: "source ds_2",
  baseUrl: "https://mcp.example.com/mcp",
  authKind: "header_token",
  token: config.requireSecret("docsToken"),
  authHeader: "X-Api-Key",
  appNamespace: "docs",
  adoptExisting: true,
});

new UserMcpSource("public", {
  sandboxId,
  name: "source ds_3",
  baseUrl: "https://mcp.example.com/mcp",
  authKind: "none",
  appNamespace: "public",
  adoptExisting: true,
});
`);
    expect(await prettierFormat(text)).toBe(text);
  });

  it("needs no config when every source is authKind none", () => {
    const text = renderProgram(planImport(SB, [row("ds_1", { auth_kind: "none", vault_ref: null })]));
    expect(text).not.toContain("pulumi.Config");
    expect(text).not.toContain("@pulumi/pulumi");
  });

  it("writes a program without resources for an empty sandbox", async () => {
    const text = renderProgram(planImport(SB, []));
    expect(text).not.toContain("new UserMcpSource");
    expect(text).toContain("had no user_mcp sources to import");
    expect(await prettierFormat(text)).toBe(text);
  });

  it("breaks long lists and nested arguments the way prettier does", async () => {
    const tools = Array.from({ length: 12 }, (_, i) => `tool_number_${i}`);
    const plan = planImport(SB, [
      row("ds_1", {
        allowed_tools: tools,
        ingest_tool_calls: [
          {
            name: "a",
            arguments: {
              limit: 5,
              query: "x".repeat(120),
              ids: Array.from({ length: 40 }, (_, i) => i * 1000),
            },
          },
          { name: "b", arguments: { "odd-key": 'it\'s "quoted"', nested: { deep: [true, null, 1e21] } } },
        ],
        base_url: `https://mcp.example.com/${"p".repeat(100)}`,
      }),
    ]);
    const text = renderProgram(plan);
    expect(await prettierFormat(text)).toBe(text);
  });

  it("is prettier's output for any source Copass could return (property)", async () => {
    const word = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
    const text = fc.string({
      maxLength: 40,
      unit: fc.constantFrom("a", "b", " ", '"', "'", "\\", "\n", "é", "漢"),
    });
    const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        text,
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie("value"), { maxLength: 6 }),
        fc.dictionary(fc.oneof(word, text), tie("value"), { maxKeys: 5 }),
      ),
    })).value;
    const source = fc.record({
      ns: word,
      name: fc.string({ minLength: 1, maxLength: 120 }).filter((s) => s.length <= 255),
      kind: fc.constantFrom("bearer", "header_token", "none"),
      tools: fc.option(fc.uniqueArray(word, { minLength: 1, maxLength: 15 }), { nil: null }),
      calls: fc.array(
        fc.record({
          name: word,
          arguments: fc.option(fc.dictionary(word, json, { maxKeys: 4 }), { nil: null }),
        }),
        { maxLength: 3 },
      ),
      rate: fc.integer({ min: 1, max: 600 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(source, { maxLength: 4, selector: (s) => s.ns }), async (sources) => {
        const plan = planImport(
          SB,
          sources.map((s, i) =>
            row(
              `ds_${i}`,
              {
                app_namespace: s.ns,
                auth_kind: s.kind,
                auth_header: s.kind === "header_token" ? "X-Api-Key" : null,
                allowed_tools: s.tools,
                ingest_tool_calls: s.calls,
                rate_cap_per_minute: s.rate,
              },
              { name: s.name },
            ),
          ),
        );
        const program = renderProgram(plan);
        expect(await prettierFormat(program)).toBe(program);
      }),
      { numRuns: 100 },
    );
  }, 120_000);
});

describe("printString", () => {
  it.each([
    ["plain", '"plain"'],
    [`it's`, `"it's"`],
    ['say "hi"', `'say "hi"'`],
    [`"a" 'b'`, `"\\"a\\" 'b'"`],
    ['"a" \'b\' "c"', `'"a" \\'b\\' "c"'`],
    ["line\nbreak", '"line\\nbreak"'],
  ])("quotes %j as %s", (value, literal) => {
    expect(printString(value)).toBe(literal);
    // The literal means the value again.
    expect(new Function(`return ${literal};`)()).toBe(value);
  });
});

describe("renderJson", () => {
  it("lists the args without tokens, with each token's config key", () => {
    const plan: ImportPlan = planImport(SB, [row("ds_1", { app_namespace: "crm" })]);
    const doc = JSON.parse(renderJson(plan));
    expect(doc).toEqual({
      sandboxId: SB,
      sources: [
        {
          resourceName: "crm",
          dataSourceId: "ds_1",
          tokenConfigKey: "crmToken",
          status: "active",
          args: {
            sandboxId: SB,
            name: "source ds_1",
            baseUrl: "https://mcp.example.com/mcp",
            authKind: "bearer",
            appNamespace: "crm",
            adoptExisting: true,
          },
        },
      ],
      skipped: [],
    });
  });
});

describe("the example of docs/adoption.md", () => {
  it("is what the command writes for the sandbox it describes", () => {
    const page = readFileSync(path.join(__dirname, "../../docs/adoption.md"), "utf8");
    const sandbox = "sb_123";
    const at = (id: string, config: Record<string, unknown>, name: string, status = "active") =>
      row(id, config, { name, status, sandbox_id: sandbox });
    const plan = planImport(sandbox, [
      at(
        "ds_01JD8T2W5N",
        { app_namespace: "crm", allowed_tools: ["search_accounts", "get_account"] },
        "CRM tools",
      ),
      at(
        "ds_01JD8T3K7Q",
        {
          app_namespace: "docs-search",
          base_url: "https://docs.example.com/mcp",
          auth_kind: "header_token",
          auth_header: "X-Api-Key",
          rate_cap_per_minute: 120,
        },
        "Docs search",
      ),
      at("ds_01JC2Z9F4M", { app_namespace: "legacy" }, "Legacy CRM", "disconnected"),
    ]);
    expect(page).toContain("```ts\n" + renderProgram(plan) + "```");
    expect(page).toContain(
      "```text\n" + [...renderNotes(plan), "wrote 2 sources to index.ts"].join("\n") + "\n```",
    );
  });
});

describe("renderPulumiImport", () => {
  it("writes the file `pulumi import --file` takes: each active source as the plugin's resource and id", () => {
    const plan = planImport(SB, [
      row("ds_2", { app_namespace: "docs" }),
      row("ds_1", { app_namespace: "crm" }),
      row("ds_3", { app_namespace: "old" }, { status: "disconnected" }),
    ]);
    expect(JSON.parse(renderPulumiImport(plan))).toEqual({
      resources: [
        { type: "copass:index:UserMcpSource", name: "crm", id: `${SB}/ds_1` },
        { type: "copass:index:UserMcpSource", name: "docs", id: `${SB}/ds_2` },
      ],
    });
  });
});
