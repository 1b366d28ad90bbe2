import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Tests start real servers and Pulumi's provider host; 2-core CI machines need headroom.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
