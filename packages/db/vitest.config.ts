import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // Each file migrates its own PGlite (a second or two) or its own throwaway Postgres
    // database, and a few tests boot PGlite in a data folder or spawn the migrate CLI, which on
    // a busy two-core CI machine takes tens of seconds. Files stay independent, so they may run
    // in parallel.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: true,
  },
});
