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
