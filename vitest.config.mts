import * as path from "node:path";
import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // The emulator (packages/emulator) imports the provider's client and redact by package name;
    // tests run it from source, so those names resolve to the sources too (one copy, no build).
    // Paths are relative to the root, where npm runs vitest.
    alias: [
      { find: /^pulumi-copass\/client$/, replacement: path.resolve("src/client/index.ts") },
      { find: /^pulumi-copass\/redact$/, replacement: path.resolve("src/redact.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    // test/e2e needs Go and the Pulumi CLI built from it: `npm run test:e2e` (vitest.e2e.config.mts);
    // test/languages needs Go and Python too: `npm run test:languages` (vitest.languages.config.mts);
    // test/dist checks what `npm run dist` builds: `npm run test:dist` (vitest.dist.config.mts).
    exclude: [...configDefaults.exclude, "test/e2e/**", "test/languages/**", "test/dist/**"],
    // Tests start real servers and Pulumi's provider host; 2-core CI machines need headroom.
    testTimeout: 30_000,
    hookTimeout: 180_000,
    pool: "forks",
    // Packs the package and installs it into throwaway consumer projects for test/host (once per run).
    globalSetup: ["test/globalSetup.host.ts"],
    // Node's `require` of a TypeScript source (the provider's lazy zod/mini): test/support/require-ts.ts.
    setupFiles: ["test/support/require-ts.ts"],
    // The JSON report feeds the "N passed, N failed" line that .ci/run prints last; each row of
    // `npm run test:matrix` names its own (.tmp/vitest-report-matrix-<row>.json).
    reporters: [
      "default",
      ["json", { outputFile: process.env.COPASS_TEST_REPORT || ".tmp/vitest-report.json" }],
    ],
  },
});
