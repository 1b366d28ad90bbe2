/**
 * Runs the real `pulumi` CLI the way a user or a CI job does, isolated from the machine: a local
 * file backend and a PULUMI_HOME in a temporary folder, a passphrase secrets provider, no update
 * check, and plugins only from PATH (the engine must never download one). Every output is kept
 * for the leak scans.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readlink, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { cleanEnv, type RunResult } from "../support/pulumi-host";

export interface Cli {
  /** Runs `pulumi <args>` in the project folder; never throws on a non-zero exit. */
  pulumi(args: string[], opts?: { timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<RunResult>;
  /** Starts `pulumi <args>` and returns its process group id (to kill it mid-operation) and result. */
  start(args: string[]): { pgid: number; done: Promise<RunResult> };
  /** Every stdout and stderr the CLI wrote so far, for leak scans. */
  readonly outputs: string[];
  /** The state folder (file backend), for scanning what the engine wrote to disk. */
  readonly stateDir: string;
  /** The environment every command gets (PATH with the CLI first, PULUMI_HOME, backend, passphrase). */
  readonly env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startCli(bin: string, projectDir: string): Promise<Cli> {
  const home = await mkdtemp(path.join(os.tmpdir(), "copass-e2e-home-"));
  const stateDir = path.join(home, "state");
  await mkdir(stateDir);
  const env = cleanEnv({
    PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
    PULUMI_HOME: path.join(home, "pulumi-home"),
    PULUMI_BACKEND_URL: `file://${stateDir}`,
    PULUMI_CONFIG_PASSPHRASE: "copass-e2e-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    // Plugins come from PATH (scripts/pulumi-cli.sh put them there); never from the network.
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    NO_COLOR: "1",
  });
  const outputs: string[] = [];

  function start(
    args: string[],
    timeoutMs = 300_000,
    extraEnv: NodeJS.ProcessEnv = {},
  ): { pgid: number; done: Promise<RunResult> } {
    // Its own process group, so a kill reaches the language host, the program and the provider.
    const child = spawn(path.join(bin, "pulumi"), [...args, "--non-interactive", "--color", "never"], {
      cwd: projectDir,
      env: { ...env, ...extraEnv },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<RunResult>((resolve, reject) => {
      const timer = setTimeout(() => killGroup(child.pid), timeoutMs);
      child.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on("close", (code) => {
        clearTimeout(timer);
        outputs.push(stdout, stderr);
        resolve({ code, stdout, stderr });
      });
    });
    return { pgid: child.pid ?? 0, done };
  }

  return {
    pulumi: (args, opts) => start(args, opts?.timeoutMs, opts?.env).done,
    start: (args) => start(args),
    outputs,
    stateDir,
    env,
    close: () => rm(home, { recursive: true, force: true }),
  };
}

/** SIGKILLs a process group started by `Cli.start` (no chance to save anything, like a lost runner). */
export function killGroup(pgid: number | undefined): void {
  if (!pgid) return;
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/**
 * SIGKILLs what a killed CLI leaves running in `dir`: the engine starts its plugins (the language
 * host, the dynamic-provider host) in their own process groups, so they survive the CLI's group
 * and would wait forever for an engine that is gone. Linux only (/proc); elsewhere a no-op.
 * Returns how many it killed.
 */
export async function killStrays(dir: string): Promise<number> {
  const pids = await readdir("/proc").catch(() => [] as string[]);
  let killed = 0;
  for (const pid of pids.filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => "");
    if (cwd !== dir && !cwd.startsWith(dir + path.sep)) continue;
    try {
      process.kill(Number(pid), "SIGKILL");
      killed++;
    } catch {
      // Gone meanwhile.
    }
  }
  return killed;
}
