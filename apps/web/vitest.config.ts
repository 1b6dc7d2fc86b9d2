import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["*.test.ts", "src/**/*.test.ts", "lib/**/*.test.ts"],
    // server.test.ts starts the real server (Next.js, migrations) as a child process.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
