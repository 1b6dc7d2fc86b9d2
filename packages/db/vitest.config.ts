import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // Each file migrates its own PGlite (a second or two) or its own throwaway Postgres
    // database, and a few tests spawn the migrate CLI; files stay independent, so they may run
    // in parallel.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: true,
  },
});
