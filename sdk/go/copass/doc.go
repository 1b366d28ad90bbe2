// Manage Copass user_mcp sources (your own MCP servers registered with a Copass sandbox).
package copass
