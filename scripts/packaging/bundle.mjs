// The plugin as one CommonJS file (src/plugin/executable.ts and all it requires, rolldown), with
// the version and schema.json embedded, and the list of npm packages inside it read from the
// bundler's own module graph, so the licenses shipped beside it follow what is really bundled.
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { build } from "rolldown";
import { repoRoot } from "./config.mjs";

/**
 * Bundles the plugin into `outFile`. Returns the npm packages it contains (name, version, license,
 * folder), sorted by name; our own sources are not among them (they are under LICENSE).
 */
export async function bundlePlugin(outFile, { version, schemaText }) {
  const result = await build({
    input: path.join(repoRoot, "src", "plugin", "executable.ts"),
    platform: "node",
    logLevel: "warn",
    treeshake: true,
    // executable.ts declares these two names; nothing else reads them.
    transform: {
      define: {
        COPASS_PLUGIN_VERSION: JSON.stringify(version),
        COPASS_SCHEMA_TEXT: JSON.stringify(schemaText),
      },
    },
    output: {
      file: outFile,
      format: "cjs",
      // One file: handlers.ts's `import()` of the core is inlined rather than split into a chunk.
      codeSplitting: false,
      // Licence comments stay; doc comments go (they are the packages' docs, not code).
      comments: { legal: true, annotation: false, jsdoc: false },
    },
  });
  const moduleIds = result.output.flatMap((o) => (o.type === "chunk" ? Object.keys(o.modules) : []));
  return packagesOf(moduleIds);
}

/** The npm packages that a list of bundled module files belongs to. */
export function packagesOf(moduleIds) {
  const dirs = new Set();
  for (const id of moduleIds) {
    const match = /^(.*[\\/]node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(id);
    if (match) dirs.add(match[1]);
  }
  return [...dirs]
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
      return { name: pkg.name, version: pkg.version, license: pkg.license, dir };
    })
    .sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

/** The license text a package ships (LICENSE, LICENCE, COPYING, with any extension). */
export function licenseText(dir) {
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|-|$)/i.test(f));
  if (!file) return undefined;
  return readFileSync(path.join(dir, file), "utf8").trim();
}

/**
 * THIRD-PARTY-LICENSES.txt: the license of every package in the bundle and, for an executable, of
 * Node.js. A bundled package without a license file stops the build: shipping its code without
 * its notice is not an option.
 */
export function thirdPartyLicenses(packages, node) {
  const sections = [];
  if (node)
    sections.push(section(`Node.js ${node.version}, the runtime of this executable`, node.licenseText));
  for (const pkg of packages) {
    const text = licenseText(pkg.dir);
    if (text === undefined) {
      throw new Error(
        `${pkg.name}@${pkg.version} (in the bundle) ships no LICENSE file: add its notice before releasing`,
      );
    }
    sections.push(section(`${pkg.name} ${pkg.version} (${pkg.license ?? "see below"})`, text));
  }
  return [
    "pulumi-resource-copass is Apache-2.0 (LICENSE beside this file). It contains the following",
    "third-party software, under these licenses:",
    "",
    ...sections,
  ].join("\n");
}

function section(title, text) {
  return `${"=".repeat(100)}\n${title}\n${"=".repeat(100)}\n\n${text}\n\n`;
}
