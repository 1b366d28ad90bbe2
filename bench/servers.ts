/**
 * The bench's API side, in a process of its own so that the HTTP floor's client (in the bench
 * process) and Pulumi's hosts do not share an event loop with the server they call: the local
 * Copass emulator (admin endpoints on, for the request log and the latency fault) and a real MCP
 * server for its health checks. Prints one JSON line `{url, mcpUrl}` when ready and exits when
 * its stdin closes, so it never outlives the bench.
 */
import { startEmulator, startMcpServer } from "copass-emulator";

async function main(): Promise<void> {
  const [apiKey, adminKey, mcpToken] = [
    process.env.BENCH_API_KEY,
    process.env.BENCH_ADMIN_KEY,
    process.env.BENCH_MCP_TOKEN,
  ];
  if (!apiKey || !adminKey || !mcpToken) throw new Error("BENCH_API_KEY, BENCH_ADMIN_KEY, BENCH_MCP_TOKEN");
  const mcp = await startMcpServer({ auth: { kind: "bearer", token: mcpToken } });
  // A generous probe timeout: on a loaded machine a health probe slower than the default 5 s would
  // report the source unhealthy and stop the run, though nothing is wrong with it.
  const emulator = await startEmulator({ apiKeys: [apiKey], adminKey, probeTimeoutMs: 60_000 });
  process.stdout.write(`${JSON.stringify({ url: emulator.url, mcpUrl: mcp.url })}\n`);
  const stop = () => {
    void Promise.all([emulator.close(), mcp.close()]).finally(() => process.exit(0));
  };
  process.stdin.on("end", stop);
  process.stdin.on("error", stop);
  process.stdin.resume();
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench servers: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
