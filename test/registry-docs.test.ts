/**
 * docs/, the pages Pulumi's registry reads (issue 23): each opens with the front matter the
 * registry's layout needs, the overview has an example per language we ship, and the installation
 * page names every provider setting with its environment variable and the plugin's download URL,
 * so a setting added to config.ts or a moved release cannot leave the page behind.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { SETTINGS } from "../src/provider/config";
import { PLUGIN_DOWNLOAD_URL } from "../src/plugin/package-schema";

const root = path.join(__dirname, "..");
const docs = path.join(root, "docs");
const { version } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string };
const read = (name: string): string => readFileSync(path.join(docs, name), "utf8");

/** The `key: value` lines between the opening `---` and the next one; {} when there are none. */
function frontMatter(text: string): Record<string, string> {
  const match = /^---\n([\s\S]*?)\n---\n/.exec(text);
  if (!match) return {};
  return Object.fromEntries(
    match[1]!.split("\n").map((line) => {
      const at = line.indexOf(":");
      return [line.slice(0, at).trim(), line.slice(at + 1).trim()];
    }),
  );
}

describe.each(["_index.md", "installation-configuration.md"])("docs/%s", (name) => {
  it("has the registry's front matter: title, meta_desc and layout package", () => {
    const meta = frontMatter(read(name));
    expect(meta.title).toMatch(/^Copass/);
    expect(meta.meta_desc?.length).toBeGreaterThan(20);
    expect(meta.layout).toBe("package");
  });
});

describe("docs/_index.md", () => {
  it("has an example in each language we ship: TypeScript, Python, Go and YAML", () => {
    const text = read("_index.md");
    expect(text).toContain('{{< chooser language "typescript,python,go,yaml" >}}');
    for (const language of ["typescript", "python", "go", "yaml"]) {
      expect(text, language).toContain(`{{% choosable language ${language} %}}`);
    }
    expect(text).toContain("import pulumi_copass as copass");
    expect(text).toContain('"github.com/copass/pulumi-copass/sdk/go/copass"');
    expect(text).toContain("type: copass:index:UserMcpSource");
  });

  it("tells the YAML program which plugin release to download, and from where (it has no SDK to say so)", () => {
    // Without both, CLI 3.274.1 looks for the plugin at github.com/pulumi/pulumi-copass and fails.
    const yaml = read("_index.md").split("{{% choosable language yaml %}}")[1] ?? "";
    expect(yaml).toContain(`      version: ${version}\n      pluginDownloadURL: ${PLUGIN_DOWNLOAD_URL}\n`);
  });
});

describe("docs/installation-configuration.md", () => {
  const text = read("installation-configuration.md");

  it("names every provider setting of config.ts with its environment variable", () => {
    for (const { config, env } of Object.values(SETTINGS)) {
      expect(text).toMatch(new RegExp(`\\| \`${config}\`[^|]*\\| \`${env}\` \\|`));
    }
  });

  it("says where the plugin downloads from and how to install it from a file with its checksum", () => {
    expect(text).toContain(PLUGIN_DOWNLOAD_URL);
    expect(text).toContain("pulumi plugin install resource copass <version> \\\n  --file ");
    expect(text).toContain("--checksum");
  });
});
