import { describe, expect, it } from "vitest";
import {
  DEFAULT_API_URL,
  ProviderConfigError,
  readConfigValues,
  resolveSettings,
  sameSettings,
  type ConfigValues,
  type Env,
} from "../../src/provider/config";

const KEY = "olk_test_key_123456";

describe("resolveSettings", () => {
  it.each<[string, ConfigValues, Env, Record<string, unknown>]>([
    [
      "defaults with a key from env",
      {},
      { COPASS_API_KEY: KEY },
      { apiUrl: DEFAULT_API_URL, apiKey: KEY, requestTimeoutMs: 30_000 },
    ],
    [
      "stack config wins over env",
      { apiKey: "olk_from_config", apiUrl: "https://a.example.com" },
      { COPASS_API_KEY: KEY, COPASS_API_URL: "https://b.example.com" },
      { apiUrl: "https://a.example.com", apiKey: "olk_from_config" },
    ],
    [
      "env fills what config lacks",
      { apiKey: KEY },
      { COPASS_API_URL: "https://b.example.com" },
      { apiUrl: "https://b.example.com" },
    ],
    ["empty config value falls back to env", { apiKey: "" }, { COPASS_API_KEY: KEY }, { apiKey: KEY }],
    [
      "trailing slashes stripped",
      { apiKey: KEY, apiUrl: "https://a.example.com/" },
      {},
      { apiUrl: "https://a.example.com" },
    ],
    [
      "http allowed for loopback",
      { apiKey: KEY, apiUrl: "http://127.0.0.1:8080" },
      {},
      { apiUrl: "http://127.0.0.1:8080" },
    ],
    [
      "http allowed for localhost",
      { apiKey: KEY },
      { COPASS_API_URL: "http://localhost:1" },
      { apiUrl: "http://localhost:1" },
    ],
    [
      "encryption token from env",
      { apiKey: KEY },
      { COPASS_ENCRYPTION_TOKEN: "enc-xyz" },
      { encryptionToken: "enc-xyz" },
    ],
    ["timeout from config", { apiKey: KEY, requestTimeoutSeconds: "5" }, {}, { requestTimeoutMs: 5000 }],
    [
      "timeout from env, fractional",
      { apiKey: KEY },
      { COPASS_REQUEST_TIMEOUT_SECONDS: "1.5" },
      { requestTimeoutMs: 1500 },
    ],
  ])("%s", (_case, config, env, expected) => {
    expect(resolveSettings(config, env)).toMatchObject(expected);
  });

  it("leaves encryptionToken out when unset (no undefined key)", () => {
    expect(Object.keys(resolveSettings({ apiKey: KEY }, {}))).not.toContain("encryptionToken");
  });

  it.each<[string, ConfigValues, Env, string]>([
    ["missing key", {}, {}, "pulumi config set --secret copass:apiKey"],
    ["missing key names the env var too", {}, { COPASS_API_KEY: "" }, "COPASS_API_KEY"],
    ["http to a remote host", { apiKey: KEY, apiUrl: "http://api.example.com" }, {}, "https://"],
    ["userinfo in the URL", { apiKey: KEY, apiUrl: `https://u:${KEY}@api.example.com` }, {}, "userinfo"],
    ["not a URL", { apiKey: KEY, apiUrl: "api.copass.id" }, {}, "absolute URL"],
    ["timeout zero", { apiKey: KEY, requestTimeoutSeconds: "0" }, {}, "copass:requestTimeoutSeconds"],
    [
      "timeout not a number",
      { apiKey: KEY },
      { COPASS_REQUEST_TIMEOUT_SECONDS: "soon" },
      "COPASS_REQUEST_TIMEOUT_SECONDS",
    ],
  ])("%s → a ProviderConfigError naming the fix", (_case, config, env, fragment) => {
    let caught: unknown;
    try {
      resolveSettings(config, env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProviderConfigError);
    expect((caught as Error).message).toContain(fragment);
    expect((caught as Error).message).not.toContain(KEY);
  });
});

describe("readConfigValues", () => {
  it("reads the namespaced copass:* keys through Config.get", () => {
    const asked: string[] = [];
    const values = readConfigValues({
      get: (key) => {
        asked.push(key);
        return key === "copass:apiKey" ? KEY : undefined;
      },
    });
    expect(asked.sort()).toEqual([
      "copass:apiKey",
      "copass:apiUrl",
      "copass:apiUrlMovedFrom",
      "copass:encryptionToken",
      "copass:requestTimeoutSeconds",
    ]);
    expect(values.apiKey).toBe(KEY);
  });
});

describe("sameSettings", () => {
  it("tells when the cached client must be rebuilt", () => {
    const a = resolveSettings({ apiKey: KEY }, {});
    expect(sameSettings(a, resolveSettings({ apiKey: KEY }, {}))).toBe(true);
    expect(sameSettings(a, resolveSettings({ apiKey: "olk_rotated" }, {}))).toBe(false);
    expect(sameSettings(a, resolveSettings({ apiKey: KEY, requestTimeoutSeconds: "9" }, {}))).toBe(false);
    // A move toggled between two calls must reach the location check (issue 15 §1).
    expect(
      sameSettings(a, resolveSettings({ apiKey: KEY }, { COPASS_API_URL_MOVED_FROM: "https://x.test" })),
    ).toBe(false);
  });

  it("reads COPASS_API_URL_MOVED_FROM (trailing slash dropped) and refuses one that is not a URL, naming it", () => {
    const moved = resolveSettings({ apiKey: KEY }, { COPASS_API_URL_MOVED_FROM: "https://old.copass.test/" });
    expect(moved.apiUrlMovedFrom).toBe("https://old.copass.test");
    expect(resolveSettings({ apiKey: KEY }, {}).apiUrlMovedFrom).toBeUndefined();
    expect(() => resolveSettings({ apiKey: KEY }, { COPASS_API_URL_MOVED_FROM: "old.copass.test" })).toThrow(
      /COPASS_API_URL_MOVED_FROM.*absolute URL/,
    );
  });
});

describe("provider errors across two loaded copies of the package", () => {
  it("answer instanceof in the other copy (Symbol.hasInstance), and only for their own class", async () => {
    const { vi } = await import("vitest");
    const ours = await import("../../src/provider/errors");
    const oursConfig = await import("../../src/provider/config");
    vi.resetModules();
    const theirs = await import("../../src/provider/errors");
    const theirsConfig = await import("../../src/provider/config");
    expect(theirs.SourceInitError).not.toBe(ours.SourceInitError);
    const outs = {} as never;
    expect(new theirs.SourceInitError("ds_1", outs, "unhealthy")).toBeInstanceOf(ours.SourceInitError);
    expect(new ours.SourceInitError("ds_1", outs, "unhealthy")).toBeInstanceOf(theirs.SourceInitError);
    expect(new theirsConfig.ProviderConfigError("no key")).toBeInstanceOf(oursConfig.ProviderConfigError);
    expect(new theirsConfig.ProviderConfigError("no key")).not.toBeInstanceOf(ours.SourceInitError);
    expect(new Error("plain")).not.toBeInstanceOf(ours.SourceInitError);
  });
});
