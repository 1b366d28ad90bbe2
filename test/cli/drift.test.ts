/**
 * `pulumi-copass drift` as a command (src/cli/drift.ts through main.ts): argv, exit codes, stdout
 * vs stderr, --out, redaction. The refresh preview is stubbed here with captured engine events
 * (every test name says "stubbed"); the real one, through the Pulumi CLI, is test/e2e/drift.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT_CODES, classify } from "../../src/cli/drift-classify";
import { SHOWN_MAX, buildReport } from "../../src/cli/drift-render";
import { DRIFT_USAGE, parseDriftArgs, runDrift, secretsFromEnv, type DriftDeps } from "../../src/cli/drift";
import { DriftError, findStack, pulumiMessage, type RefreshResult } from "../../src/cli/drift-refresh";
import { main, processIo, type CliIo } from "../../src/cli/main";
import { captured, sourceOutputs, type Captured } from "./drift-fixtures";

const API_KEY = "olk_DRIFT_unit_key_71c2a9";
const ENV = { COPASS_API_KEY: API_KEY, GITHUB_TOKEN: "ghs_DRIFT_unit_token_e02b" };

interface Run {
  code: number;
  stdout: string;
  stderr: string[];
  files: Record<string, string>;
}

function io(run: Run): CliIo {
  return {
    stdout: (text) => (run.stdout += text),
    stderr: (line) => run.stderr.push(line),
    exists: (file) => file in run.files,
    writeFile: (file, text, overwrite) => {
      if (!overwrite && file in run.files) throw Object.assign(new Error("exists"), { code: "EEXIST" });
      run.files[file] = text;
    },
  };
}

/** A stubbed refresh: `result` (or a thrown error), with a fixed clock. */
function stub(result: Partial<RefreshResult> | Error): DriftDeps & { requests: unknown[] } {
  const requests: unknown[] = [];
  return {
    requests,
    now: () => new Date("2026-12-02T10:00:00Z"),
    refresh: async (req) => {
      requests.push({ cwd: req.cwd, stack: req.stack });
      if (result instanceof Error) throw result;
      const full = { stack: "dev", stateAsOf: null, events: [], failure: null, ...result };
      for (const event of full.events) req.onEvent?.(event);
      return full;
    },
  };
}

async function drift(argv: string[], deps: DriftDeps, env: NodeJS.ProcessEnv = ENV): Promise<Run> {
  const run: Run = { code: -1, stdout: "", stderr: [], files: {} };
  run.code = await runDrift(argv, env, io(run), deps);
  return run;
}

const events = (name: Captured) => ({ events: captured(name) });

describe("parseDriftArgs", () => {
  it("reads the flags, resolving --cwd against the current folder", () => {
    expect(parseDriftArgs([], "/home/u/infra")).toEqual({ cwd: "/home/u/infra", format: "text" });
    expect(
      parseDriftArgs(["--stack", "prod", "--cwd", "sub", "--format", "json", "--out", "r.json"], "/base"),
    ).toEqual({ stack: "prod", cwd: "/base/sub", format: "json", out: "r.json" });
    expect(parseDriftArgs(["--help"], "/")).toBe("help");
  });

  it.each([
    ["an unknown format", ["--format", "html"], "--format must be one of text, markdown, json"],
    ["a positional", ["prod"], "drift takes no positional arguments"],
    ["an empty --stack", ["--stack", ""], "--stack must not be empty"],
    ["an unknown flag", ["--refresh"], "Unknown option '--refresh'"],
  ])("refuses %s with a message naming the fix", (_case, argv, fragment) => {
    expect(() => parseDriftArgs(argv, "/")).toThrow(fragment);
  });
});

describe("runDrift with a stubbed refresh", () => {
  it("prints only the report on stdout, progress on stderr, and exits 0 when in sync", async () => {
    const deps = stub(events("in-sync"));
    const run = await drift(["--stack", "dev", "--cwd", "/srv/infra"], deps);
    expect(run.code).toBe(0);
    expect(deps.requests).toEqual([{ cwd: "/srv/infra", stack: "dev" }]);
    expect(run.stdout.startsWith("Copass drift report for stack dev: in sync (exit code 0)\n")).toBe(true);
    expect(run.stderr).toEqual([
      "pulumi-copass: drift: previewing a refresh in /srv/infra (nothing is written to the stack)…",
      "  reading crm…",
      "  read crm: unchanged",
      "pulumi-copass: drift: in sync (exit code 0) after 0.0 s",
    ]);
  });

  it.each([
    ["mcp-outage", 20],
    ["renamed", 21],
    ["deleted", 21],
    ["read-failed", 22],
  ] as const)("exits with the outcome's code: %s → %i", async (name, code) => {
    expect((await drift([], stub(events(name)))).code).toBe(code);
  });

  it("names the copy pending delete in its progress lines (issue 22)", async () => {
    // mutation: copyName without the suffix in drift.ts → this test fails.
    const run = await drift([], stub(events("pending-delete")));
    expect(run.code).toBe(0);
    expect(run.stderr).toEqual(
      expect.arrayContaining([
        "  reading crm…",
        "  read crm: unchanged",
        "  reading crm (pending delete)…",
        "  read crm (pending delete): differs",
      ]),
    );
  });

  it("says on stderr which source's read failed", async () => {
    const run = await drift([], stub(events("read-failed")));
    expect(run.stderr).toEqual(expect.arrayContaining(["  reading crm…", "  crm: error (in the report)"]));
  });

  it("writes the report to --out, replacing the file, and nothing to stdout", async () => {
    const run: Run = { code: -1, stdout: "", stderr: [], files: { "summary.md": "an older report" } };
    run.code = await runDrift(
      ["--format", "markdown", "--out", "summary.md"],
      ENV,
      io(run),
      stub(events("renamed")),
    );
    expect(run.code).toBe(21);
    expect(run.stdout).toBe("");
    expect(run.files["summary.md"]).toContain("| `crm` (");
    expect(run.stderr).toContain("pulumi-copass: drift: wrote the report to summary.md");
  });

  it("turns a DriftError into an error report (exit 22) and one stderr line", async () => {
    const run = await drift(
      ["--format", "json"],
      stub(new DriftError("the pulumi CLI was not found on PATH")),
    );
    expect(run.code).toBe(22);
    expect(JSON.parse(run.stdout)).toMatchObject({
      outcome: "error",
      exitCode: 22,
      stack: "(none)",
      errors: ["the pulumi CLI was not found on PATH"],
    });
    expect(run.stderr).toContain("pulumi-copass: drift: the pulumi CLI was not found on PATH");
  });

  it("reports Pulumi's failure when no source explains it, and not twice when one does", async () => {
    const failed = await drift(["--format", "json"], stub({ events: [], failure: "passphrase must be set" }));
    expect(failed.code).toBe(22);
    expect(JSON.parse(failed.stdout).errors).toEqual(["pulumi: passphrase must be set"]);
    const explained = await drift(
      ["--format", "json"],
      stub({ ...events("read-failed"), failure: "preview failed" }),
    );
    expect(JSON.parse(explained.stdout).errors).toEqual([]);
  });

  it("names an unexpected error's kind only, never its message", async () => {
    const run = await drift([], stub(new TypeError(`boom ${API_KEY}`)));
    expect(run.code).toBe(22);
    expect(run.stdout).toContain("drift failed unexpectedly (TypeError); please report it");
    expect(run.stdout + run.stderr.join("\n")).not.toContain("boom");
  });

  it("redacts every secret of the environment from the report and the progress", async () => {
    // The provider redacts what it knows; this is the last line for anything else echoed back.
    // mutation: runDrift renders buildReport's report without redactReport → this test fails.
    const leaky = captured("mcp-outage");
    sourceOutputs(leaky).new.outputs.healthError = `401 for key ${API_KEY} and ${ENV.GITHUB_TOKEN}`;
    for (const format of ["text", "markdown", "json"]) {
      const run = await drift(["--format", format], stub({ events: leaky, failure: `bad ${API_KEY}` }));
      const all = run.stdout + run.stderr.join("\n");
      expect(all).toContain("[redacted]");
      expect(all).not.toContain(API_KEY);
      expect(all).not.toContain(ENV.GITHUB_TOKEN);
    }
  });

  it("exits 22 on bad usage, a credential flag included, through main", async () => {
    const run: Run = { code: -1, stdout: "", stderr: [], files: {} };
    run.code = await main(["drift", "--api-key", API_KEY], ENV, io(run));
    expect(run.code).toBe(22);
    expect(run.stderr.join("\n")).toContain("credentials are read from the environment only");
    expect(run.stderr.join("\n")).not.toContain(API_KEY);
    const bad = await drift(["--format", "xml"], stub(events("in-sync")));
    expect(bad).toMatchObject({ code: 22, stdout: "" });
  });

  it("prints its help, with the exit codes, on stdout", async () => {
    const run = await drift(["--help"], stub(events("in-sync")));
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(DRIFT_USAGE);
    for (const code of ["0 ", "20 ", "21 ", "22 "]) expect(DRIFT_USAGE).toContain(`\n  ${code}`);
  });
});

describe("redaction comes before formatting (DESIGN §6, issue 22)", () => {
  // A key with `|` (markdown escapes it in a table: `olk_live\|Zq81…`), and a token placed so the
  // cut of a long value (SHOWN_MAX characters of its JSON text) splits it.
  const PIPE_KEY = "olk_live|Zq81wVx4Kp0d";
  const CUT_TOKEN = "ghs_StraddleCut_9fQ2mL7x";
  const env = { COPASS_API_KEY: PIPE_KEY, GITHUB_TOKEN: CUT_TOKEN };
  const FORMATS = ["text", "markdown", "json"] as const;

  /** A run whose report holds both secrets: in a health error (a table cell, cut) and Pulumi's failure. */
  function leaky(): Partial<RefreshResult> {
    const events = captured("mcp-outage");
    const head = `401 for key ${PIPE_KEY}; `;
    // JSON text: a quote, then the value; the token starts 10 characters before the cut.
    const pad = "x".repeat(SHOWN_MAX - 11 - head.length);
    sourceOutputs(events).new.outputs.healthError = `${head}${pad}${CUT_TOKEN} and more after it`;
    expect(classify(events).sources[0]!.state).toBe("unhealthy");
    return { events, failure: `bad key ${PIPE_KEY}` };
  }

  /** Every 8-character piece of `secret` and of its markdown-escaped form. */
  function fragments(secret: string): string[] {
    const forms = [secret, secret.replace(/\|/g, "\\|")];
    return forms.flatMap((f) => Array.from({ length: f.length - 7 }, (_, i) => f.slice(i, i + 8)));
  }

  function expectNoSecret(output: string): void {
    expect(output).toContain("[redacted]"); // the secrets were fed in, and cut out
    for (const piece of [PIPE_KEY, CUT_TOKEN].flatMap(fragments)) expect(output).not.toContain(piece);
  }

  it.each(FORMATS)("leaves no piece of a secret in the %s report or on stderr", async (format) => {
    // mutation: redact the rendered text instead of the report (render, then redact) → the
    // markdown (`olk_live\|…`) and the cut (text, markdown) runs fail.
    const run = await drift(["--format", format], stub(leaky()), env);
    expect(run.code).toBe(22); // Pulumi's failure is an error
    expectNoSecret(run.stdout);
    expectNoSecret(run.stderr.join("\n"));
  });

  it.each(FORMATS)(
    "leaves no piece of a secret in the --out file (%s), read back from disk",
    async (format) => {
      // mutation: write the plain render (buildReport's report, not redactReport's) to --out → fails.
      const dir = mkdtempSync(path.join(os.tmpdir(), "copass-drift-out-"));
      try {
        const file = path.join(dir, `report.${format}`);
        const run: Run = { code: -1, stdout: "", stderr: [], files: {} };
        const fileIo: CliIo = {
          ...processIo,
          stdout: (t) => (run.stdout += t),
          stderr: (l) => run.stderr.push(l),
        };
        run.code = await runDrift(["--format", format, "--out", file], env, fileIo, stub(leaky()));
        expect(run.code).toBe(22);
        expect(run.stdout).toBe("");
        expectNoSecret(readFileSync(file, "utf8"));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe("helpers", () => {
  it("secretsFromEnv takes the named secrets and secret-looking variables of 8 characters or more", () => {
    // A value too short to cut out would withhold whole reports ("pp" occurs in "apps").
    expect(
      secretsFromEnv({
        COPASS_API_KEY: "kkkk",
        COPASS_ENCRYPTION_TOKEN: "pp",
        PULUMI_CONFIG_PASSPHRASE: "pass-phrase",
        NPM_TOKEN: "npm_abcdefgh",
        FEATURE_TOKEN: "true",
        HOME: "/root/very/long/path",
      }).sort(),
    ).toEqual(["kkkk", "npm_abcdefgh", "pass-phrase"]);
  });

  describe("findStack: the same org, project and stack however each side writes it (issue 22)", () => {
    const summary = (name: string, url?: string) => ({
      name,
      current: false,
      updateInProgress: false,
      ...(url === undefined ? {} : { url }),
    });
    // A DIY backend (file://, s3://) lists the current project's stacks bare; its org is "organization".
    const diy = [summary("dev"), summary("prod")];
    // Pulumi Cloud lists a stack of the default org bare, another org's as org/stack, and a console URL.
    const cloud = [
      summary("prod", "https://app.pulumi.com/acme/copass-basic/prod"),
      summary("otherorg/staging", "https://app.pulumi.com/otherorg/copass-basic/staging"),
    ];
    const listings = { diy, cloud, "cloud, no URL": [summary("prod"), summary("acme/prod")] };
    it.each([
      ["diy", "prod", "prod"],
      ["diy", "organization/copass-basic/prod", "prod"],
      ["diy", "organization/prod", "prod"],
      ["diy", "otherorg/prod", undefined],
      ["diy", "otherorg/copass-basic/prod", undefined],
      ["diy", "organization/other-project/prod", undefined],
      ["diy", "staging", undefined],
      ["cloud", "prod", "prod"],
      ["cloud", "acme/prod", "prod"],
      ["cloud", "acme/copass-basic/prod", "prod"],
      ["cloud", "otherorg/prod", undefined],
      ["cloud", "acme/other-project/prod", undefined],
      ["cloud", "otherorg/staging", "otherorg/staging"],
      ["cloud", "otherorg/copass-basic/staging", "otherorg/staging"],
      // A bare name is the default org's: never another org's stack of that name.
      ["cloud", "staging", undefined],
      ["cloud, no URL", "otherorg/prod", undefined],
    ] as const)("%s: %s → %s", (backend, name, expected) => {
      // mutation: match by the last segment (the old rule) → the otherorg rows fail.
      expect(findStack(listings[backend], name, "copass-basic")?.name).toBe(expected);
    });
  });

  it("pulumiMessage keeps Pulumi's error lines, else the last line", () => {
    expect(pulumiMessage("Previewing refresh (dev):\nerror: no stack named 'x' found\n")).toBe(
      "no stack named 'x' found",
    );
    expect(pulumiMessage("something\nwent wrong\n\n")).toBe("went wrong");
    expect(pulumiMessage("")).toBe("the pulumi command failed without a message");
  });
});

describe("docs/drift.md: Drift in GitOps", () => {
  const page = readFileSync(path.join(__dirname, "..", "..", "docs", "drift.md"), "utf8");
  const section = page.split("## Drift in GitOps")[1]?.split("\n## ")[0] ?? "";

  it("lists exactly the exit codes drift uses, as its --help does", () => {
    const listed = [...section.matchAll(/^\| (\d+) \| /gm)].map((m) => Number(m[1]));
    expect(listed).toEqual(Object.values(EXIT_CODES));
    for (const code of Object.values(EXIT_CODES)) expect(DRIFT_USAGE).toContain(`\n  ${code} `);
  });

  it("documents the json shape drift prints: the same keys, at the top and per source", () => {
    const jsonc = section.split("```jsonc\n")[1]?.split("```")[0] ?? "";
    // Comments: whole lines, or after " // " (a URL's "//" has no space before it).
    const json = jsonc
      .split("\n")
      .filter((line) => !line.trim().startsWith("//"))
      .map((line) => line.replace(/ \/\/ .*$/, ""))
      .join("\n");
    const documented = JSON.parse(json);
    const real = buildReport(classify(captured("renamed")), {
      stack: "s",
      stateAsOf: null,
      generatedAt: "t",
    });
    expect(Object.keys(documented).sort()).toEqual(Object.keys(real).sort());
    expect(Object.keys(documented.sources[0]).sort()).toEqual(Object.keys(real.sources[0]!).sort());
    expect(documented.version).toBe(real.version);
  });
});
