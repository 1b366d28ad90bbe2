/**
 * What the e2e files share: the secrets they scan for, reading the emulator as another client
 * would, and setting up a stack of examples/basic the way its comments tell a user to.
 */
import type { Emulator } from "../../packages/emulator/src";
import type { Cli } from "./cli";

export const API_KEY = "olk_E2E_apikey_4c1d9a77f0";
export const TOKEN = "tok_E2E_first_8e21f0aa";
export const ROTATED = "tok_E2E_rotated_33b7c5de";
export const SECRETS = [API_KEY, TOKEN, ROTATED];

export interface Source {
  data_source_id: string;
  status: string;
  name: string;
  health_error?: string | null;
  adapter_config: { app_namespace: string };
}

/** The sandbox's sources (every status), straight from the emulator's API. */
export async function listSources(emulator: Emulator, sandboxId: string): Promise<Source[]> {
  const res = await fetch(`${emulator.url}/api/v1/storage/sandboxes/${sandboxId}/sources`, {
    headers: { authorization: `Bearer ${API_KEY}` },
  });
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`listing ${sandboxId}: HTTP ${res.status}`);
  return ((await res.json()) as { sources: Source[] }).sources;
}

/** Runs a pulumi command that must succeed; the error carries its output. */
export async function ok(cli: Cli, args: string[]): Promise<string> {
  const r = await cli.pulumi(args);
  if (r.code !== 0)
    throw new Error(`pulumi ${args.join(" ")} exited with ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** `pulumi stack init` and the config examples/basic asks for (secrets with --secret). */
export async function initStack(
  cli: Cli,
  stack: string,
  cfg: { apiUrl: string; sandboxId: string; mcpUrl: string; token: string },
): Promise<void> {
  await ok(cli, ["stack", "init", stack]);
  await ok(cli, ["config", "set", "copass:apiUrl", cfg.apiUrl]);
  await ok(cli, ["config", "set", "--secret", "copass:apiKey", API_KEY]);
  await ok(cli, ["config", "set", "sandboxId", cfg.sandboxId]);
  await ok(cli, ["config", "set", "mcpUrl", cfg.mcpUrl]);
  await ok(cli, ["config", "set", "--secret", "crmMcpToken", cfg.token]);
}

/** The resource's entry in `pulumi stack export` (undefined once destroyed). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the engine's JSON checkpoint
export function findSource(exported: any): any {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
  return (exported.deployment.resources ?? []).find((r: any) => String(r.type).endsWith("UserMcpSource"));
}

/** The secret envelope the engine writes for a secret value in a checkpoint. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** A flat Pulumi project (no `main`) for a program of the test's own. */
export const FLAT_PULUMI_YAML =
  "name: copass-basic\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n";
