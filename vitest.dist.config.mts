import { defineConfig } from "vitest/config";

// `npm run test:dist` (issue 23): what `npm run dist` puts in release/ — the plugin's self-contained
// executables started with an empty environment (linux-arm64 under qemu), the tarballs' contents,
// SHA256SUMS. Kept apart from `npm test`: building release/ from cold downloads two Node binaries
// (~50 MB each) and writes ~90 MB; the globalSetup rebuilds it only when an input changed.
export default defineConfig({
  test: {
    include: ["test/dist/**/*.test.ts"],
    // A step may start an executable under qemu (seconds), or a Python build of the SDK.
    testTimeout: 120_000,
    // The globalSetup may build release/ from cold.
    hookTimeout: 1_200_000,
    pool: "forks",
    globalSetup: ["test/dist/globalSetup.ts"],
    reporters: ["default", ["json", { outputFile: ".tmp/vitest-report-dist.json" }]],
  },
});
