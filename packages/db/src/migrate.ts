import { fileURLToPath } from "node:url";

import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";

import type { DatabaseHandle } from "./client";

export const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

// Any constant works; it only has to be the same for every Parley process.
const migrationLockKey = 7_202_611;

/**
 * Applies the committed SQL migrations that the database has not seen yet. Safe to call from
 * several processes at once on Postgres: they take turns under an advisory lock.
 */
export async function migrate(handle: DatabaseHandle): Promise<void> {
  if (handle.pglite) {
    await migratePglite(drizzlePglite(handle.pglite), { migrationsFolder });
    return;
  }
  if (!handle.postgres) throw new Error("migrate: the database handle has no driver");
  const options = handle.postgres.options;
  // One dedicated connection, so the advisory lock and the migration share a session.
  // `options` is postgres.js's parsed form (host and port as arrays); postgres() accepts it back.
  // No statement timeout here: waiting for another process's migration, or building an index on
  // a large table, may rightly take longer than any request should.
  const dedicatedOptions = {
    ...options,
    max: 1,
    onnotice: () => {},
    connection: { ...options.connection, statement_timeout: 0, idle_in_transaction_session_timeout: 0 },
  };
  const client = postgres(dedicatedOptions as unknown as postgres.Options<Record<string, never>>);
  try {
    await client`select pg_advisory_lock(${migrationLockKey})`;
    await migratePostgres(drizzlePostgres(client), { migrationsFolder });
    await client`select pg_advisory_unlock(${migrationLockKey})`;
  } finally {
    await client.end({ timeout: 5 });
  }
}
