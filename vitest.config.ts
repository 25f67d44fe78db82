import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // Each file gets its own database cloned from a migrated template, so files
    // can run in parallel; the embedded server is shared.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // A skipped test left behind is a failure of review, not a pass.
    allowOnly: false,
  },
});
