/**
 * Builds, or reuses, what the Python, Go and YAML programs of issue 16 need, all cached outside the
 * repository under the CLI's cache root, each keyed by what it is made from (so a second run takes
 * seconds and an edit rebuilds only what it touches):
 *
 * - `cliBin()`: scripts/pulumi-cli.sh → the folder holding pulumi, its Node.js and YAML
 *   language hosts (pulumi-language-yaml) and sdkgen (tools/sdkgen).
 * - `pythonVenv()`: a venv with PyPI's `pulumi` (pythonPulumiVersion) and the Python SDK (the
 *   committed sdk/python, or a wheel); key: that version and the SDK's bytes.
 * - `goConsumer()`: test/languages/go built against the committed Go SDK (sdk/, through a `replace`
 *   in its go.mod); key: its sources and the SDK's files.
 *
 * Each entry is built in a temporary sibling and renamed into place, so a killed run never leaves a
 * half-built entry that a later run would trust. Each step reports its time to stderr.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot, run, type RunResult } from "../support/pulumi-host";

/**
 * PyPI's `pulumi` in the venv: the newest release pip offers for Python 3.11 (issue 16 tried
 * 3.272.0). The generated SDK needs ≥ 3.269.0 (`pulumi.runtime.exists_resource`).
 */
export const pythonPulumiVersion = "3.272.0";

/** The same cache root as scripts/pulumi-cli.sh. */
export const cacheRoot =
  process.env.PULUMI_COPASS_CACHE ||
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "pulumi-copass");

const languagesCache = path.join(cacheRoot, "languages");

/** Why nothing here can run ("" when it can): the CLI, the hosts, sdkgen and the Go program need Go. */
export function goSkipReason(): string {
  return spawnSync("go", ["version"], { stdio: "ignore" }).status === 0 ? "" : "no go on PATH";
}

/** Why the Python program cannot run ("" when it can): it needs a python3 that can make a venv. */
export function pythonSkipReason(): string {
  if (spawnSync(python3(), ["-c", "import venv, ensurepip"], { stdio: "ignore" }).status === 0) return "";
  return `no ${python3()} with the venv and ensurepip modules`;
}

function python3(): string {
  return process.env.COPASS_TEST_PYTHON || "python3";
}

function report(step: string, started: number, cached: boolean): void {
  process.stderr.write(`[languages] ${step}: ${cached ? "reused" : "built"} in ${Date.now() - started} ms\n`);
}

function failure(what: string, r: RunResult): Error {
  return new Error(`${what} exited with ${r.code}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`);
}

function hash(...parts: (string | Buffer)[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex").slice(0, 16);
}

/**
 * Entries kept per kind (SDK, venv, Go program) besides the newest: a few, so worktrees and
 * branches with different schemas do not rebuild each other's, but a venv (~90 MB) per schema edit
 * does not pile up.
 */
const KEEP = 4;

/**
 * Returns `dir` when it is there; else runs `make(tmp)` in a fresh sibling and renames it to `dir`.
 * A concurrent run that finished first wins: its entry is as good as ours.
 */
async function cached(dir: string, make: (tmp: string) => Promise<void>): Promise<boolean> {
  if (existsSync(dir)) return true;
  await mkdir(path.dirname(dir), { recursive: true });
  const tmp = await mkdtemp(`${dir}.tmp-`);
  try {
    await make(tmp);
    await rename(tmp, dir).catch((e: NodeJS.ErrnoException) => {
      if (!existsSync(dir)) throw e;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  await prune(path.dirname(dir));
  return false;
}

/** Removes all but the KEEP most recently built entries of a kind (temporary ones are not entries). */
async function prune(kindDir: string): Promise<void> {
  const entries = (await readdir(kindDir)).filter((e) => !e.includes(".tmp-"));
  const built = await Promise.all(
    entries.map(async (e) => ({
      dir: path.join(kindDir, e),
      mtime: (await stat(path.join(kindDir, e))).mtimeMs,
    })),
  );
  built.sort((a, b) => b.mtime - a.mtime);
  await Promise.all(built.slice(KEEP).map((e) => rm(e.dir, { recursive: true, force: true })));
}

export interface CliBin {
  /** Folder to put first on PATH: pulumi, pulumi-language-nodejs, pulumi-language-yaml, sdkgen. */
  bin: string;
  yamlHostBin: string;
}

/** scripts/pulumi-cli.sh: builds or reuses the CLI, the YAML host and sdkgen. */
export async function cliBin(): Promise<CliBin> {
  const started = Date.now();
  const r = await run("bash", [path.join(repoRoot, "scripts", "pulumi-cli.sh")], {
    cwd: repoRoot,
    // A cold machine builds the CLI and the YAML host from source: allow the whole CI budget.
    timeoutMs: 3_600_000,
  });
  process.stderr.write(r.stderr);
  if (r.code !== 0) throw failure("scripts/pulumi-cli.sh", r);
  const bin = r.stdout.trim().split("\n").pop() ?? "";
  process.stderr.write(`[languages] CLI, YAML host and sdkgen ready in ${Date.now() - started} ms\n`);
  return { bin, yamlHostBin: path.join(bin, "pulumi-language-yaml") };
}

export interface Built {
  path: string;
  cached: boolean;
}

/** The committed SDKs (npm run sdk): the Go module sdk/ and the Python project sdk/python. */
export const sdkDir = path.join(repoRoot, "sdk");

/** Every file under `dir` (relative path → bytes, sorted): an SDK tree, for keys and comparisons. */
export async function treeFiles(dir: string): Promise<Map<string, Buffer>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
  return new Map(await Promise.all(files.map(async (f) => [f, await readFile(path.join(dir, f))] as const)));
}

async function treeHash(dir: string): Promise<string> {
  return hash(...[...(await treeFiles(dir))].flat());
}

/**
 * A venv with PyPI's `pulumi` and the Python SDK: `sdk` is what pip installs, the committed project
 * sdk/python (copied first, so the build leaves nothing in the repository) or a wheel. Returns its
 * python executable.
 */
export async function pythonVenv(sdk = path.join(sdkDir, "python")): Promise<Built> {
  const started = Date.now();
  const isDir = (await stat(sdk)).isDirectory();
  const key = hash(isDir ? await treeHash(sdk) : await readFile(sdk));
  const dir = path.join(languagesCache, "venv", `pulumi-${pythonPulumiVersion}-${key}`);
  const wasCached = await cached(dir, async (tmp) => {
    const venv = await run(python3(), ["-m", "venv", tmp], { cwd: repoRoot });
    if (venv.code !== 0) throw failure(`${python3()} -m venv`, venv);
    let target = sdk;
    if (isDir) {
      target = path.join(tmp, "sdk-src");
      await cp(sdk, target, { recursive: true });
    }
    // `python -m pip`, never bin/pip: the venv is renamed after this, and pip's script would keep
    // the temporary path in its shebang.
    const pip = await run(
      path.join(tmp, "bin", "python"),
      [
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        `pulumi==${pythonPulumiVersion}`,
        target,
      ],
      { cwd: repoRoot, timeoutMs: 900_000 },
    );
    if (pip.code !== 0) throw failure(`pip install pulumi and ${path.basename(sdk)}`, pip);
    if (isDir) await rm(target, { recursive: true, force: true });
  });
  report(`venv (pulumi ${pythonPulumiVersion} + ${path.relative(repoRoot, sdk)})`, started, wasCached);
  return { path: path.join(dir, "bin", "python"), cached: wasCached };
}

/**
 * test/languages/go built against the committed Go SDK (its go.mod replaces the SDK's module with
 * ../../../sdk); returns the executable. Key: its sources and the Go SDK's files.
 */
export async function goConsumer(): Promise<Built> {
  const started = Date.now();
  const src = path.join(repoRoot, "test", "languages", "go");
  const sources = await Promise.all(["go.mod", "go.sum", "main.go"].map((f) => readFile(path.join(src, f))));
  const sdk = [await readFile(path.join(sdkDir, "go.mod")), await treeHash(path.join(sdkDir, "go"))];
  const dir = path.join(languagesCache, "go-consumer", hash(...sources, ...sdk));
  const exe = path.join(dir, "copass-go-consumer");
  const wasCached = await cached(dir, async (tmp) => {
    const env = { ...process.env, GOTOOLCHAIN: "local", CGO_ENABLED: "0" };
    // -mod=readonly: the committed go.sum must already be complete.
    const build = await run(
      "go",
      [
        "build",
        "-mod=readonly",
        "-trimpath",
        "-ldflags=-s -w",
        "-o",
        path.join(tmp, "copass-go-consumer"),
        ".",
      ],
      { cwd: src, env, timeoutMs: 1_800_000 },
    );
    if (build.code !== 0) throw failure("go build test/languages/go", build);
  });
  report("Go consumer", started, wasCached);
  return { path: exe, cached: wasCached };
}
