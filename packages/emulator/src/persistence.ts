/**
 * Where the store keeps its state between restarts. Injected, as json-server injects lowdb's
 * adapters: memory for tests (the default), files for the CLI.
 *
 * The file layout keeps the vault out of the data file (DESIGN §6: the data file never holds a
 * token): `<dataFile>` has the rows, `<dataFile>.vault.json` has `user_mcp/<id>/auth → token`, in
 * plaintext, as a real Copass vault holds them. Both are written mode 0600 (FILE_MODE): the vault
 * holds tokens, and the rows name the tenant's sandboxes and MCP endpoints, which are not for other
 * users of the machine either.
 * Every write is atomic: temp file in the same directory, fsync, rename; a crash leaves either the
 * old file or the new one, never half of each.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";

export interface PersistedState {
  /** Format version, so that a later emulator can refuse or migrate an old file. */
  version: 1;
  sandboxes: Record<string, PersistedSandbox>;
}

export interface PersistedSandbox {
  /** SHA-256 (hex) of the API key that owns the sandbox; the key itself is never stored. */
  ownerKeyHash: string;
  sources: Record<string, Record<string, unknown>>;
}

export type Vault = Record<string, string>;

/** Owner read/write only, for every file the emulator writes. */
export const FILE_MODE = 0o600;

export interface Persistence {
  load(): { state: PersistedState; vault: Vault } | undefined;
  /** Saves the rows, and the vault when `vault` is given (it changes less often). */
  save(state: PersistedState, vault?: Vault): void;
}

/** Keeps nothing: the store's own objects are the only copy (an emulator without a data file). */
export const noPersistence: Persistence = { load: () => undefined, save: () => undefined };

/** A copy in memory that a second store can load: a restart, for tests. */
export function memoryPersistence(): Persistence {
  let saved: { state: string; vault: string } | undefined;
  return {
    load: () => (saved ? { state: JSON.parse(saved.state), vault: JSON.parse(saved.vault) } : undefined),
    save: (state, vault) => {
      saved = { state: JSON.stringify(state), vault: vault ? JSON.stringify(vault) : (saved?.vault ?? "{}") };
    },
  };
}

/** Writes `content` to `file` atomically with the given mode. */
export function writeFileAtomic(file: string, content: string, mode: number): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = fs.openSync(tmp, "wx", mode);
  try {
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  // openSync's mode is filtered by the umask; the vault must be 0600 whatever the umask is.
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
  try {
    const dirFd = fs.openSync(dir, "r");
    fs.fsyncSync(dirFd);
    fs.closeSync(dirFd);
  } catch {
    // Directory fsync is not supported everywhere (e.g. some network file systems); the rename stands.
  }
}

/**
 * Parses a JSON file without quoting it: V8's SyntaxError messages carry a slice of the text
 * (`Unexpected token 's', ..."auth": supersecre"...`), which for the vault is a token, and the CLI
 * prints the start-up error on stderr.
 */
function readJson(file: string): unknown {
  const text = fs.readFileSync(file, "utf8");
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON; restore it from a backup or pick another --data-file`);
  }
}

export function vaultFileOf(dataFile: string): string {
  return `${dataFile}.vault.json`;
}

export function filePersistence(dataFile: string): Persistence {
  const vaultFile = vaultFileOf(dataFile);
  return {
    load() {
      if (!fs.existsSync(dataFile)) return undefined;
      const state = readJson(dataFile) as PersistedState;
      if (
        typeof state !== "object" ||
        state === null ||
        state.version !== 1 ||
        typeof state.sandboxes !== "object"
      ) {
        throw new Error(
          `${dataFile} is not a copass-emulator data file (version 1); move it away or pick another --data-file`,
        );
      }
      const vault = fs.existsSync(vaultFile) ? (readJson(vaultFile) as Vault) : {};
      return { state, vault };
    },
    save(state, vault) {
      // Vault first: a row must never point to a secret that is not on disk yet (reference §1.1 step 2).
      if (vault) writeFileAtomic(vaultFile, JSON.stringify(vault, null, 2), FILE_MODE);
      writeFileAtomic(dataFile, JSON.stringify(state, null, 2), FILE_MODE);
    },
  };
}
