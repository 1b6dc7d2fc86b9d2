import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each file starts its own server and database; two at a time suits a 2-core machine.
    maxWorkers: 2,
    // Every test signs its users up from 127.0.0.1; node processes they start inherit this.
    env: { SIGNUP_RATE_BURST: "100000" },
  },
});
