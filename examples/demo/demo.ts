/**
 * `npm run demo`: one UserMcpSource through preview, up, refresh and destroy, with no Copass
 * account and no Pulumi CLI. It packs this package, installs it into a throwaway Pulumi project,
 * and drives Pulumi's own dynamic-provider host over gRPC as the engine does (test/support), against
 * the bundled Copass emulator and a real MCP server on loopback. Each step prints the plan, the
 * outputs (the token as [secret], as Pulumi shows it) and the Copass API calls it made.
 *
 * `runDemo` is also run by test/host/demo.test.ts, so the walkthrough in the README cannot rot.
 */
import { startEmulator, startMcpServer, type Emulator, type SampleMcpServer } from "copass-emulator";
import { destroy, plan, refresh, up, type State } from "../../test/support/engine";
import {
  packAndInstall,
  removeTemp,
  secret,
  startHost,
  type Host,
  type Props,
} from "../../test/support/pulumi-host";

export interface DemoOptions {
  /** A consumer project with pulumi-copass installed; default: pack and install into a new one. */
  consumerDir?: string;
  /** Where each line goes; default stdout. */
  print?: (line: string) => void;
}

export interface DemoResult {
  /** Every line printed, for the leak scan. */
  lines: string[];
  /** The provider host's own stdout and stderr. */
  hostOutput: string;
  /** The secrets the demo used; none may appear in `lines` or `hostOutput`. */
  secrets: string[];
  /** Copass API calls of each step, in order. */
  calls: { step: string; operations: string[] }[];
}

/**
 * The resource's type as `pulumi preview` prints it for a TypeScript program: the dynamic
 * provider's token (the `copass` plugin's, for other languages, is `copass:index:UserMcpSource`).
 */
const TYPE = "pulumi-nodejs:dynamic/copass:UserMcpSource";

const API_KEY = "olk_demo_4c7d1f0e9b2a";
const TOKEN = "mcp-demo-token-8f3a21";
const ROTATED_TOKEN = "mcp-demo-token-rotated-d07c55";

/** The demo stack's program: the inputs a `new UserMcpSource("crm", {...})` would register. */
function program(mcpUrl: string, token: string): Props {
  return {
    sandboxId: "sb_demo",
    name: "CRM tools",
    baseUrl: mcpUrl,
    authKind: "bearer",
    token,
    appNamespace: "crm",
    allowedTools: ["search_accounts", "get_account"],
    healthTimeoutSeconds: 10,
  };
}

/** Outputs as `pulumi stack output` shows them: secrets masked, one line. */
function shown(outputs: Props): string {
  const masked: Props = { ...outputs, ...("token" in outputs ? { token: "[secret]" } : {}) };
  const keys = ["dataSourceId", "status", "healthError", "appNamespace", "baseUrl", "token"];
  return keys
    .filter((k) => k in masked)
    .map((k) => `${k}=${JSON.stringify(masked[k])}`)
    .join(" ");
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const lines: string[] = [];
  const print = (line = "") => {
    lines.push(line);
    (options.print ?? ((l: string) => process.stdout.write(l + "\n")))(line);
  };
  const calls: DemoResult["calls"] = [];
  let emulator: Emulator | undefined;
  let mcp: SampleMcpServer | undefined;
  let host: Host | undefined;
  let ownConsumer: string | undefined;

  /** Runs one step, prints its API calls, and remembers them. */
  async function step<T>(title: string, fn: () => Promise<T>): Promise<T> {
    print(`\n$ ${title}`);
    const before = emulator!.requestLog().length;
    const result = await fn();
    const ops = emulator!
      .requestLog()
      .slice(before)
      .map((e) => e.operation);
    calls.push({ step: title, operations: ops });
    print(`  Copass API calls: ${ops.length}${ops.length ? ` (${ops.join(", ")})` : ""}`);
    return result;
  }

  try {
    let consumerDir = options.consumerDir;
    if (!consumerDir) {
      print("Packing pulumi-copass and installing it into a throwaway Pulumi project…");
      const started = Date.now();
      consumerDir = ownConsumer = await packAndInstall();
      print(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }

    emulator = await startEmulator({ apiKeys: [API_KEY] });
    mcp = await startMcpServer({ auth: { kind: "bearer", token: TOKEN } });
    host = await startHost(consumerDir);
    await host.configure({ "copass:apiUrl": emulator.url, "copass:apiKey": secret(API_KEY) });
    print(`Copass emulator: ${emulator.url}   MCP server: ${mcp.url}   provider host: gRPC :${host.port}`);
    print(`One ${TYPE} ("crm"); the copass plugin's type for other languages is copass:index:UserMcpSource.`);
    const h = host;

    let state: State | undefined = await step("pulumi preview", async () => {
      const planned = await plan(h, undefined, program(mcp!.url, TOKEN));
      print(`  + ${TYPE} crm  ${planned.step.op}`);
      return undefined;
    });

    state = await step("pulumi up", async () => {
      const r = await up(h, undefined, program(mcp!.url, TOKEN));
      print(`  + crm created: ${shown(r.state.outputs)}`);
      return r.state;
    });

    await step("pulumi preview   # nothing changed", async () => {
      const planned = await plan(h, state, program(mcp!.url, TOKEN));
      print(`  crm: ${planned.step.op === "same" ? "no changes" : planned.step.op}`);
    });

    print("\n# The MCP server goes down.");
    await mcp.stop();
    state = await step("pulumi refresh", async () => {
      const refreshed = (await refresh(h, state!))!;
      print(`  ~ crm: ${shown(refreshed.outputs)}`);
      return refreshed;
    });

    await step("pulumi preview   # health drift is a planned update", async () => {
      const planned = await plan(h, state, program(mcp!.url, TOKEN));
      print(`  ~ crm  ${planned.step.op} (re-tests health)`);
    });

    print("\n# The MCP server is back.");
    await mcp.start();
    state = await step("pulumi up", async () => {
      const r = await up(h, state, program(mcp!.url, TOKEN));
      print(`  ~ crm ${r.step.op}d: ${shown(r.state.outputs)}`);
      return r.state;
    });

    print("\n# The MCP server's token is rotated; the stack config gets the new secret.");
    await mcp.close();
    mcp = await startMcpServer({ auth: { kind: "bearer", token: ROTATED_TOKEN }, port: mcp.port });
    state = await step("pulumi up", async () => {
      const r = await up(h, state, program(mcp!.url, ROTATED_TOKEN));
      print(`  ~ crm ${r.step.op}d in place (no replacement): ${shown(r.state.outputs)}`);
      return r.state;
    });

    await step("pulumi destroy", async () => {
      await destroy(h, state!);
      print(`  - crm revoked`);
    });

    const total = calls.reduce((n, c) => n + c.operations.length, 0);
    print(`\n${total} Copass API calls in all. The MCP token and the API key appear nowhere above,`);
    print("nor in the provider host's output: state keeps the token only as a secret.");
    return { lines, hostOutput: hostText(host), secrets: [API_KEY, TOKEN, ROTATED_TOKEN], calls };
  } finally {
    await host?.kill();
    await mcp?.close();
    await emulator?.close();
    if (ownConsumer) await removeTemp(ownConsumer);
  }
}

function hostText(host: Host): string {
  const { stdout, stderr } = host.output();
  return stdout + stderr;
}

if (require.main === module) {
  runDemo().then(
    (result) => {
      const leaked = result.secrets.filter(
        (s) => result.lines.join("\n").includes(s) || result.hostOutput.includes(s),
      );
      if (leaked.length > 0) {
        console.error("A secret appeared in the demo's output: that is a bug, please report it.");
        process.exit(1);
      }
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
