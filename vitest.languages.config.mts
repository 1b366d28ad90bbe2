import { defineConfig } from "vitest/config";

// `npm run test:languages` (issue 16): the Python, Go and YAML programs through the real Pulumi CLI.
// Kept apart from `npm test` and `npm run test:e2e`: it needs Go and Python, and a cold machine
// builds the CLI, the YAML language host, sdkgen, a venv and the Go consumer first (all cached, see
// test/languages/toolchain.ts).
export default defineConfig({
  test: {
    include: ["test/languages/**/*.test.ts"],
    // Each step is a real `pulumi` command (or an Automation API program running one) on a shared
    // 2-core machine.
    testTimeout: 600_000,
    // The first beforeAll may build everything from cold.
    hookTimeout: 3_600_000,
    pool: "forks",
    // The files share nothing but the machine: one at a time keeps each command's timing sane.
    fileParallelism: false,
    // The e2e setup: builds or reuses the CLI and its hosts (scripts/pulumi-cli.sh), packs the package
    // and installs the plugin globally into a throwaway prefix (e2ePluginBin).
    globalSetup: ["test/e2e/globalSetup.ts"],
    reporters: ["default", ["json", { outputFile: ".tmp/vitest-report-languages.json" }]],
  },
});
