import { defineConfig } from "drizzle-kit";

// Only `generate` uses this file: migrations are written here, committed, and applied by
// src/migrate.ts. `drizzle-kit push` is never part of any flow.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/schema/index.ts",
  out: "./drizzle",
});
