/**
 * `copass-emulator mcp`: the sample MCP server (mcp-server.ts) as a process, so a user can register
 * a source that passes Copass's health check without writing code. Like the API command it prints
 * exactly one line on stdout once ready (`copass-emulator mcp listening on http://…/mcp`), never
 * the token, and the bin stops it on SIGINT/SIGTERM.
 */
import { parseArgs } from "node:util";
import {
  CliUsageError,
  hostFlag,
  integer,
  parseFlags,
  runCommand,
  type CliIo,
  type CliOutcome,
} from "./cli-args";
import { startMcpServer, type McpServerAuth, type McpServerOptions } from "./mcp-server";
import { isHeaderName } from "./validate";

export const MCP_USAGE = `Usage: copass-emulator mcp [options]

Runs a sample MCP server (Streamable HTTP, tools search_accounts and get_account) on
http://HOST:PORT/mcp, checking one credential the way a tenant's server would. Register that URL
as a source's baseUrl, with the same credential as its token.

Options (exactly one of --bearer-token, --header with --header-token, or --no-auth):
  --bearer-token <t>     Require Authorization: Bearer <t> (authKind bearer)
  --header <name>        Require the token in this header (authKind header_token, authHeader <name>)
  --header-token <t>     The token --header must carry
  --no-auth              Require nothing (authKind none)
  --port <n>             Port to listen on; 0 picks a free one (default 0)
  --host <host>          Host to bind (default 127.0.0.1)
  --help                 Show this help
`;

const HELP = "Run copass-emulator mcp --help for the options.";

/** Parses `mcp`'s argv (after the word); throws CliUsageError naming the flag. */
export function parseMcpArgs(argv: string[]): McpServerOptions | "help" {
  const values = parseFlags(
    () =>
      parseArgs({
        args: argv,
        strict: true,
        allowPositionals: false,
        options: {
          "bearer-token": { type: "string" },
          header: { type: "string" },
          "header-token": { type: "string" },
          "no-auth": { type: "boolean" },
          port: { type: "string" },
          host: { type: "string" },
          help: { type: "boolean" },
        },
      }).values,
    {
      help: HELP,
      positional: `copass-emulator mcp takes no positional arguments; give the token with --bearer-token or --header-token. ${HELP}`,
    },
  );
  if (values.help) return "help";
  const options: McpServerOptions = { auth: authOf(values) };
  const port = integer("port", values.port, 0, 65535);
  if (port !== undefined) options.port = port;
  const host = hostFlag(values.host);
  if (host !== undefined) options.host = host;
  return options;
}

/** The one auth mode the flags ask for; every refusal names the flags and never a value. */
function authOf(values: {
  "bearer-token"?: string;
  header?: string;
  "header-token"?: string;
  "no-auth"?: boolean;
}): McpServerAuth {
  const bearer = values["bearer-token"];
  const header = values.header;
  const headerToken = values["header-token"];
  const chosen = [bearer !== undefined, header !== undefined || headerToken !== undefined, values["no-auth"]];
  if (chosen.filter(Boolean).length !== 1) {
    throw new CliUsageError(
      "give exactly one of --bearer-token <t>, --header <name> --header-token <t>, or --no-auth, " +
        "e.g. copass-emulator mcp --port 8788 --bearer-token t",
    );
  }
  if (values["no-auth"]) return { kind: "none" };
  if (bearer !== undefined) {
    if (bearer === "") throw new CliUsageError("--bearer-token must not be empty");
    return { kind: "bearer", token: bearer };
  }
  if (header === undefined)
    throw new CliUsageError("--header-token needs --header <name>, e.g. --header X-Api-Key");
  if (!isHeaderName(header)) {
    throw new CliUsageError(
      "--header must be an HTTP header name (letters, digits and - _ . etc.), e.g. X-Api-Key",
    );
  }
  if (headerToken === undefined || headerToken === "") {
    throw new CliUsageError("--header needs --header-token <t>, the token that header must carry");
  }
  return { kind: "header_token", header, token: headerToken };
}

/** What the ready line says the server checks (never the token). */
function authWords(auth: McpServerAuth): string {
  if (auth.kind === "bearer") return "requires Authorization: Bearer <token>";
  if (auth.kind === "header_token") return `requires the token in ${auth.header}`;
  return "no authentication";
}

/** Runs `copass-emulator mcp`; same outcomes as the API command (cli.ts). */
export function mainMcp(argv: string[], io: CliIo): Promise<CliOutcome> {
  return runCommand(
    {
      name: "copass-emulator mcp",
      usage: MCP_USAGE,
      parse: () => parseMcpArgs(argv),
      start: async (options) => {
        const server = await startMcpServer(options);
        return {
          ready: `copass-emulator mcp listening on ${server.url} (${authWords(options.auth)})`,
          stop: () => server.close(),
        };
      },
    },
    io,
  );
}
