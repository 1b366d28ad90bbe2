/**
 * A `user_mcp` row as Copass lists it, with every `adapter_config` key the emulator shows and the
 * server's defaults filled in: the fixture of the tests that compare rows with a request.
 */
import type { DataSource } from "../../src/client/types";

/** A healthy bearer row `id` (namespace: the id), `config` over its adapter_config, `over` over the row. */
export function userMcpRow(
  id: string,
  config: Record<string, unknown> = {},
  over: Partial<DataSource> = {},
): DataSource {
  return {
    data_source_id: id,
    provider: "user_mcp",
    name: "crm",
    status: "active",
    adapter_config: {
      base_url: "https://mcp.example.com/mcp",
      auth_kind: "bearer",
      auth_header: null,
      app_namespace: id,
      allowed_tools: null,
      ingest_tool_calls: [],
      rate_cap_per_minute: 60,
      webhook_rate_cap_per_minute: 600,
      ...config,
    },
    ...over,
  };
}
