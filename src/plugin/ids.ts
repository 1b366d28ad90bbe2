/**
 * The plugin's resource id, `<sandboxId>/<dataSourceId>`: one string that names a source with
 * nothing else, so `pulumi import copass:index:UserMcpSource <name> <id>` works. The dynamic face
 * keeps the bare `dataSourceId` (its state does not change); the core works with that one.
 */

/** The Pulumi type token of the plugin's resource. */
export const RESOURCE_TOKEN = "copass:index:UserMcpSource";

export function pluginId(sandboxId: unknown, dataSourceId: string): string {
  return typeof sandboxId === "string" ? `${sandboxId}/${dataSourceId}` : dataSourceId;
}

/** The parts of a plugin id (a sandbox id never holds `/`: the field table's rule). */
export function parsePluginId(id: string): { sandboxId?: string; dataSourceId: string } {
  const slash = id.indexOf("/");
  if (slash <= 0 || slash === id.length - 1) return { dataSourceId: id };
  return { sandboxId: id.slice(0, slash), dataSourceId: id.slice(slash + 1) };
}
