/**
 * Lets Node's `require` load this repository's TypeScript sources in the tests (a vitest setup
 * file). Why: src/provider/schema.ts requires zod/mini with the first schema it builds
 * (`require("../zod-mini")`, issue 24), not at its top. In the built package that resolves to
 * dist/zod-mini.js; from the sources Node finds only src/zod-mini.ts, which vitest transforms for
 * `import` but not for `require`. Transpiled by TypeScript (a devDependency) with the repository's
 * compiler options, as tsc emits it; only for a `.ts` file Node would otherwise refuse to load.
 */
import { readFileSync } from "node:fs";
import Module from "node:module";
import * as ts from "typescript";

type Loader = (module: { _compile(code: string, filename: string): void }, filename: string) => void;
const extensions = (Module as unknown as { _extensions: Record<string, Loader> })._extensions;

extensions[".ts"] ??= (module, filename) => {
  const { outputText } = ts.transpileModule(readFileSync(filename, "utf8"), {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  });
  module._compile(outputText, filename);
};
