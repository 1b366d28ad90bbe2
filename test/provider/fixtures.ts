import fc from "fast-check";
import { provider, resetProviderState } from "../../src/provider/provider";
import { checkInputs, type NormalizedInputs } from "../../src/provider/schema";

/** A valid bearer source's inputs after `check` (defaults filled), with `patch` applied first. */
export function checkedInputs(token: string, patch: Record<string, unknown> = {}): NormalizedInputs {
  const result = checkInputs({
    sandboxId: "sb_1",
    name: "CRM",
    baseUrl: "https://mcp.example.com/mcp",
    authKind: "bearer",
    token,
    ...patch,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.failures));
  return result.inputs;
}

/** Where a source lives (location.ts), for outputs built in tests. */
export const HERE = { apiEndpoint: "https://api.copass.id", tenantId: "usr_test" } as const;

/** Whether `undefined` sits anywhere in `value` (protobuf Struct, and so the host, rejects it). */
export function hasUndefined(value: unknown): boolean {
  if (value === undefined) return true;
  if (Array.isArray(value)) return value.some(hasUndefined);
  if (typeof value === "object" && value !== null) return Object.values(value).some(hasUndefined);
  return false;
}

/**
 * Points the in-process provider at `apiUrl` with `apiKey` as stack config, forgetting any cached
 * client first (as a fresh host process would start).
 */
export async function configureProvider(
  apiUrl: string,
  apiKey: string,
  more: Record<string, string> = {},
): Promise<void> {
  resetProviderState();
  const config: Record<string, string> = { "copass:apiUrl": apiUrl, "copass:apiKey": apiKey, ...more };
  await provider.configure({ config: { get: (key: string) => config[key] } });
}

/** A program as `check` returns it (defaults filled); throws naming the failures if it refuses. */
export async function checkedProgram(program: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result = await provider.check({}, program);
  if (result.failures?.length) throw new Error(`check refused: ${JSON.stringify(result.failures)}`);
  return result.inputs as Record<string, unknown>;
}

/**
 * Valid programs, as a user writes them (JSON round-tripped, as the engine delivers them): every
 * auth kind, optional fields present or not, ingest tool calls with any JSON arguments.
 */
export const arbProgram: fc.Arbitrary<Record<string, unknown>> = fc
  .record(
    {
      sandboxId: fc.stringMatching(/^[a-z0-9_]{1,12}$/),
      name: fc.string({ minLength: 1, maxLength: 40 }),
      baseUrl: fc.constantFrom("https://mcp.example.com/mcp", "http://127.0.0.1:8080/mcp", "https://x.io"),
      auth: fc.constantFrom("bearer", "header_token", "none"),
      token: fc.string({ minLength: 4, maxLength: 20 }),
      appNamespace: fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), { nil: undefined }),
      allowedTools: fc.option(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { maxLength: 4 }), {
        nil: undefined,
      }),
      ingestToolCalls: fc.option(
        fc.array(
          fc.record({
            name: fc.string({ minLength: 1, maxLength: 8 }),
            arguments: fc.option(fc.dictionary(fc.string(), fc.jsonValue()), { nil: undefined }),
          }),
          { maxLength: 3 },
        ),
        { nil: undefined },
      ),
      rateCapPerMinute: fc.option(fc.integer({ min: 1, max: 600 }), { nil: undefined }),
      healthPolicy: fc.option(fc.constantFrom("require", "warn", "ignore"), { nil: undefined }),
      deletionPolicy: fc.option(fc.constantFrom("revoke", "delete"), { nil: undefined }),
    },
    { requiredKeys: ["sandboxId", "name", "baseUrl", "auth", "token"] },
  )
  .map(({ auth, token, ...rest }) => {
    const program: Record<string, unknown> = { ...rest, authKind: auth };
    if (auth !== "none") program.token = token;
    if (auth === "header_token") program.authHeader = "X-Api-Key";
    return JSON.parse(JSON.stringify(program)) as Record<string, unknown>;
  });
