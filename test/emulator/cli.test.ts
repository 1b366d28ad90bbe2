/**
 * The `copass-emulator` bin. Argument handling is tested through `parseCliArgs` / `main` in
 * process; the real process is spawned for what only a process shows: the single ready line on
 * stdout, exit codes, signals, and that neither stream ever carries a key or a token.
 *
 * dist/ is built by others too, so the CLI is compiled here into a private folder under .tmp/
 * (tsc on packages/emulator/src/cli.ts and its imports, the provider's client included through
 * the project's `paths`) rather than trusting a possibly stale dist/.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMcpServer } from "../../packages/emulator/src";
import { main, parseCliArgs } from "../../packages/emulator/src/cli";
import { parseMcpArgs } from "../../packages/emulator/src/mcp-cli";
import { createMcpProbe } from "../../packages/emulator/src/probe";
import { ADMIN_KEY, API_KEY, ROTATED_TOKEN, TOKEN } from "./helpers";

const ROOT = path.join(__dirname, "../..");

describe("parseCliArgs", () => {
  it("reads every flag", () => {
    const argv = ["--port", "0", "--host", "127.0.0.1", "--api-key", "a", "--api-key", "b"];
    argv.push("--admin-key", "adm", "--data-file", "/tmp/x.json", "--probe-timeout-ms", "1500");
    expect(parseCliArgs(argv, {})).toEqual({
      port: 0,
      host: "127.0.0.1",
      apiKeys: ["a", "b"],
      adminKey: "adm",
      dataFile: "/tmp/x.json",
      probeTimeoutMs: 1500,
    });
  });

  it("falls back to COPASS_API_KEY when no --api-key is given", () => {
    expect(parseCliArgs([], { COPASS_API_KEY: "from-env" })).toEqual({ apiKeys: ["from-env"] });
  });

  it.each([
    ["no API key at all", [], "--api-key is required"],
    [
      "a port out of range",
      ["--api-key", "k", "--port", "70000"],
      "--port must be an integer from 0 to 65535",
    ],
    ["a port that is not a number", ["--api-key", "k", "--port", "http"], "--port must be an integer"],
    [
      "a zero probe timeout",
      ["--api-key", "k", "--probe-timeout-ms", "0"],
      "--probe-timeout-ms must be an integer",
    ],
    ["an unknown flag", ["--api-key", "k", "--verbose"], "--verbose"],
    ["a flag without its value", ["--api-key"], "--api-key"],
    ["a positional argument", ["--api-key", "k", "serve"], "takes no positional arguments"],
    ["an empty admin key", ["--api-key", "k", "--admin-key", ""], "--admin-key must not be empty"],
  ])("refuses %s with a message naming the flag", (_name, argv, fragment) => {
    expect(() => parseCliArgs(argv, {})).toThrow(fragment);
  });
});

describe("parseMcpArgs (copass-emulator mcp, issue 25 §1)", () => {
  it.each([
    [["--bearer-token", "t1", "--port", "8788"], { auth: { kind: "bearer", token: "t1" }, port: 8788 }],
    [
      ["--header", "X-Api-Key", "--header-token", "t2", "--host", "::1"],
      { auth: { kind: "header_token", header: "X-Api-Key", token: "t2" }, host: "::1" },
    ],
    [["--no-auth"], { auth: { kind: "none" } }],
  ])("reads %j", (argv, expected) => {
    expect(parseMcpArgs(argv)).toEqual(expected);
  });

  it.each([
    [
      "no auth mode at all",
      [],
      "give exactly one of --bearer-token <t>, --header <name> --header-token <t>, or --no-auth",
    ],
    ["two auth modes", ["--bearer-token", "t", "--no-auth"], "give exactly one of --bearer-token"],
    ["an empty bearer token", ["--bearer-token", ""], "--bearer-token must not be empty"],
    ["--header-token without --header", ["--header-token", "t"], "--header-token needs --header <name>"],
    ["--header without its token", ["--header", "X-Api-Key"], "--header needs --header-token <t>"],
    [
      "a header name with a space",
      ["--header", "X Api", "--header-token", "t"],
      "--header must be an HTTP header name",
    ],
    ["a port out of range", ["--no-auth", "--port", "70000"], "--port must be an integer from 0 to 65535"],
    ["an unknown flag", ["--no-auth", "--token", "t"], "Unknown option '--token'"],
    [
      "a stray positional",
      ["--no-auth", "secret-token"],
      "copass-emulator mcp takes no positional arguments",
    ],
  ])("refuses %s with a message naming the flag", (_name, argv, fragment) => {
    expect(() => parseMcpArgs(argv)).toThrow(fragment);
  });

  it("never repeats a stray positional (a token given without its flag)", () => {
    expect(() => parseMcpArgs(["--no-auth", TOKEN])).toThrow(/^(?!.*do-not-leak)/s);
  });
});

describe("main", () => {
  it("returns exit code 2 and one clear stderr line for bad arguments, without echoing the key", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const result = await main(
      ["--api-key", API_KEY, "--port", "x"],
      {},
      { stdout: (l) => out.push(l), stderr: (l) => err.push(l) },
    );
    expect(result).toEqual({ exitCode: 2 });
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain("--port");
    expect(err.join("")).not.toContain(API_KEY);
  });

  it("never echoes a stray positional on stderr (a second key given without --api-key)", async () => {
    const err: string[] = [];
    const result = await main(
      ["--api-key", "olk_first_key_0001", API_KEY],
      {},
      {
        stdout: () => undefined,
        stderr: (l) => err.push(l),
      },
    );
    expect(result).toEqual({ exitCode: 2 });
    expect(err).toEqual([expect.stringContaining("give each API key with its own --api-key")]);
    expect(err.join("")).not.toContain(API_KEY);
  });

  it("prints usage for --help and exits 0", async () => {
    const out: string[] = [];
    expect(await main(["--help"], {}, { stdout: (l) => out.push(l), stderr: () => undefined })).toEqual({
      exitCode: 0,
    });
    expect(out.join("\n")).toContain("--probe-timeout-ms");
  });

  it("starts, announces the URL and stops", async () => {
    const out: string[] = [];
    const result = await main(
      ["--api-key", API_KEY],
      {},
      { stdout: (l) => out.push(l), stderr: () => undefined },
    );
    expect(out).toEqual([expect.stringMatching(/^copass-emulator listening on http:\/\/127\.0\.0\.1:\d+$/)]);
    expect("stop" in result).toBe(true);
    if ("stop" in result) await result.stop();
  });
});

describe("the copass-emulator process", () => {
  let buildDir: string;
  let cli: string;
  let dataDir: string;

  beforeAll(() => {
    fs.mkdirSync(path.join(ROOT, ".tmp"), { recursive: true });
    buildDir = fs.mkdtempSync(path.join(ROOT, ".tmp", "emulator-cli-"));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "copass-cli-"));
    // A private tsconfig extending the project's, so the compiler options are the real ones.
    const tsconfig = path.join(buildDir, "tsconfig.json");
    fs.writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: path.join(ROOT, "tsconfig.json"),
        compilerOptions: { outDir: buildDir, rootDir: ROOT, declaration: false },
        include: [],
        files: [path.join(ROOT, "packages/emulator/src/cli.ts")],
      }),
    );
    const tsc = path.join(ROOT, "node_modules/typescript/bin/tsc");
    execFileSync(process.execPath, [tsc, "-p", tsconfig], { cwd: ROOT });
    cli = path.join(buildDir, "packages/emulator/src/cli.js");
    // The compiled CLI requires "pulumi-copass/client" and "pulumi-copass/redact"; point them at
    // the private copies compiled alongside (found first when Node walks up from the CLI) rather
    // than the shared dist/.
    const link = path.join(buildDir, "node_modules/pulumi-copass");
    fs.mkdirSync(link, { recursive: true });
    fs.writeFileSync(
      path.join(link, "client.js"),
      'module.exports = require("../../src/client/index.js");\n',
    );
    fs.writeFileSync(path.join(link, "redact.js"), 'module.exports = require("../../src/redact.js");\n');
  }, 120_000);
  afterAll(() => {
    fs.rmSync(buildDir, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  function run(args: string[], env: NodeJS.ProcessEnv = {}) {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const streams = { stdout: "", stderr: "" };
    child.stdout?.on("data", (c: Buffer) => (streams.stdout += c.toString()));
    child.stderr?.on("data", (c: Buffer) => (streams.stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    return { child, streams, exited };
  }

  function readyUrl(
    child: ChildProcess,
    streams: { stdout: string },
    ready = /copass-emulator listening on (http:\/\/\S+)\n/,
  ): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = ready.exec(streams.stdout);
        if (m?.[1]) resolve(m[1]);
      };
      child.stdout?.on("data", check);
      child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
      check();
    });
  }

  it("exits 2 with a message naming the flag for bad arguments", async () => {
    const { streams, exited } = run(["--port", "-1"]);
    expect(await exited).toBe(2);
    expect(streams.stderr).toMatch(/--port|--api-key/);
    expect(streams.stdout).toBe("");
  });

  it("prints one ready line, serves the API, shuts down on SIGTERM, and never prints a key or token", async () => {
    const mcp = await startMcpServer({ auth: { kind: "bearer", token: ROTATED_TOKEN } });
    const dataFile = path.join(dataDir, "state.json");
    const { child, streams, exited } = run(
      ["--port", "0", "--admin-key", ADMIN_KEY, "--data-file", dataFile, "--probe-timeout-ms", "3000"],
      { COPASS_API_KEY: API_KEY },
    );
    try {
      const url = await readyUrl(child, streams);
      const api = `${url}/api/v1/storage/sandboxes/sb_cli/sources`;
      const headers = { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" };
      const reg = await fetch(`${api}/user-mcp`, {
        method: "POST",
        headers,
        body: JSON.stringify({ name: "cli", base_url: mcp.url, auth_kind: "bearer", token: TOKEN }),
      }).then((r) => r.json() as Promise<{ data_source_id: string; status: string }>);
      expect(reg.status).toBe("error");
      await fetch(`${api}/${reg.data_source_id}/user-mcp`, {
        method: "PATCH",
        headers,
        body: JSON.stringify({ token: ROTATED_TOKEN }),
      });
      const tested = await fetch(`${api}/${reg.data_source_id}/user-mcp/test`, { method: "POST", headers });
      expect(((await tested.json()) as { status: string }).status).toBe("active");
      await fetch(`${api}/user-mcp`, { method: "POST", headers, body: `{"token":"${TOKEN}"` });
      await fetch(`${api}`, { headers: { authorization: "Bearer wrong" } });

      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await mcp.close();
    }
    expect(streams.stdout.split("\n").filter(Boolean)).toHaveLength(1);
    const output = streams.stdout + streams.stderr;
    for (const secret of [TOKEN, ROTATED_TOKEN, API_KEY, ADMIN_KEY]) expect(output).not.toContain(secret);
    expect(fs.readFileSync(dataFile, "utf8")).not.toContain(ROTATED_TOKEN);
  });

  describe("copass-emulator mcp (issue 25 §1)", () => {
    const MCP_READY = /copass-emulator mcp listening on (http:\/\/\S+\/mcp) \(.*\)\n/;
    const probe = createMcpProbe({ timeoutMs: 3_000 });

    it.each([
      ["SIGINT", ["--bearer-token", TOKEN], { authKind: "bearer" as const, token: TOKEN }],
      [
        "SIGTERM",
        ["--header", "X-Api-Key", "--header-token", TOKEN],
        { authKind: "header_token" as const, authHeader: "X-Api-Key", token: TOKEN },
      ],
    ])(
      "serves MCP to the right credential only, prints one ready line without the token, stops on %s with exit 0",
      async (signal, auth, target) => {
        const { child, streams, exited } = run(["mcp", "--port", "0", ...auth]);
        try {
          const url = await readyUrl(child, streams, MCP_READY);
          expect(await probe({ baseUrl: url, ...target })).toEqual({
            ok: true,
            tools: ["search_accounts", "get_account"],
          });
          expect(await probe({ baseUrl: url, ...target, token: ROTATED_TOKEN })).toMatchObject({ ok: false });
          child.kill(signal as NodeJS.Signals);
          expect(await exited).toBe(0);
        } finally {
          if (child.exitCode === null) child.kill("SIGKILL");
        }
        expect(streams.stdout.split("\n").filter(Boolean)).toHaveLength(1);
        expect(streams.stdout + streams.stderr).not.toContain(TOKEN);
      },
    );

    it("serves without authentication under --no-auth", async () => {
      const { child, streams, exited } = run(["mcp", "--no-auth"]);
      try {
        const url = await readyUrl(child, streams, MCP_READY);
        expect(await probe({ baseUrl: url, authKind: "none" })).toMatchObject({ ok: true });
        child.kill("SIGTERM");
        expect(await exited).toBe(0);
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    });

    it("exits 2 naming the flag for bad arguments, and lists the command in --help", async () => {
      const bad = run(["mcp", "--bearer-token", TOKEN, "--port", "x"]);
      expect(await bad.exited).toBe(2);
      expect(bad.streams.stderr).toMatch(/^copass-emulator mcp: --port must be an integer/);
      expect(bad.streams.stderr).not.toContain(TOKEN);
      const help = run(["--help"]);
      expect(await help.exited).toBe(0);
      expect(help.streams.stdout).toContain("copass-emulator mcp [options]");
      const mcpHelp = run(["mcp", "--help"]);
      expect(await mcpHelp.exited).toBe(0);
      expect(mcpHelp.streams.stdout).toMatch(/--bearer-token <t>[\s\S]*--header <name>[\s\S]*--no-auth/);
    });
  });
});
