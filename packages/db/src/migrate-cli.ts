import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { createDb } from "./client";
import { readDatabaseEnv } from "./env";
import { migrate } from "./migrate";

// npm runs this script inside packages/db; a relative DATA_DIR means the repository root, as
// it does for the server, so both use one data folder.
const repositoryRoot = fileURLToPath(new URL("../../../", import.meta.url));
const env = readDatabaseEnv();
const dataDir = isAbsolute(env.DATA_DIR) ? env.DATA_DIR : resolve(repositoryRoot, env.DATA_DIR);
const handle = createDb({ url: env.DATABASE_URL, dataDir });
try {
  await migrate(handle);
  console.log(`migrations applied (${handle.driver}: ${handle.location})`);
} catch (error) {
  console.error("migration failed:", error);
  process.exitCode = 1;
} finally {
  await handle.close();
}
