import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // A file that migrates its own PGlite takes seconds, and tens of them on a busy two-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
