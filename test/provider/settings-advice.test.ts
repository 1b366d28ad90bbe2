/**
 * A wrong API key or an endpoint that cannot be reached says which setting to fix and which
 * endpoint it concerns, not which internal call failed first (issue 25 §4): the provider in-process
 * against the real emulator, over loopback. The wording itself is `settingsAdvice`
 * (src/provider/errors.ts), shared with `pulumi-copass import`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../packages/emulator/src";
import { CopassClient } from "../../src/client";
import { provider, resetProviderState } from "../../src/provider/provider";

const API_KEY = "olk_advice_right_key_7c1e";
const WRONG_KEY = "olk_advice_WRONG_key_2b9f";
const TOKEN = "tok-ADVICE-51d0c3aa-do-not-leak";
/** Port 2 on loopback: never served, so every connection is refused at once. */
const UNREACHABLE_API = "http://127.0.0.1:2";

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: [API_KEY] });
});
afterAll(async () => {
  await emulator?.close();
});
beforeEach(() => resetProviderState());

async function createFails(settings: Record<string, string>): Promise<string> {
  await provider.configure({ config: { get: (key: string) => settings[key] } });
  const inputs = await provider.check(
    {},
    {
      sandboxId: "sb_local",
      name: "CRM tools",
      baseUrl: "http://127.0.0.1:2/mcp",
      authKind: "bearer",
      token: TOKEN,
      appNamespace: "crm",
    },
  );
  expect(inputs.failures).toEqual([]);
  const error = await provider.create(inputs.inputs).then(
    () => undefined,
    (err: unknown) => err as Error,
  );
  expect(error).toBeInstanceOf(Error);
  const message = (error as Error).message;
  for (const secret of [API_KEY, WRONG_KEY, TOKEN]) expect(message).not.toContain(secret);
  return message;
}

describe("a provider step whose settings are wrong (issue 25 §4)", () => {
  it("a wrong API key names the endpoint that refused it and the settings that hold it, not the internal 'list' call", async () => {
    const message = await createFails({ "copass:apiUrl": emulator.url, "copass:apiKey": WRONG_KEY });
    expect(message).toBe(
      `Copass create of a user_mcp source in sandbox sb_local failed: Copass at ${emulator.url} refused ` +
        "the API key (HTTP 401): check stack config copass:apiKey or env COPASS_API_KEY (and stack config " +
        "copass:apiUrl or env COPASS_API_URL, which must be the API the key belongs to)",
    );
  });

  it("an endpoint that cannot be reached is named, with the setting that holds it", async () => {
    const message = await createFails({ "copass:apiUrl": UNREACHABLE_API, "copass:apiKey": API_KEY });
    expect(message).toMatch(
      /^Copass create of a user_mcp source in sandbox sb_local failed: connection error \(ECONNREFUSED\) with http:\/\/127\.0\.0\.1:2 \(after \d+ attempts\): check stack config copass:apiUrl or env COPASS_API_URL$/,
    );
  }, 30_000);
});

describe("the client's errors name the endpoint, never a key in it", () => {
  it("a key pasted into the API URL's path is cut out of the message and of `endpoint`", async () => {
    const client = new CopassClient({ apiUrl: `${UNREACHABLE_API}/${API_KEY}`, apiKey: API_KEY });
    const error = await client.listSources("sb_local").then(
      () => undefined,
      (err: unknown) => err as { message: string; endpoint?: string },
    );
    await client.close();
    expect(error?.message).toMatch(/connection error \(ECONNREFUSED\) with http:\/\/127\.0\.0\.1:2\//);
    expect(error?.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:2\/\S+$/);
    expect(`${error?.message} ${error?.endpoint}`).not.toContain(API_KEY);
  }, 30_000);
});
