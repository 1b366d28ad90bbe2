/**
 * The plugin face through the real CLI (issue 24 §3): what a YAML, Python or Go user pays for a
 * stack of N sources, command by command, beside the least any plugin could cost.
 *
 * Three subjects, the same N sources (a sandbox per subject and round, the bench's MCP server, a
 * bearer token from a secret config value), against the bench's emulator with its latency:
 *   - ours: a YAML program run by the real CLI and its YAML language host, with our plugin as the
 *     packed npm package installs it (`pulumi-resource-copass` in the consumer's node_modules/.bin);
 *   - floor: the same YAML program with a hand-written plugin (floor-plugin.cjs: provider.main, our
 *     schema, the same API calls, nothing else) that records the state the schema declares (its
 *     defaults among the inputs, every output property), as any provider of this resource must;
 *   - dynamic: a TypeScript program of the same sources with the dynamic face (`UserMcpSource`),
 *     through the Node language host. No target: shown beside the others for a user choosing a face.
 *     It takes part in the first `dynamicRounds` rounds only (default 1): its lifecycle costs more
 *     than ours and the floor's together (40 s of a 74 s round at N = 100), and its figure, 1.2–3.8 ×
 *     ours in the runs so far, needs no median to tell a user which face is faster.
 * Each round runs up, a no-op preview, refresh and destroy; for each command the subjects take
 * turns, in an order rotating each round, and each command is timed as a whole process. The API
 * calls each subject makes per command are counted from the emulator's request log; ours and the
 * floor must make the same ones (else the floor measures something else and the bench fails).
 *
 * The CLI runs isolated: a file backend and PULUMI_HOME per subject in a temporary folder, a
 * passphrase secrets provider, no update check, no plugin download, the bench's own Node first on
 * PATH (the plugins' `#!/usr/bin/env node` and the Node language host run on it).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { removeTemp, repoRoot, type RunResult } from "../test/support/pulumi-host";
import { startCli } from "../test/e2e/cli";
import { API_KEY, MCP_TOKEN, type Servers } from "./api-side";
import { median, round2 } from "./cold-start";
import { PLUGIN_FACE_TARGET } from "./targets";

export const FACE_COMMANDS = ["up", "preview", "refresh", "destroy"] as const;
export type FaceCommand = (typeof FACE_COMMANDS)[number];
export const FACE_SUBJECTS = ["ours", "floor", "dynamic"] as const;
export type FaceSubject = (typeof FACE_SUBJECTS)[number];

/** API calls per operation (list, register, get, test, patch, revoke, …) of one command. */
export type ApiCalls = Record<string, number>;

export interface PluginFaceCommand {
  command: FaceCommand;
  oursMs: number;
  floorMs: number;
  dynamicMs: number;
  /** oursMs / floorMs (target ≤ 1.10). */
  ratio: number;
  /**
   * CPU time (user + system) of the whole command, the CLI and every process it started (language
   * host, plugins), medians: unlike the wall clock, hardly moved by other load on the machine.
   */
  cpuMs: Record<FaceSubject, number>;
  /** cpuMs.ours / cpuMs.floor. */
  cpuRatio: number;
  /** Each subject's API calls in this command (the same every round, or the bench fails). */
  apiCalls: Record<FaceSubject, ApiCalls>;
}

export interface PluginFace {
  n: number;
  latencyMs: number;
  rounds: number;
  /** The rounds the dynamic face took part in (the first ones). */
  dynamicRounds: number;
  commands: PluginFaceCommand[];
  /** Wall clock of the whole face measurement, set-up included. */
  durationS: number;
  /** Where each command's CPU goes, ours beside the floor (with `breakdown: true`). */
  breakdown?: FaceBreakdown[];
}

/**
 * One command's CPU split between the plugin processes (every `pulumi-resource-copass` the CLI
 * started: one serves the YAML host's schema, one the deployment, and up runs both twice, for its
 * preview and its update) and the rest: the engine, the YAML host, the CLI's start.
 */
type BreakdownSubject = "ours" | "floor" | "thinFloor";
type Clis = Record<FaceSubject | "thinFloor", SubjectCli>;

export interface FaceBreakdown {
  command: FaceCommand;
  /**
   * thinFloor: the floor recording only the fields it sent and got back (no schema defaults, no
   * output properties), so that floor − thinFloor is what the engine pays for the state the schema
   * declares, and ours − floor what our plugin's code costs.
   */
  subject: BreakdownSubject;
  wallMs: number;
  cpuMs: number;
  pluginCpuMs: number;
  /** cpuMs − pluginCpuMs: the engine, the language host, the CLI. */
  engineCpuMs: number;
  plugins: number;
}

const COMMAND_ARGS: Record<FaceCommand, string[]> = {
  up: ["up", "--yes"],
  preview: ["preview", "--expect-no-changes"],
  refresh: ["refresh", "--yes"],
  destroy: ["destroy", "--yes"],
};
const STACK = "face";

// --- the projects -----------------------------------------------------------------------------------

/** The YAML program of `n` sources; the plugin comes from `pluginDir` and nowhere else. */
function yamlProgram(n: number, pluginDir: string): string {
  const lines = [
    "name: copass-face",
    "runtime: yaml",
    "plugins:",
    "  providers:",
    "    - name: copass",
    `      path: ${JSON.stringify(pluginDir)}`,
    "config:",
    "  sandboxId:",
    "    type: string",
    "  mcpUrl:",
    "    type: string",
    "  token:",
    "    type: string",
    "    secret: true",
    "resources:",
  ];
  for (let i = 0; i < n; i++) {
    lines.push(
      `  s${i}:`,
      "    type: copass:index:UserMcpSource",
      "    properties:",
      "      sandboxId: ${sandboxId}",
      `      name: face ${i}`,
      "      baseUrl: ${mcpUrl}",
      "      authKind: bearer",
      "      token: ${token}",
      `      appNamespace: ns${i}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The same sources from TypeScript with the dynamic face. */
function tsProgram(n: number): string {
  return `import * as pulumi from "@pulumi/pulumi";
import { UserMcpSource } from "pulumi-copass";

const cfg = new pulumi.Config();
const sandboxId = cfg.require("sandboxId");
const baseUrl = cfg.require("mcpUrl");
const token = cfg.requireSecret("token");
for (let i = 0; i < ${n}; i++) {
  new UserMcpSource(\`s\${i}\`, {
    sandboxId,
    name: \`face \${i}\`,
    baseUrl,
    authKind: "bearer",
    token,
    appNamespace: \`ns\${i}\`,
  });
}
`;
}

const TS_PULUMI_YAML = `name: copass-face
runtime:
  name: nodejs
  options:
    typescript: true
config:
  sandboxId:
    type: string
  mcpUrl:
    type: string
  token:
    type: string
    secret: true
`;

const TSCONFIG = JSON.stringify(
  {
    compilerOptions: { strict: true, target: "es2020", module: "commonjs", moduleResolution: "node" },
    files: ["index.ts"],
  },
  null,
  2,
);

/**
 * The floor's plugin folder: an executable `pulumi-resource-copass`, a Node script like ours (the
 * npm bin's `#!/usr/bin/env node`), that serves floor-plugin.cjs for the consumer project.
 */
function floorLauncher(dir: string, consumerDir: string, options = { oursState: false }): string {
  const launcher = path.join(dir, "pulumi-resource-copass");
  const floor = path.join(repoRoot, "bench", "floor-plugin.cjs");
  const args = [consumerDir, options].map((a) => JSON.stringify(a)).join(", ");
  writeFileSync(launcher, `#!/usr/bin/env node\nrequire(${JSON.stringify(floor)})(${args});\n`);
  chmodSync(launcher, 0o755);
  return dir;
}

/** The CLI's bin folder (pulumi, its language hosts), as scripts/pulumi-cli.sh prints it. */
function pulumiCliBin(): string {
  const build = spawnSync("bash", [path.join(repoRoot, "scripts", "pulumi-cli.sh")], {
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  if (build.status !== 0) throw new Error(`scripts/pulumi-cli.sh exited with ${build.status}`);
  const bin = build.stdout.trim().split("\n").pop();
  if (!bin) throw new Error("scripts/pulumi-cli.sh printed no bin folder");
  return bin;
}

// --- one subject's CLI ------------------------------------------------------------------------------

interface SubjectCli {
  project: string;
  /** Runs `pulumi <args>`; throws on a non-zero exit with the output's tail, secrets masked. */
  pulumi(
    args: string[],
    extraEnv?: NodeJS.ProcessEnv,
  ): Promise<{ ms: number; cpuMs: number; result: RunResult }>;
  /** Removes its PULUMI_HOME and state. */
  close(): Promise<void>;
}

/** Masks the bench's secrets in text bound for a message or a log. */
function masked(text: string): string {
  return text.replaceAll(API_KEY, "[secret]").replaceAll(MCP_TOKEN, "[secret]");
}

/** One subject's CLI, as test/e2e runs it (startCli: its own file backend and PULUMI_HOME). */
async function subjectCli(subject: string, project: string, bin: string): Promise<SubjectCli> {
  const cli = await startCli(bin, project);
  // The bench's own Node first (it runs the plugins' `#!/usr/bin/env node` and the Node language
  // host), and no node_modules/.bin of `npm run`, where the repository's own plugin is.
  const inherited = (cli.env.PATH ?? "")
    .split(path.delimiter)
    .filter((p) => p !== bin && !p.endsWith(path.join("node_modules", ".bin")));
  cli.env.PATH = [path.dirname(process.execPath), bin, ...inherited].join(path.delimiter);
  return {
    project,
    close: () => cli.close(),
    async pulumi(args, extraEnv = {}) {
      const t0 = performance.now();
      const cpu0 = reapedChildrenCpuMs();
      const result = await cli.pulumi(args, { env: extraEnv });
      const ms = performance.now() - t0;
      const cpuMs = reapedChildrenCpuMs() - cpu0;
      if (result.code !== 0) {
        const tail = masked(`${result.stdout.slice(-1500)}\n${result.stderr.slice(-2500)}`);
        throw new Error(`${subject}: pulumi ${args.join(" ")} exited with ${result.code}\n${tail}`);
      }
      return { ms, cpuMs, result };
    },
  };
}

/**
 * CPU time of this process's reaped children, and of their reaped descendants (Linux
 * /proc/self/stat cutime + cstime, in clock ticks of 10 ms): measured around one `pulumi` command,
 * the CPU of the CLI, its language host and its plugins, which the CLI waits for. NaN elsewhere.
 */
function reapedChildrenCpuMs(): number {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    // Fields after the command name (which may hold spaces): state is field 3, cutime 16, cstime 17.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return NaN;
  }
}

// --- the measurement --------------------------------------------------------------------------------

export interface PluginFaceOptions {
  n: number;
  rounds: number;
  /** The dynamic face runs in the first `dynamicRounds` rounds only (default 1). */
  dynamicRounds?: number;
  latencyMs: number;
  servers: Servers;
  log: (line: string) => void;
  /** After the rounds, one more lifecycle of ours and the floor, to split the CPU (FaceBreakdown). */
  breakdown?: boolean;
}

export async function measurePluginFace(consumerDir: string, opts: PluginFaceOptions): Promise<PluginFace> {
  const started = performance.now();
  const { n, rounds, servers, log } = opts;
  const dynamicRounds = Math.min(opts.dynamicRounds ?? 1, rounds);
  const bin = pulumiCliBin();
  const work = mkdtempSync(path.join(os.tmpdir(), "copass-face-"));
  // The TypeScript program lives in the consumer project, where pulumi-copass is installed.
  const dynamicDir = mkdtempSync(path.join(consumerDir, "face-dynamic-"));
  const clis = {} as Clis;
  try {
    Object.assign(clis, await setUpProjects(consumerDir, work, dynamicDir, bin, n));
    for (const subject of FACE_SUBJECTS) await initStack(clis[subject], servers);
    // Untimed: the first start of each CLI, language host and plugin (the file cache, the TypeScript
    // compile) lands on no subject's round. A preview of the empty stack calls no API.
    for (const subject of FACE_SUBJECTS) {
      await clis[subject].pulumi(["config", "set", "sandboxId", `sb_face_${subject}_warm`]);
      await clis[subject].pulumi(["preview"]);
    }
    await servers.setLatency(opts.latencyMs);

    const ms = new Map<string, number[]>();
    const cpu = new Map<string, number[]>();
    const calls = new Map<string, ApiCalls>();
    for (let round = 0; round < rounds; round++) {
      const subjects = FACE_SUBJECTS.filter((s) => s !== "dynamic" || round < dynamicRounds);
      const order = subjects.map((_, k) => subjects[(round + k) % subjects.length]!);
      const sandbox = (s: FaceSubject) => `sb_face_${s}_r${round}`;
      for (const subject of order) {
        await clis[subject].pulumi(["config", "set", "sandboxId", sandbox(subject)]);
      }
      for (const command of FACE_COMMANDS) {
        const times: string[] = [];
        for (const subject of order) {
          await servers.clearLog();
          const { ms: t, cpuMs } = await clis[subject].pulumi(COMMAND_ARGS[command]);
          const counted = countCalls(await servers.requestLog(), sandbox(subject));
          const key = `${command}|${subject}`;
          const earlier = calls.get(key);
          if (earlier && JSON.stringify(earlier) !== JSON.stringify(counted)) {
            throw new Error(
              `${subject}: ${command} made ${JSON.stringify(counted)} API calls, ${JSON.stringify(earlier)} in an earlier round`,
            );
          }
          calls.set(key, counted);
          ms.set(key, [...(ms.get(key) ?? []), t]);
          cpu.set(key, [...(cpu.get(key) ?? []), cpuMs]);
          times.push(`${subject} ${Math.round(t)} ms (CPU ${Math.round(cpuMs)} ms)`);
        }
        log(`face round ${round + 1}/${rounds}, ${command}: ${times.join(", ")}`);
      }
    }

    const commands = FACE_COMMANDS.map((command): PluginFaceCommand => {
      const of = (s: FaceSubject) => median(ms.get(`${command}|${s}`)!);
      const cpuOf = (s: FaceSubject) => median(cpu.get(`${command}|${s}`)!);
      const apiCalls = Object.fromEntries(
        FACE_SUBJECTS.map((s) => [s, calls.get(`${command}|${s}`)!]),
      ) as Record<FaceSubject, ApiCalls>;
      return {
        command,
        oursMs: round2(of("ours")),
        floorMs: round2(of("floor")),
        dynamicMs: round2(of("dynamic")),
        ratio: round2(of("ours") / of("floor")),
        cpuMs: { ours: cpuOf("ours"), floor: cpuOf("floor"), dynamic: cpuOf("dynamic") },
        cpuRatio: round2(cpuOf("ours") / cpuOf("floor")),
        apiCalls,
      };
    });
    assertSameCalls(commands, n);
    const breakdown = opts.breakdown ? await measureBreakdown(clis, work, servers, log) : undefined;
    return {
      n,
      latencyMs: opts.latencyMs,
      rounds,
      dynamicRounds,
      commands,
      durationS: Math.round((performance.now() - started) / 1000),
      ...(breakdown ? { breakdown } : {}),
    };
  } finally {
    for (const cli of Object.values(clis)) await cli.close();
    await removeTemp(work);
    await removeTemp(dynamicDir);
  }
}

/**
 * Preloaded into the plugins (NODE_OPTIONS; in a YAML project they are the only Node processes):
 * writes the process's CPU time when the engine stops it (SIGINT) or it exits, then exits as it
 * would have.
 */
const PLUGIN_CPU_PRELOAD = `
const { writeFileSync } = require("node:fs");
let written = false;
const write = () => {
  if (written) return;
  written = true;
  const { user, system } = process.cpuUsage();
  writeFileSync(require("node:path").join(process.env.FACE_PLUGIN_CPU_DIR, process.pid + ".json"), JSON.stringify({ cpuMs: (user + system) / 1000 }));
};
process.on("exit", write);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => { write(); process.exit(130); });
`;

/** One more lifecycle of ours and the floor, each plugin reporting its CPU time (FaceBreakdown). */
async function measureBreakdown(
  clis: Clis,
  work: string,
  servers: Servers,
  log: (line: string) => void,
): Promise<FaceBreakdown[]> {
  const preload = path.join(work, "plugin-cpu.js");
  writeFileSync(preload, PLUGIN_CPU_PRELOAD);
  await initStack(clis.thinFloor, servers);
  const rows: FaceBreakdown[] = [];
  for (const subject of ["ours", "floor", "thinFloor"] as const) {
    await clis[subject].pulumi(["config", "set", "sandboxId", `sb_face_${subject}_breakdown`]);
    for (const command of FACE_COMMANDS) {
      const dir = mkdtempSync(path.join(work, `cpu-${subject}-${command}-`));
      const { ms, cpuMs } = await clis[subject].pulumi(COMMAND_ARGS[command], {
        NODE_OPTIONS: `--require ${preload}`,
        FACE_PLUGIN_CPU_DIR: dir,
      });
      const plugins = readdirSync(dir).map(
        (f) => (JSON.parse(readFileSync(path.join(dir, f), "utf8")) as { cpuMs: number }).cpuMs,
      );
      const pluginCpuMs = plugins.reduce((a, b) => a + b, 0);
      rows.push({
        command,
        subject,
        wallMs: round2(ms),
        cpuMs: round2(cpuMs),
        pluginCpuMs: round2(pluginCpuMs),
        engineCpuMs: round2(cpuMs - pluginCpuMs),
        plugins: plugins.length,
      });
    }
    log(`face breakdown: ${subject} done`);
  }
  return rows;
}

/** The stack, and its config: the provider's settings explicit, the API key and the MCP token secret. */
async function initStack(cli: SubjectCli, servers: Servers): Promise<void> {
  await cli.pulumi(["stack", "init", STACK]);
  await cli.pulumi([
    ...["config", "set-all", "--plaintext", `copass:apiUrl=${servers.url}`],
    ...["--secret", `copass:apiKey=${API_KEY}`, "--plaintext", `mcpUrl=${servers.mcpUrl}`],
    ...["--secret", `token=${MCP_TOKEN}`],
  ]);
}

/** The three projects and their CLIs: ours and the floor differ only in the plugin folder. */
async function setUpProjects(
  consumerDir: string,
  work: string,
  dynamicDir: string,
  bin: string,
  n: number,
): Promise<Clis> {
  const folder = (name: string) => {
    const dir = path.join(work, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const pluginDirs = {
    ours: path.join(consumerDir, "node_modules", ".bin"),
    // The floor records the state our schema declares (its defaults among the inputs, every output
    // property), as any provider of this resource must: the engine's cost of that state is the
    // contract's, not our code's. The thin floor, which does not, measures that cost (breakdown).
    floor: floorLauncher(folder("floor-plugin"), consumerDir, { oursState: true }),
    thinFloor: floorLauncher(folder("thin-floor-plugin"), consumerDir),
  };
  for (const s of ["ours", "floor", "thinFloor"] as const) {
    writeFileSync(path.join(folder(`${s}-project`), "Pulumi.yaml"), yamlProgram(n, pluginDirs[s]));
  }
  writeFileSync(path.join(dynamicDir, "Pulumi.yaml"), TS_PULUMI_YAML);
  writeFileSync(path.join(dynamicDir, "index.ts"), tsProgram(n));
  writeFileSync(path.join(dynamicDir, "tsconfig.json"), TSCONFIG);
  return {
    ours: await subjectCli("ours", path.join(work, "ours-project"), bin),
    floor: await subjectCli("floor", path.join(work, "floor-project"), bin),
    dynamic: await subjectCli("dynamic", dynamicDir, bin),
    // Only for the breakdown (its stack is made there).
    thinFloor: await subjectCli("thinFloor", path.join(work, "thinFloor-project"), bin),
  };
}

/** A command's API calls to one sandbox, per operation, sorted by name. */
function countCalls(log: { path: string; operation: string }[], sandboxId: string): ApiCalls {
  const counts: ApiCalls = {};
  for (const r of log) {
    if (r.path.includes(`/sandboxes/${sandboxId}/`)) counts[r.operation] = (counts[r.operation] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Ours and the floor make the same API calls in every command (else the ratio compares different
 * work), and each command did its work on all N sources: up registered N, destroy revoked N.
 */
function assertSameCalls(commands: PluginFaceCommand[], n: number): void {
  for (const c of commands) {
    const ours = JSON.stringify(c.apiCalls.ours);
    if (ours !== JSON.stringify(c.apiCalls.floor)) {
      throw new Error(
        `plugin face: ${c.command} made other API calls with ours (${ours}) than with the floor (${JSON.stringify(c.apiCalls.floor)})`,
      );
    }
  }
  const up = commands.find((c) => c.command === "up")!.apiCalls.ours;
  const destroy = commands.find((c) => c.command === "destroy")!.apiCalls.ours;
  if (up.register !== n || destroy.revoke !== n) {
    throw new Error(`plugin face: up registered ${up.register}, destroy revoked ${destroy.revoke}, of ${n}`);
  }
}

/** The one line `npm run bench` prints under its table. */
export function pluginFaceLine(f: PluginFace): string {
  const met = f.commands.every((c) => c.ratio <= PLUGIN_FACE_TARGET) ? "met" : "NOT met";
  const each = f.commands.map((c) => `${c.command} ${c.oursMs} / ${c.floorMs} ms (${c.ratio})`).join(", ");
  const dynamic = f.commands.map((c) => `${c.command} ${c.dynamicMs} ms`).join(", ");
  return `plugin face through the CLI, N = ${f.n} at ${f.latencyMs} ms, ours / floor: ${each} (target ≤ ${PLUGIN_FACE_TARGET}: ${met}); dynamic face (${f.dynamicRounds} of ${f.rounds} rounds): ${dynamic}`;
}

export function pluginFaceLines(f: PluginFace): string[] {
  const lines = [
    `plugin face through the CLI (N = ${f.n}, ${f.latencyMs} ms latency, medians of ${f.rounds} rounds, the dynamic face's of ${f.dynamicRounds}, ${f.durationS} s):`,
  ];
  for (const c of f.commands) {
    const met = c.ratio <= PLUGIN_FACE_TARGET ? "met" : "NOT met";
    const calls = Object.entries(c.apiCalls.ours)
      .map(([op, k]) => `${op} ${k}`)
      .join(", ");
    lines.push(
      `  ${c.command.padEnd(7)} ours ${c.oursMs} ms, floor ${c.floorMs} ms, ours/floor ${c.ratio} (target ≤ ${PLUGIN_FACE_TARGET}: ${met}); dynamic ${c.dynamicMs} ms; ` +
        `CPU ours ${c.cpuMs.ours} ms, floor ${c.cpuMs.floor} ms (${c.cpuRatio}), dynamic ${c.cpuMs.dynamic} ms; API calls ${calls || "none"}`,
    );
  }
  for (const b of f.breakdown ?? []) {
    lines.push(
      `  breakdown ${b.subject.padEnd(14)} ${b.command.padEnd(7)} wall ${Math.round(b.wallMs)} ms, CPU ${Math.round(b.cpuMs)} ms: ` +
        `${b.plugins} plugin processes ${Math.round(b.pluginCpuMs)} ms, engine + YAML host ${Math.round(b.engineCpuMs)} ms`,
    );
  }
  return lines;
}
