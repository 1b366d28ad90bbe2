/**
 * The `pulumi-copass` bin's argv, environment and error handling (src/cli/main.ts), in process,
 * against the local emulator over real HTTP. The end-to-end round trip (the packed bin as a
 * subprocess, the program type-checked and adopted through Pulumi's host) is test/host/import.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { main, parseCommand, processIo, type CliIo, type ImportDeps } from "../../src/cli/main";
import { readStackSettings, type StackSettings } from "../../src/cli/stack-config";
import type { ConfigValues } from "../../src/provider/config";
import { startEmulator, type Emulator } from "copass-emulator";

const KEY = "olk_CLI_tenant_a_5f0e9b";
const OTHER_KEY = "olk_CLI_tenant_b_c41d77";
const WRONG_KEY = "olk_CLI_wrong_9a2b";
const ENCRYPTION = "enc_CLI_3e7d";
const SECRETS = [KEY, OTHER_KEY, WRONG_KEY, ENCRYPTION];

let emulator: Emulator;
/** A folder in no Pulumi project (the repository root is one: its Pulumi.yaml runs examples/basic). */
let outside: string;

beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: [KEY, OTHER_KEY] });
  outside = mkdtempSync(path.join(os.tmpdir(), "copass-cli-outside-"));
});
afterAll(async () => {
  await emulator?.close();
  rmSync(outside, { recursive: true, force: true });
});

/** The real settings reader, run from a folder outside any Pulumi project. */
const outsideProject = (): ImportDeps => ({ cwd: outside, readStackSettings });

interface Run {
  code: number;
  stdout: string;
  stderr: string[];
  files: Record<string, string>;
}

async function cli(argv: string[], env: NodeJS.ProcessEnv, deps = outsideProject()): Promise<Run> {
  const run: Run = { code: -1, stdout: "", stderr: [], files: {} };
  const io: CliIo = {
    stdout: (text) => (run.stdout += text),
    stderr: (line) => run.stderr.push(line),
    exists: (file) => file in run.files,
    writeFile: (file, text) => (run.files[file] = text),
  };
  run.code = await main(argv, env, io, deps);
  const all = run.stdout + run.stderr.join("\n") + Object.values(run.files).join("\n");
  for (const secret of SECRETS) expect(all).not.toContain(secret);
  return run;
}

const env = (key = KEY) => ({
  COPASS_API_URL: emulator?.url,
  COPASS_API_KEY: key,
  COPASS_ENCRYPTION_TOKEN: ENCRYPTION,
});

describe("parseCommand", () => {
  it("reads the import command and its flags", () => {
    expect(parseCommand(["import", "--sandbox", "sb_1", "--out", "s.ts", "--json"])).toEqual({
      sandboxId: "sb_1",
      out: "s.ts",
      force: false,
      format: "json",
    });
    expect(parseCommand(["import", "--sandbox=sb_1"])).toEqual({
      sandboxId: "sb_1",
      force: false,
      format: "typescript",
    });
    expect(parseCommand(["import", "--sandbox", "sb_1", "--format", "pulumi-import"])).toMatchObject({
      format: "pulumi-import",
    });
    expect(() => parseCommand(["import", "--sandbox", "sb_1", "--format", "yaml"])).toThrow(
      "--format must be one of typescript, json, pulumi-import, e.g. --format pulumi-import",
    );
    expect(() => parseCommand(["import", "--sandbox", "sb_1", "--json", "--format", "typescript"])).toThrow(
      "--json is --format json: give one of them",
    );
    expect(parseCommand(["import", "--sandbox", "sb_1", "--out", "s.ts", "--force"])).toMatchObject({
      out: "s.ts",
      force: true,
    });
    expect(parseCommand(["--help"])).toBe("help");
    expect(parseCommand(["import", "--help"])).toBe("help");
  });

  it.each([
    ["no command", [], "missing command"],
    [
      "an unknown command",
      ["improt", "--sandbox", "sb"],
      "unknown command improt; the commands are import (pulumi-copass import --sandbox <id>) and drift",
    ],
    ["no sandbox", ["import"], "--sandbox is required"],
    ["a sandbox with a slash", ["import", "--sandbox", "sb/1"], "--sandbox must be a sandbox id"],
    ["a stray positional", ["import", "sb_1"], "import takes no positional arguments"],
    ["an unknown flag", ["import", "--sandbox", "sb", "--verbose"], "Unknown option '--verbose'"],
    ["a flag without its value", ["import", "--sandbox"], "Option '--sandbox <value>' argument missing"],
    ["an empty --out", ["import", "--sandbox", "sb", "--out", ""], "--out must be a file path"],
    [
      "--force without --out",
      ["import", "--sandbox", "sb", "--force"],
      "--force only applies to --out <file>",
    ],
  ])("refuses %s with a message naming the fix", (_case, argv, fragment) => {
    expect(() => parseCommand(argv)).toThrow(fragment);
  });

  it.each([["--api-key"], ["--api-key=olk_pasted_secret"], ["--key"], ["--token"], ["--encryption-token"]])(
    "refuses %s as a credential flag without echoing its value",
    (flag) => {
      let message = "";
      try {
        parseCommand(["import", "--sandbox", "sb", flag, "olk_pasted_secret"]);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toContain("credentials are read from the environment only");
      expect(message).toContain(
        "or the stack's config (copass:apiKey, copass:encryptionToken), never from flags",
      );
      expect(message).not.toContain("olk_pasted_secret");
    },
  );

  it("never echoes a positional that could be a pasted key", () => {
    expect(() => parseCommand(["olk_pasted_secret"])).toThrow(/^unknown command; /);
  });
});

describe("main", () => {
  it("prints the help on stdout and exits 0", async () => {
    const run = await cli(["--help"], {});
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Usage: pulumi-copass import --sandbox <id>");
    expect(run.stdout).toContain("COPASS_API_KEY");
  });

  it("exits 2 with one line on bad usage", async () => {
    const run = await cli(["import"], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toEqual(["pulumi-copass: --sandbox is required, e.g. --sandbox sb_123"]);
  });

  it("writes an empty program for an empty sandbox and says so", async () => {
    const run = await cli(["import", "--sandbox", "sb_cli_empty"], env());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("// Sandbox sb_cli_empty had no user_mcp sources to import.");
    expect(run.stdout).not.toContain("new UserMcpSource");
    expect(run.stderr).toEqual(["sandbox sb_cli_empty has no user_mcp sources to import"]);
    const json = await cli(["import", "--sandbox", "sb_cli_empty", "--json"], env());
    expect(JSON.parse(json.stdout)).toEqual({ sandboxId: "sb_cli_empty", sources: [], skipped: [] });
  });

  it("reports a wrong key as a clear 401 error on one line, exit 1", async () => {
    const run = await cli(["import", "--sandbox", "sb_cli_empty"], env(WRONG_KEY));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toEqual([
      `pulumi-copass: Copass at ${emulator.url} refused the API key (HTTP 401): check env COPASS_API_KEY (and env COPASS_API_URL, which must be the API the key belongs to)`,
    ]);
  });

  it("reports another tenant's sandbox as not found for this key, exit 1", async () => {
    // The other tenant uses the sandbox first, which makes it theirs.
    expect((await cli(["import", "--sandbox", "sb_cli_theirs"], env(OTHER_KEY))).code).toBe(0);
    const run = await cli(["import", "--sandbox", "sb_cli_theirs"], env());
    expect(run.code).toBe(1);
    expect(run.stderr).toHaveLength(1);
    expect(run.stderr[0]).toMatch(
      /^pulumi-copass: sandbox sb_cli_theirs was not found for this API key \(HTTP 404\)/,
    );
  });

  it("needs COPASS_API_KEY and says where to put it", async () => {
    const run = await cli(["import", "--sandbox", "sb_x"], { COPASS_API_URL: emulator.url });
    expect(run.code).toBe(1);
    expect(run.stderr).toEqual([
      "pulumi-copass: No Copass API key: export the API key in COPASS_API_KEY, or run inside a Pulumi project whose stack sets copass:apiKey",
    ]);
  });

  it("refuses to send the key over plain http to a remote host", async () => {
    const run = await cli(["import", "--sandbox", "sb_x"], {
      ...env(),
      COPASS_API_URL: "http://copass.example.com",
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toHaveLength(1);
    expect(run.stderr[0]).toMatch(/use https:\/\//);
    // Outside a project import reads the environment alone, so the message names nothing else.
    expect(run.stderr[0]).toContain("(env COPASS_API_URL)");
    expect(run.stderr[0]).not.toContain("copass:apiUrl");
  });

  it("names the endpoint it could not connect to and the setting that holds it (issue 25 §3)", async () => {
    const run = await cli(["import", "--sandbox", "sb_x"], {
      ...env(),
      COPASS_API_URL: "http://127.0.0.1:2",
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toHaveLength(1);
    expect(run.stderr[0]).toMatch(
      /^pulumi-copass: cannot list the sources of sandbox sb_x: connection error \(ECONNREFUSED\) with http:\/\/127\.0\.0\.1:2 \(after \d+ attempts\): check env COPASS_API_URL$/,
    );
  }, 30_000);

  it("refuses --stack outside a Pulumi project, naming the fix", async () => {
    const run = await cli(["import", "--sandbox", "sb_x", "--stack", "dev"], env());
    expect(run.code).toBe(1);
    expect(run.stderr).toEqual([
      `pulumi-copass: --stack needs a Pulumi project, and there is no Pulumi.yaml in ${outside} or above it: run import in the project's folder`,
    ]);
  });

  it("writes --out and reports the count on stderr", async () => {
    const run = await cli(["import", "--sandbox", "sb_cli_empty", "--out", "sources.ts"], env());
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.files["sources.ts"]).toContain("had no user_mcp sources to import");
    expect(run.stderr.at(-1)).toBe("wrote 0 sources to sources.ts");
  });

  it("reports a file it cannot write by path and error code", async () => {
    const run: string[] = [];
    const code = await main(
      ["import", "--sandbox", "sb_cli_empty", "--out", "/nonexistent/dir/s.ts"],
      env(),
      {
        stdout: () => {},
        stderr: (line) => run.push(line),
        exists: () => false,
        writeFile: () => {
          throw Object.assign(new Error("ENOENT: no such file or directory"), { code: "ENOENT" });
        },
      },
      outsideProject(),
    );
    expect(code).toBe(1);
    expect(run.at(-1)).toBe("pulumi-copass: cannot write /nonexistent/dir/s.ts (ENOENT)");
  });

  describe("--out never replaces an existing file without --force (issue 15 §4)", () => {
    /** The real file system (processIo), with stdout and stderr captured. */
    async function onDisk(
      argv: string[],
      io: Partial<CliIo> = {},
    ): Promise<{ code: number; stderr: string[] }> {
      const stderr: string[] = [];
      const code = await main(
        argv,
        env(),
        { ...processIo, stdout: () => {}, stderr: (line) => stderr.push(line), ...io },
        outsideProject(),
      );
      for (const secret of SECRETS) expect(stderr.join("\n")).not.toContain(secret);
      return { code, stderr };
    }

    let dir: string;
    let program: string;
    const USERS_PROGRAM = "// the user's own program\n";
    beforeEach(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), "copass-cli-out-"));
      program = path.join(dir, "index.ts");
      writeFileSync(program, USERS_PROGRAM);
      emulator.clearRequestLog();
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("refuses an existing file before any API call, exit 2, naming --force; the file is untouched", async () => {
      // mutation: drop the `io.exists(command.out)` refusal in main() → the "wx" write still refuses
      // (exit 2) but only after the list call, so the request-log assertion fails.
      const run = await onDisk(["import", "--sandbox", "sb_cli_empty", "--out", program]);
      expect(run.code).toBe(2);
      expect(run.stderr).toEqual([
        `pulumi-copass: ${program} already exists and is not replaced without --force: pass --force to overwrite it, or choose another --out file`,
      ]);
      expect(readFileSync(program, "utf8")).toBe(USERS_PROGRAM);
      expect(emulator.requestLog()).toEqual([]);
    });

    it("refuses a file created after the check too: the write is exclusive", async () => {
      // mutation: processIo.writeFile's flag "wx" → "w" → the user's program is replaced, exit 0.
      const run = await onDisk(["import", "--sandbox", "sb_cli_empty", "--out", program], {
        exists: () => false,
      });
      expect(run.code).toBe(2);
      expect(run.stderr.at(-1)).toMatch(/already exists and is not replaced without --force/);
      expect(readFileSync(program, "utf8")).toBe(USERS_PROGRAM);
    });

    it("replaces it with --force, and writes a new file without", async () => {
      const forced = await onDisk(["import", "--sandbox", "sb_cli_empty", "--out", program, "--force"]);
      expect(forced.code).toBe(0);
      expect(readFileSync(program, "utf8")).toContain("had no user_mcp sources to import");
      const fresh = path.join(dir, "sources.ts");
      expect((await onDisk(["import", "--sandbox", "sb_cli_empty", "--out", fresh])).code).toBe(0);
      expect(readFileSync(fresh, "utf8")).toContain("had no user_mcp sources to import");
    });

    it("documents --force in --help", async () => {
      const run = await cli(["--help"], {});
      expect(run.stdout).toContain("[--out <file> [--force]]");
      expect(run.stdout).toMatch(/--force +With --out: replace the file if it exists/);
    });
  });
});

describe("inside a Pulumi project: the stack's copass:* config, then the environment (issue 25 §3)", () => {
  // The pulumi CLI is not on this machine's PATH for the fast tests, so these stub what it reads
  // (each name says so); test/e2e/import-stack.test.ts runs the real reader through the real CLI.
  function inProject(found: StackSettings, seen: unknown[] = []): ImportDeps {
    return {
      cwd: "/work/project",
      readStackSettings: async (cwd, stack) => {
        seen.push({ cwd, stack });
        return found;
      },
    };
  }
  const stack = (values: ConfigValues): StackSettings => ({
    kind: "stack",
    dir: "/work/project",
    stack: "dev",
    values,
  });

  it("(stubbed stack config) reads copass:apiUrl and copass:apiKey from the stack, over the environment", async () => {
    const seen: unknown[] = [];
    const run = await cli(
      ["import", "--sandbox", "sb_cli_empty", "--stack", "dev"],
      { COPASS_API_URL: "http://127.0.0.1:2", COPASS_API_KEY: WRONG_KEY },
      inProject(stack({ apiUrl: emulator.url, apiKey: KEY }), seen),
    );
    expect(run.code).toBe(0);
    expect(seen).toEqual([{ cwd: "/work/project", stack: "dev" }]);
    expect(run.stderr).toEqual([
      "reading settings from stack dev's copass:* config in /work/project, then the COPASS_* variables",
      "sandbox sb_cli_empty has no user_mcp sources to import",
    ]);
  });

  it("(stubbed stack config) takes from the environment what the stack leaves unset", async () => {
    const run = await cli(["import", "--sandbox", "sb_cli_empty"], env(), inProject(stack({ apiKey: KEY })));
    expect(run.code).toBe(0);
  });

  it("(stubbed stack config) a wrong key in the stack names the endpoint and both places the key is read from", async () => {
    const run = await cli(
      ["import", "--sandbox", "sb_cli_empty"],
      {},
      inProject(stack({ apiUrl: emulator.url, apiKey: WRONG_KEY })),
    );
    expect(run.code).toBe(1);
    expect(run.stderr.at(-1)).toBe(
      `pulumi-copass: Copass at ${emulator.url} refused the API key (HTTP 401): check stack config copass:apiKey or env COPASS_API_KEY (and stack config copass:apiUrl or env COPASS_API_URL, which must be the API the key belongs to)`,
    );
  });

  it("(stubbed stack config) a plain-http apiUrl in the stack is refused naming copass:apiUrl", async () => {
    const run = await cli(
      ["import", "--sandbox", "sb_x"],
      {},
      inProject(stack({ apiUrl: "http://copass.example.com", apiKey: KEY })),
    );
    expect(run.code).toBe(1);
    expect(run.stderr.at(-1)).toContain("(stack config copass:apiUrl or env COPASS_API_URL)");
  });

  it("(stubbed stack config) with no stack selected, reads the environment and says how to read a stack", async () => {
    const run = await cli(
      ["import", "--sandbox", "sb_cli_empty"],
      env(),
      inProject({ kind: "no-stack", dir: "/work/project" }),
    );
    expect(run.code).toBe(0);
    expect(run.stderr[0]).toBe(
      "no stack is selected in /work/project: reading settings from the COPASS_* variables only (pass --stack <name> to read a stack's config)",
    );
  });
});
