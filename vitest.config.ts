import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Tests start real servers and Pulumi's provider host; 2-core CI machines need headroom.
    testTimeout: 30_000,
    hookTimeout: 180_000,
    pool: "forks",
    // The JSON report feeds the "N passed, N failed" line that .ci/run prints last.
    reporters: ["default", ["json", { outputFile: ".tmp/vitest-report.json" }]],
  },
});
