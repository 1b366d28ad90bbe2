/**
 * File persistence: state survives a restart, the vault survives in its own 0600 file, the data
 * file never holds the token, and writes leave no temp files behind.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMcpServer, type Emulator, type SampleMcpServer } from "../../packages/emulator/src";
import { filePersistence, writeFileAtomic } from "../../packages/emulator/src/persistence";
import { base, call, registerBody, ROTATED_TOKEN, startTestEmulator, TOKEN } from "./helpers";

let dir: string;
let dataFile: string;
let mcp: SampleMcpServer;
const running: Emulator[] = [];

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "copass-emulator-"));
  dataFile = path.join(dir, "state.json");
  mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
});
afterEach(async () => {
  for (const e of running.splice(0)) await e.close();
  await mcp.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<Emulator> {
  const e = await startTestEmulator({ dataFile });
  running.push(e);
  return e;
}

describe("file persistence", () => {
  it("keeps sources and their vault entries across a restart", async () => {
    const first = await start();
    const reg = await call(first, "POST", `${base()}/user-mcp`, {
      body: registerBody({ base_url: mcp.url }),
    });
    expect(reg.body.status).toBe("active");
    await first.close();

    const second = await start();
    const got = await call(second, "GET", `${base()}/${reg.body.data_source_id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ name: "CRM tools", status: "active" });
    // The health test can only pass if the token came back from the vault file.
    const tested = await call(second, "POST", `${base()}/${reg.body.data_source_id}/user-mcp/test`);
    expect(tested.body).toMatchObject({ status: "active", health_error: null });
  });

  it("keeps the token out of the data file and in a 0600 vault file", async () => {
    const e = await start();
    const reg = await call(e, "POST", `${base()}/user-mcp`, { body: registerBody({ base_url: mcp.url }) });
    await call(e, "PATCH", `${base()}/${reg.body.data_source_id}/user-mcp`, {
      body: { token: ROTATED_TOKEN },
    });
    const data = fs.readFileSync(dataFile, "utf8");
    const vault = fs.readFileSync(`${dataFile}.vault.json`, "utf8");
    expect(data).not.toContain(TOKEN);
    expect(data).not.toContain(ROTATED_TOKEN);
    expect(data).toContain(reg.body.data_source_id);
    expect(vault).toContain(ROTATED_TOKEN);
    expect(vault).not.toContain(TOKEN);
    expect(fs.readdirSync(dir).sort()).toEqual(["state.json", "state.json.vault.json"]);
  });

  it("writes every data file owner-only (0600): the vault holds tokens in plaintext (issue 25 §5)", async () => {
    const e = await start();
    await call(e, "POST", `${base()}/user-mcp`, { body: registerBody({ base_url: mcp.url }) });
    const modes = Object.fromEntries(
      fs.readdirSync(dir).map((name) => [name, fs.statSync(path.join(dir, name)).mode & 0o777]),
    );
    expect(modes).toEqual({ "state.json": 0o600, "state.json.vault.json": 0o600 });
  });

  it("removes the vault entry from disk on revoke", async () => {
    const e = await start();
    const reg = await call(e, "POST", `${base()}/user-mcp`, { body: registerBody({ base_url: mcp.url }) });
    await call(e, "POST", `${base()}/${reg.body.data_source_id}/user-mcp/revoke`);
    expect(JSON.parse(fs.readFileSync(`${dataFile}.vault.json`, "utf8"))).toEqual({});
  });

  it("refuses a file that is not an emulator data file, naming the fix", () => {
    fs.writeFileSync(dataFile, JSON.stringify({ hello: "world" }));
    expect(() => filePersistence(dataFile).load()).toThrow("pick another --data-file");
  });

  it("refuses a corrupt vault file without quoting it (V8's JSON error would show a token's start)", () => {
    fs.writeFileSync(dataFile, JSON.stringify({ version: 1, sandboxes: {} }));
    fs.writeFileSync(`${dataFile}.vault.json`, `{"user_mcp/ds_1/auth": ${TOKEN}}`);
    let message = "";
    try {
      filePersistence(dataFile).load();
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain("is not valid JSON");
    expect(message).not.toContain(TOKEN.slice(0, 8));
  });
});

describe("writeFileAtomic", () => {
  it("replaces the file whole and applies the mode whatever the umask", () => {
    const file = path.join(dir, "x.json");
    writeFileAtomic(file, "one", 0o600);
    writeFileAtomic(file, "two", 0o600);
    expect(fs.readFileSync(file, "utf8")).toBe("two");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(["x.json"]);
  });
});
