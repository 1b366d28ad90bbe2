/** Shared fixtures of the emulator tests: a started emulator and a small fetch wrapper. */
import { startEmulator, type Emulator, type EmulatorOptions } from "../../packages/emulator/src";

export const API_KEY = "olk_test_tenant_a";
export const OTHER_KEY = "olk_test_tenant_b";
export const ADMIN_KEY = "admin-key-for-tests";
/** Distinctive so that a leak scan cannot match anything else. */
export const TOKEN = "tok-SECRET-7f3a9c1e-do-not-leak";
export const ROTATED_TOKEN = "tok-ROTATED-0b8d2e44-do-not-leak";

/** Port 2: unprivileged, never served, and not one of fetch's blocked "bad ports" (9 is). */
export const UNREACHABLE_URL = "http://127.0.0.1:2/mcp";

export const SANDBOX = "sb_test";
export const base = (sandbox = SANDBOX) => `/api/v1/storage/sandboxes/${sandbox}/sources`;

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export async function call(
  emulator: Emulator,
  method: string,
  path: string,
  options: {
    body?: unknown;
    rawBody?: string;
    key?: string | null;
    headers?: Record<string, string>;
    signal?: AbortSignal;
  } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  const key = options.key === undefined ? API_KEY : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const init: RequestInit = { method, headers };
  if (options.signal) init.signal = options.signal;
  if (options.rawBody !== undefined) init.body = options.rawBody;
  else if (options.body !== undefined) init.body = JSON.stringify(options.body);
  const res = await fetch(`${emulator.url}${path}`, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

export function startTestEmulator(extra: Partial<EmulatorOptions> = {}): Promise<Emulator> {
  return startEmulator({
    apiKeys: [API_KEY, OTHER_KEY],
    adminKey: ADMIN_KEY,
    probeTimeoutMs: 2_000,
    ...extra,
  });
}

/** A register body for a source that need not be reachable (status will be `error`). */
export function registerBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "CRM tools",
    base_url: UNREACHABLE_URL,
    auth_kind: "bearer",
    token: TOKEN,
    ...overrides,
  };
}

export async function countSources(emulator: Emulator, sandbox = SANDBOX): Promise<number> {
  const res = await call(emulator, "GET", base(sandbox));
  return res.body.count as number;
}
