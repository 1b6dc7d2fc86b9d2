import { mkdirSync } from "node:fs";
import { resolve } from "node:path";

import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";

import * as schema from "./schema/index";

export type Schema = typeof schema;
/** The Drizzle handle shared by both drivers; code above this package never names a driver. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
/** What `db.transaction()` hands its callback. */
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

export type DatabaseDriver = "postgres" | "pglite";

export interface DatabaseHandle {
  db: Database;
  driver: DatabaseDriver;
  /** Where the data lives: the URL without its password, a folder, or "memory". */
  location: string;
  /** Resolves when a trivial query succeeds; rejects otherwise. */
  ping: () => Promise<void>;
  close: () => Promise<void>;
  /** Present on PGlite only: the embedded instance, for the migrator. */
  pglite?: PGlite;
  /** Present on Postgres only: the postgres.js client, for the migrator. */
  postgres?: postgres.Sql;
}

export interface CreateDbOptions {
  /** A postgres:// URL. When absent, Parley runs on embedded PGlite. */
  url?: string;
  /** PGlite data folder; ignored with `url`. */
  dataDir?: string;
  /** A throwaway in-memory PGlite (tests). */
  memory?: boolean;
  /** Pool size for postgres.js. */
  maxConnections?: number;
}

export function createDb(options: CreateDbOptions): DatabaseHandle {
  if (options.url) {
    const client = postgres(options.url, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      // Timestamps and ids stay in their Postgres text forms; Drizzle maps them.
      prepare: true,
    });
    const db = drizzlePostgres(client, { schema }) as unknown as Database;
    return {
      db,
      driver: "postgres",
      location: redactUrl(options.url),
      postgres: client,
      ping: async () => {
        await db.execute(sql`select 1`);
      },
      close: () => client.end({ timeout: 5 }),
    };
  }

  let location = "memory";
  let pglite: PGlite;
  if (options.memory) {
    pglite = new PGlite();
  } else {
    location = resolve(options.dataDir ?? ".data");
    mkdirSync(location, { recursive: true });
    pglite = new PGlite(location);
  }
  const db = drizzlePglite(pglite, { schema }) as unknown as Database;
  return {
    db,
    driver: "pglite",
    location,
    pglite,
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    // Idempotent like postgres.js's end(): a second shutdown signal must not throw.
    close: async () => {
      if (!pglite.closed) await pglite.close();
    },
  };
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres";
  }
}
