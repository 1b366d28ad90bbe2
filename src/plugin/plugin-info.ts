/**
 * What GetPluginInfo and GetSchema answer: the package version and schema.json. The npm-installed
 * plugin reads them from its package (`fromPackageFiles`); the release executable has them
 * embedded at build time (executable.ts), since nothing lies beside it.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";

export interface PluginInfo {
  version: string;
  /** The schema's JSON text, exactly as schema.json holds it. */
  schemaText(): string;
}

/** The package root: dist/plugin/ in the package, src/plugin/ in the sources. */
const packageRoot = path.join(__dirname, "..", "..");

/** The package's own files; the schema is read on the first GetSchema, not at start. */
export function fromPackageFiles(root = packageRoot): PluginInfo {
  const { version } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
    version: string;
  };
  let schema: string | undefined;
  return { version, schemaText: () => (schema ??= readFileSync(path.join(root, "schema.json"), "utf8")) };
}
