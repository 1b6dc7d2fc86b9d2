import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // argon2id at 19 MiB and two passes takes tens of milliseconds per hash, more on a busy CI box.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
