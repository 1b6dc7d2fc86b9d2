import { createDb } from "./client";
import { readDatabaseEnv } from "./env";
import { migrate } from "./migrate";

const env = readDatabaseEnv();
const handle = createDb({ url: env.DATABASE_URL, dataDir: env.DATA_DIR });
try {
  await migrate(handle);
  console.log(`migrations applied (${handle.driver}: ${handle.location})`);
} catch (error) {
  console.error("migration failed:", error);
  process.exitCode = 1;
} finally {
  await handle.close();
}
