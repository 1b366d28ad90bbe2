/**
 * A failing check never prints a credential, on both faces (issue 22). The engine prints each
 * failure as `property <name> value {<value>} has a problem: <reason>`, taking the value from the
 * inputs Check answered with (test/support/check-line.ts renders the line as the engine does).
 *
 * - The dynamic face: Pulumi's real dynamic-provider host over gRPC, the package as installed in a
 *   consumer project. The host sets `acceptSecrets = false`, so the engine hands it every value in
 *   plaintext and marks secret again only what the program marked: a credential inside `baseUrl`
 *   comes back exactly as the provider returns it.
 * - The plugin face's translation: `handlers.check` (src/plugin/handlers.ts), called in-process
 *   with the secret envelopes the engine sends the plugin (no gRPC: the lead's test/plugin drives
 *   the plugin process).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { handlers } from "../../src/plugin/handlers";
import { SECRET_SIG, SIG_KEY } from "../../src/plugin/secrets";
import { engineCheckLines } from "../support/check-line";
import { secret, startHost, type Host, type Props } from "../support/pulumi-host";

const API_KEY = "olk_CHECKLINE_key_2f8e61";
const USER = "wikiuser_CHECKLINE_c31d";
const PASSWORD = "Sup3rS3cretPw_CHECKLINE_8a7b";
const QUERY_KEY = "qk_CHECKLINE_live_05e9";
const TOKEN = "tok_CHECKLINE_valid_d4c0";
const SECRETS = [API_KEY, USER, PASSWORD, QUERY_KEY, TOKEN];

const consumer = inject("copassConsumerA");

function program(patch: Props = {}): Props {
  return {
    sandboxId: "sb_checkline",
    name: "CRM tools",
    baseUrl: "https://mcp.example.com/mcp",
    authKind: "bearer",
    token: TOKEN,
    ...patch,
  };
}

const USERINFO_URL = `https://${USER}:${PASSWORD}@mcp.example.com/mcp`;
const QUERY_URL = `https://mcp.example.com/mcp?api_key=${QUERY_KEY}`;

describe("the dynamic face: the line the engine prints for a refused baseUrl", () => {
  let host: Host;
  const TYPE = "pulumi-nodejs:dynamic/copass:UserMcpSource";

  beforeAll(async () => {
    host = await startHost(consumer);
    await host.configure({ "copass:apiKey": secret(API_KEY) });
  });

  afterAll(async () => {
    await host?.kill();
  });

  it.each<[string, string, string]>([
    [
      "userinfo",
      USERINFO_URL,
      `${TYPE} resource 'crm': property baseUrl value {https://***:***@mcp.example.com/mcp} has a problem: ` +
        "baseUrl must not contain credentials (userinfo user:password@); remove them",
    ],
    [
      "a query",
      QUERY_URL,
      `${TYPE} resource 'crm': property baseUrl value {https://mcp.example.com/mcp?api_key=***} has a problem: ` +
        "baseUrl must not have a query string or fragment; remove it",
    ],
  ])("with %s shows the URL masked, the reason whole, and no credential", async (_case, baseUrl, line) => {
    const answer = await host.check({}, program({ baseUrl }));
    const lines = engineCheckLines(TYPE, "crm", answer);
    // mutation: checkInputs returns news[name] for a failed property → the password is in the line
    expect(lines).toEqual([line]);
    // The passing token comes back (the engine marks it secret again: the program wrapped it).
    expect(answer.inputs.token).toBe(TOKEN);
    for (const s of SECRETS) expect(JSON.stringify(host.output())).not.toContain(s);
  });

  it("returns a passing program exactly as before: the token and the URL as sent", async () => {
    const answer = await host.check({}, program({ baseUrl: "https://mcp.example.com/a@b/mcp" }));
    expect(answer.failures).toEqual([]);
    expect(answer.inputs).toMatchObject({ baseUrl: "https://mcp.example.com/a@b/mcp", token: TOKEN });
  });
});

describe("the plugin face's check (handlers.check)", () => {
  const TYPE = "copass:index:UserMcpSource";
  const wrapped = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });

  it("shows a refused baseUrl masked, and a secret one as [secret]", async () => {
    const plain = await handlers.check(program({ baseUrl: USERINFO_URL, token: wrapped(TOKEN) }));
    expect(engineCheckLines(TYPE, "crm", plain)).toEqual([
      `${TYPE} resource 'crm': property baseUrl value {https://***:***@mcp.example.com/mcp} has a problem: ` +
        "baseUrl must not contain credentials (userinfo user:password@); remove them",
    ]);
    const asSecret = await handlers.check(program({ baseUrl: wrapped(QUERY_URL), token: wrapped(TOKEN) }));
    expect(engineCheckLines(TYPE, "crm", asSecret)[0]).toContain(
      "property baseUrl value {[secret]} has a problem",
    );
    const lines = [...engineCheckLines(TYPE, "crm", plain), ...engineCheckLines(TYPE, "crm", asSecret)];
    for (const s of SECRETS) expect(lines.join("\n")).not.toContain(s);
  });
});
