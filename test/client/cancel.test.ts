/**
 * Pulumi's Cancel as the client sees it (`CopassClientOptions.cancel`, `CreateOnceOptions.cancel`):
 * after the first Ctrl-C no call waits to retry, and no second register is sent; a lost register is
 * still reconciled by listing. Against a scripted HTTP server whose answers ask for long waits, so a
 * wait that survived the cancel would show as seconds, not milliseconds.
 */
import { afterEach, describe, expect, it } from "vitest";
import { CopassClient } from "../../src/client/client";
import { createOnce } from "../../src/client/create-once";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../../src/client/retry";
import type { RegisterUserMcpRequest } from "../../src/client/types";
import { failure } from "./failure";
import { json, scriptedServer, type Script, type ScriptedServer } from "./scripted-server";

const API_KEY = "olk_cancel_tests_key_51d0";
/** Every wait the server or the policy asks for is long: 8 s. */
const SLOW: RetryPolicy = { ...DEFAULT_RETRY_POLICY, minDelayMs: 8_000, maxDelayMs: 8_000, jitter: "none" };
/** Well under any wait above, well over a loopback round trip on a loaded machine. */
const PROMPT_MS = 3_000;

const NS_REGISTER: RegisterUserMcpRequest = {
  name: "crm",
  base_url: "https://mcp.example.com/mcp",
  auth_kind: "none",
  app_namespace: "crm",
  rate_cap_per_minute: 60,
  webhook_rate_cap_per_minute: 600,
};

let server: ScriptedServer | undefined;
let client: CopassClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  server = client = undefined;
});

/** A client over a scripted server, with a cancel signal the test aborts. */
async function setup(script: Script) {
  server = await scriptedServer(script);
  const interrupt = new AbortController();
  client = new CopassClient({
    apiUrl: server.url,
    apiKey: API_KEY,
    retry: SLOW,
    cancel: interrupt.signal,
    // The first failed attempt is the moment the user presses Ctrl-C.
    onAttempt: () => interrupt.abort(),
  });
  return { server, client, interrupt };
}

/** Milliseconds `p` took to settle, and how. */
async function timed<T>(p: Promise<T>): Promise<{ ms: number; result: PromiseSettledResult<T> }> {
  const started = Date.now();
  const [result] = await Promise.allSettled([p]);
  return { ms: Date.now() - started, result: result! };
}

describe("a cancelled client", () => {
  it("ends a retry wait at once: the failed call fails with its last error, after one attempt", async () => {
    const { server, client } = await setup((_n, _req, res) =>
      json(res, 503, { error: "unavailable" }, { "retry-after": "8" }),
    );
    const { ms, result } = await timed(client.getSource("sb_1", "ds_1"));
    // Mutation: drop `this.#cancel` from the undiciRetry call in client.ts → waits 8 s and retries.
    expect(result.status).toBe("rejected");
    expect(ms).toBeLessThan(PROMPT_MS);
    expect(server.seen).toHaveLength(1);
  });
});

describe("createOnce, cancelled", () => {
  it("sends no register when cancelled before it (the snapshot listing is all that went out)", async () => {
    const { server, client, interrupt } = await setup((_n, _req, res) =>
      json(res, 200, { sources: [], count: 0 }),
    );
    interrupt.abort();
    const err = await failure(
      createOnce(client, "sb_1", NS_REGISTER, {
        matches: () => true,
        policy: SLOW,
        cancel: interrupt.signal,
      }),
    );
    // Mutation: remove the `cancel?.aborted` check after the snapshot in create-once.ts → a POST goes out.
    expect(err.code).toBe("COPASS_CANCELLED");
    expect(err.message).toContain("nothing was created");
    expect(server.seen.map((r) => r.method)).toEqual(["GET"]);
  });

  it("sends no second register after a refused one: the wait before the re-send ends at once", async () => {
    // Listings are empty (no holder: the 503 provably did not commit, so a re-send would be allowed).
    const { server, client, interrupt } = await setup((_n, req, res) =>
      req.method === "POST" ? json(res, 503, { error: "unavailable" }) : json(res, 200, { sources: [] }),
    );
    const { ms, result } = await timed(
      createOnce(client, "sb_1", NS_REGISTER, {
        matches: () => true,
        policy: SLOW,
        cancel: interrupt.signal,
        onAttempt: () => interrupt.abort(),
      }),
    );
    // Mutation: `sleep(decision.delayMs)` without `cancel` in createOnce → 8 s and a second POST.
    expect(result.status).toBe("rejected");
    expect((result as PromiseRejectedResult).reason).toMatchObject({ code: "COPASS_SERVER" });
    expect(ms).toBeLessThan(PROMPT_MS);
    expect(server.seen.map((r) => r.method)).toEqual(["GET", "POST", "GET"]);
  });
});
