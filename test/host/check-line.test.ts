/**
 * A failing check never prints a credential, on both faces (issue 22). The engine prints a
 * failure on a property beside the value the program gave it (`property <name> value {<value>} has
 * a problem: <reason>`; test/support/check-line.ts renders the line as the Pulumi CLI 3.274.1
 * does), so a value that may hold a credential is refused on the resource, which the engine prints
 * without a value, the reason showing it masked.
 *
 * - The dynamic face: Pulumi's real dynamic-provider host over gRPC, the package as installed in a
 *   consumer project (the engine strips secret marks before Check: `acceptSecrets = false`).
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

/** The line for a refused baseUrl with userinfo: on the resource, the URL masked in the reason. */
const userinfoLine = (type: string) =>
  `${type} resource 'crm' has a problem: baseUrl must not contain credentials (userinfo user:password@); ` +
  "remove them (baseUrl as given, credentials masked: https://***:***@mcp.example.com/mcp)";

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
    ["userinfo", USERINFO_URL, userinfoLine(TYPE)],
    [
      "a query",
      QUERY_URL,
      `${TYPE} resource 'crm' has a problem: baseUrl must not have a query string or fragment; remove it ` +
        "(baseUrl as given, credentials masked: https://mcp.example.com/mcp?api_key=***)",
    ],
  ])(
    "with %s: no value beside it, the URL masked in the reason, no credential",
    async (_case, baseUrl, line) => {
      const sent = program({ baseUrl });
      // The engine strips secret marks before the host's Check (acceptSecrets false) and prints the
      // program's registered inputs, in which resource.ts made token a secret.
      const answer = await host.check({}, sent);
      const lines = engineCheckLines(TYPE, "crm", { ...sent, token: secret(TOKEN) }, answer.failures);
      // mutation: failureOf always returns { property, reason } → the line prints the program's
      // baseUrl, password and all → this fails
      expect(lines).toEqual([line]);
      expect(answer.inputs.baseUrl).not.toContain(baseUrl.includes("@") ? PASSWORD : QUERY_KEY);
      for (const s of SECRETS) expect(JSON.stringify(host.output())).not.toContain(s);
    },
  );

  it("returns a passing program exactly as before: the token and the URL as sent", async () => {
    const answer = await host.check({}, program({ baseUrl: "https://mcp.example.com/a@b/mcp" }));
    expect(answer.failures).toEqual([]);
    expect(answer.inputs).toMatchObject({ baseUrl: "https://mcp.example.com/a@b/mcp", token: TOKEN });
  });
});

describe("the plugin face's check (handlers.check)", () => {
  const TYPE = "copass:index:UserMcpSource";
  const wrapped = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });

  it("refuses a baseUrl with userinfo on the resource, plain or secret, and prints no credential", async () => {
    // A YAML program's token is a secret (the schema marks it); its baseUrl plain, then secret.
    const lines: string[] = [];
    for (const baseUrl of [USERINFO_URL, wrapped(USERINFO_URL)]) {
      const sent = program({ baseUrl, token: wrapped(TOKEN) });
      const answer = await handlers.check(sent);
      lines.push(...engineCheckLines(TYPE, "crm", sent, answer.failures));
    }
    expect(lines).toEqual([userinfoLine(TYPE), userinfoLine(TYPE)]);
    for (const s of SECRETS) expect(lines.join("\n")).not.toContain(s);
  });
});
