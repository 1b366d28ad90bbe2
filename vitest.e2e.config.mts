import { defineConfig } from "vitest/config";

// `npm run test:e2e`: the real Pulumi CLI, built from its Go modules (scripts/pulumi-cli.sh), runs
// the examples against the emulator and a real MCP server. Kept apart from `npm test`: it needs Go
// and a first build takes minutes.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    // Each step is a real `pulumi` command (a Node program, ts-node, the provider plugin) on a
    // shared 2-core machine; the setup may build the CLI from cold.
    testTimeout: 300_000,
    hookTimeout: 3_600_000,
    pool: "forks",
    // The files share nothing but the machine: one at a time keeps each command's timing sane.
    fileParallelism: false,
    globalSetup: ["test/e2e/globalSetup.ts"],
    reporters: ["default", ["json", { outputFile: ".tmp/vitest-report-e2e.json" }]],
  },
});
