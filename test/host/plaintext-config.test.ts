/**
 * The dynamic face warns when a credential setting is in plaintext stack config (issue 22, DESIGN
 * §6): Pulumi stores the whole stack config, `--secret` values excepted, in plaintext in the state
 * of the dynamic resources' default provider, and only the program can tell which values were
 * secret. A program runs in the consumer project with its config passed as Pulumi's Node language
 * host passes it (`PULUMI_CONFIG`, and `PULUMI_CONFIG_SECRET_KEYS` for the `--secret` ones); the
 * resource monitor is Pulumi's mock (no engine here), so `pulumi.log.warn` prints to stderr as
 * `warning: [runtime] …`, the same text the CLI shows.
 */
import { writeFile } from "node:fs/promises";
import * as path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { plaintextCredentialSettings } from "../../src/resource";
import { cleanEnv, hostNode, run } from "../support/pulumi-host";

const API_KEY = "olk_PLAINCFG_key_6b0d2e";
const ENCRYPTION_TOKEN = "enc_PLAINCFG_token_91aa4f";
const VALUES = [API_KEY, ENCRYPTION_TOKEN];

const consumer = inject("copassConsumerA");

/** Two resources: the warning comes once per run, not once per resource. */
const program = `
"use strict";
const pulumi = require("@pulumi/pulumi");
pulumi.runtime.setMocks(
  {
    newResource(args) { return { id: args.name + "-id", state: args.inputs }; },
    call() { throw new Error("Mock not implemented: no invokes expected"); },
  },
  "copass-plaintext", "dev", false,
);
const { UserMcpSource } = require("pulumi-copass");
const args = { sandboxId: "sb_1", name: "n", baseUrl: "https://mcp.example.com/mcp", authKind: "none" };
const a = new UserMcpSource("a", args);
const b = new UserMcpSource("b", args);
pulumi.all([a.id, b.id]).apply(() => process.stdout.write("done"));
`;

/** Runs the program with `config`, the keys in `secret` marked as `pulumi config set --secret` marks them. */
async function runWith(config: Record<string, string>, secret: string[]) {
  const file = path.join(consumer, "plaintext-config.js");
  await writeFile(file, program);
  const r = await run(hostNode, [file], {
    cwd: consumer,
    env: cleanEnv({
      PULUMI_CONFIG: JSON.stringify(config),
      PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(secret),
    }),
    timeoutMs: 120_000,
  });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain("done");
  for (const value of VALUES) expect(r.stdout + r.stderr).not.toContain(value);
  return r.stderr.split("\n").filter((line) => line.startsWith("warning: [runtime] copass:"));
}

const fix = (key: string) => `pulumi config set --secret ${key} <value>`;

describe("a program with credential settings in plaintext config", () => {
  it("warns once per plaintext key, naming the key and the fix, never the value", async () => {
    const warnings = await runWith(
      { "copass:apiKey": API_KEY, "copass:encryptionToken": ENCRYPTION_TOKEN, "copass:apiUrl": "https://x" },
      [],
    );
    // mutation: the once-flag never set (warn per resource) → four lines → this fails
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^warning: \[runtime\] copass:apiKey is set in plaintext/);
    expect(warnings[0]).toContain(fix("copass:apiKey"));
    expect(warnings[1]).toMatch(/^warning: \[runtime\] copass:encryptionToken is set in plaintext/);
    expect(warnings[1]).toContain(fix("copass:encryptionToken"));
  });

  it("warns only for the one set in plaintext when the other is a secret", async () => {
    const warnings = await runWith({ "copass:apiKey": API_KEY, "copass:encryptionToken": ENCRYPTION_TOKEN }, [
      "copass:apiKey",
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(fix("copass:encryptionToken"));
  });

  it("says nothing when both are secrets, or not in config at all", async () => {
    // mutation: plaintextCredentialSettings ignores isConfigSecret → warnings here → this fails
    expect(
      await runWith({ "copass:apiKey": API_KEY, "copass:encryptionToken": ENCRYPTION_TOKEN }, [
        "copass:apiKey",
        "copass:encryptionToken",
      ]),
    ).toEqual([]);
    expect(await runWith({ "copass:apiUrl": "https://api.copass.id" }, [])).toEqual([]);
  });
});

describe("plaintextCredentialSettings", () => {
  const config: Record<string, string> = { "copass:apiKey": API_KEY, "copass:encryptionToken": "" };

  it("lists a set, non-empty credential that is not secret", () => {
    expect(plaintextCredentialSettings({ getConfig: (k) => config[k], isConfigSecret: () => false })).toEqual(
      ["copass:apiKey"],
    );
  });

  it("lists nothing when Pulumi's runtime cannot tell secret from plain", () => {
    expect(plaintextCredentialSettings({ getConfig: (k) => config[k] })).toEqual([]);
  });
});
