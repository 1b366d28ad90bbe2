/** Public entry of `copass-emulator`: the local Copass-compatible API and a sample MCP server. */
export type {
  Emulator,
  EmulatorFaults,
  EmulatorOptions,
  FaultAction,
  FaultRule,
  RequestLogEntry,
} from "./api";
export { startEmulator } from "./server";
export { sourceRevokedAnswer } from "./faults";
export { startMcpServer, DEFAULT_TOOLS } from "./mcp-server";
export type { McpServerAuth, McpServerOptions, SampleMcpServer } from "./mcp-server";
