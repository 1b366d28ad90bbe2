/**
 * DESIGN §6 for the emulator: the MCP token never appears in any response body of any endpoint,
 * nor in the request log. (stdout/stderr of the process are scanned in cli.test.ts; the data file
 * in persistence.test.ts.) Every response is collected, then scanned once for both tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMcpServer, type Emulator, type SampleMcpServer } from "../../packages/emulator/src";
import { ADMIN_KEY, base, call, registerBody, ROTATED_TOKEN, startTestEmulator, TOKEN } from "./helpers";

let emulator: Emulator;
let mcp: SampleMcpServer;
let strict: SampleMcpServer;
const transcript: string[] = [];

async function record(method: string, path: string, body?: unknown, rawBody?: string) {
  const res = await call(emulator, method, path, { body, rawBody });
  transcript.push(`${method} ${path} → ${res.status} ${res.text}`);
  return res;
}

beforeAll(async () => {
  emulator = await startTestEmulator();
  mcp = await startMcpServer({ auth: { kind: "bearer", token: ROTATED_TOKEN } });
  // A server that wants the token in a header and rejects the bearer form.
  strict = await startMcpServer({ auth: { kind: "header_token", header: "X-Key", token: "other" } });
});
afterAll(async () => {
  await emulator.close();
  await mcp.close();
  await strict.close();
});

describe("the MCP token never leaves the vault", () => {
  it("is absent from every response of a full lifecycle, errors included", async () => {
    const S = base();
    // Register: rejected by the MCP server (wrong token) → status error with a reason.
    const reg = await record(
      "POST",
      `${S}/user-mcp`,
      registerBody({ base_url: mcp.url, app_namespace: "crm" }),
    );
    const id = reg.body.data_source_id as string;
    expect(reg.body.status).toBe("error");
    // Register against a server that rejects this auth kind.
    await record("POST", `${S}/user-mcp`, registerBody({ base_url: strict.url }));
    // Rotation to the right token, then a health test that passes.
    await record("PATCH", `${S}/${id}/user-mcp`, { token: ROTATED_TOKEN });
    expect((await record("POST", `${S}/${id}/user-mcp/test`)).body.status).toBe("active");
    // Outage: the failing test must not carry the token either.
    await mcp.stop();
    expect((await record("POST", `${S}/${id}/user-mcp/test`)).body.status).toBe("error");
    await mcp.start();
    // Reads.
    await record("GET", `${S}/${id}`);
    await record("GET", S);
    await record("GET", `${S}?provider=user_mcp`);
    // Errors that had the token in their request: 400s, a namespace conflict and 422s.
    await record("POST", `${S}/user-mcp`, registerBody({ base_url: "http://example.com/mcp" }));
    await record("POST", `${S}/user-mcp`, registerBody({ auth_kind: "none" }));
    await record("POST", `${S}/user-mcp`, registerBody({ app_namespace: "crm" }));
    await record("POST", `${S}/user-mcp`, registerBody({ token: { nested: TOKEN } }));
    await record("POST", `${S}/user-mcp`, undefined, `{"token": "${TOKEN}", broken`);
    await record("PATCH", `${S}/${id}/user-mcp`, { token: ROTATED_TOKEN, base_url: "ftp://x" });
    await record("PATCH", `${S}/${id}/user-mcp`, { token: [ROTATED_TOKEN] });
    // Revoke, a second revoke, a test after revoke (400), delete.
    await record("POST", `${S}/${id}/user-mcp/revoke`);
    await record("POST", `${S}/${id}/user-mcp/revoke`);
    await record("POST", `${S}/${id}/user-mcp/test`);
    await record("DELETE", `${S}/${id}`);

    expect(transcript.length).toBeGreaterThanOrEqual(19);
    const all = transcript.join("\n");
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(ROTATED_TOKEN);
  });

  it("is absent from the request log, in memory and over the admin endpoint", async () => {
    const log = JSON.stringify(emulator.requestLog());
    const overHttp = await (
      await fetch(`${emulator.url}/_emulator/requests`, { headers: { "x-emulator-admin-key": ADMIN_KEY } })
    ).text();
    expect(emulator.requestLog().length).toBeGreaterThanOrEqual(19);
    for (const text of [log, overHttp]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(ROTATED_TOKEN);
    }
  });

  it("keeps the query string out of the request log", async () => {
    await call(emulator, "GET", `${base()}?status=${encodeURIComponent(TOKEN)}`);
    const last = emulator.requestLog().at(-1);
    expect(last?.path).toBe(base());
  });
});

/*
 * The opposite on purpose: `echoCredentialInHealthError` (a test mode) makes a failed probe's
 * health_error quote the credential it sent, unscrubbed, in every answer that carries it, so that
 * tests of the provider's own scrub of healthError (issue 15 §5) have something to catch.
 */
describe("echoCredentialInHealthError (test mode)", () => {
  let echoing: Emulator;
  beforeAll(async () => {
    echoing = await startTestEmulator({ echoCredentialInHealthError: true });
  });
  afterAll(() => echoing.close());

  it("puts the sent credential in health_error of register, test, PATCH, GET and list answers", async () => {
    const S = base("sb_echo");
    // The MCP server wants ROTATED_TOKEN: a probe with TOKEN fails (401).
    const reg = await call(echoing, "POST", `${S}/user-mcp`, { body: registerBody({ base_url: mcp.url }) });
    expect(reg.body.status).toBe("error");
    expect(reg.body.health_error).toContain(`Authorization: Bearer ${TOKEN}`);
    const id = reg.body.data_source_id as string;
    const test = await call(echoing, "POST", `${S}/${id}/user-mcp/test`);
    expect(test.body.health_error).toContain(`Authorization: Bearer ${TOKEN}`);
    const patch = await call(echoing, "PATCH", `${S}/${id}/user-mcp`, { body: { name: "renamed" } });
    expect(patch.body.health_error).toContain(TOKEN);
    expect((await call(echoing, "GET", `${S}/${id}`)).body.health_error).toContain(TOKEN);
    expect((await call(echoing, "GET", S)).body.sources[0].health_error).toContain(TOKEN);
    // A header_token source quotes its own header.
    const header = await call(echoing, "POST", `${S}/user-mcp`, {
      body: registerBody({ base_url: strict.url, auth_kind: "header_token", auth_header: "X-Key" }),
    });
    expect(header.body.health_error).toContain(`X-Key: ${TOKEN}`);
  });

  it("is off by default: the same failure is value-free", async () => {
    const reg = await call(emulator, "POST", `${base("sb_no_echo")}/user-mcp`, {
      body: registerBody({ base_url: mcp.url }),
    });
    expect(reg.body.status).toBe("error");
    expect(reg.body.health_error).not.toContain(TOKEN);
    expect(reg.body.health_error).not.toContain("was sent");
  });
});
