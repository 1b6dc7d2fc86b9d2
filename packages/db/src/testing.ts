import { randomBytes } from "node:crypto";

import type { SQL } from "drizzle-orm";
import { sql } from "drizzle-orm";
import postgres from "postgres";

import type { CreateDbOptions, Database, DatabaseHandle } from "./client";
import { createDb } from "./client";
import { readDatabaseEnv } from "./env";
import { migrate } from "./migrate";

// Test-only setup; deliberately absent from package.json "exports".

export interface TestDatabase {
  handle: DatabaseHandle;
  db: Database;
  /** The throwaway database's URL on Postgres; undefined on in-memory PGlite. */
  url: string | undefined;
  /** Closes the handle and, on Postgres, drops the throwaway database. */
  dispose: () => Promise<void>;
}

/** The CI database (DATABASE_URL), or undefined when tests run on in-memory PGlite. */
export const testDatabaseUrl = readDatabaseEnv().DATABASE_URL;
export const onPostgres = testDatabaseUrl !== undefined;

/**
 * A database with nothing in it: a fresh in-memory PGlite, or on Postgres a new
 * `parley_t_<random>` database beside the one DATABASE_URL names, dropped by `dispose`.
 */
export async function createEmptyDatabase(options: Pick<CreateDbOptions, "countStatements"> = {}): Promise<TestDatabase> {
  if (!testDatabaseUrl) {
    const handle = createDb({ memory: true, ...options });
    return { handle, db: handle.db, url: undefined, dispose: () => handle.close() };
  }
  const throwaway = await createThrowawayPostgresDatabase(testDatabaseUrl);
  const handle = createDb({ url: throwaway.url, maxConnections: 4, ...options });
  return {
    handle,
    db: handle.db,
    url: throwaway.url,
    dispose: async () => {
      await handle.close();
      await throwaway.drop();
    },
  };
}

/** An empty database with every committed migration applied. */
export async function createMigratedDatabase(options: Pick<CreateDbOptions, "countStatements"> = {}): Promise<TestDatabase> {
  const database = await createEmptyDatabase(options);
  try {
    await migrate(database.handle);
  } catch (error) {
    await database.dispose();
    throw error;
  }
  return database;
}

export interface ThrowawayPostgresDatabase {
  url: string;
  drop: () => Promise<void>;
}

/** Creates a uniquely named database on the server behind `baseUrl`; the URL's own database is left alone. */
export async function createThrowawayPostgresDatabase(baseUrl: string): Promise<ThrowawayPostgresDatabase> {
  const name = `parley_t_${randomBytes(6).toString("hex")}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const dropper = postgres(baseUrl, { max: 1, onnotice: () => {} });
      try {
        // `with (force)` ends connections a failed test may have left behind.
        await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await dropper.end({ timeout: 5 });
      }
    },
  };
}

export interface DatabaseErrorDetails {
  /** SQLSTATE, e.g. 23505 unique_violation, 23514 check_violation, 23503 foreign_key_violation. */
  code: string | undefined;
  constraint: string | undefined;
  message: string;
}

/**
 * Reads SQLSTATE and constraint name from whatever a query rejected with. postgres.js names the
 * constraint `constraint_name`, PGlite `constraint`, and Drizzle wraps either in `cause`.
 */
export function databaseErrorDetails(error: unknown): DatabaseErrorDetails {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const fields = current as Error & { code?: unknown; constraint?: unknown; constraint_name?: unknown };
    if (typeof fields.code === "string" && /^[0-9A-Z]{5}$/.test(fields.code)) {
      const constraint = fields.constraint_name ?? fields.constraint;
      return {
        code: fields.code,
        constraint: typeof constraint === "string" ? constraint : undefined,
        message: fields.message,
      };
    }
    current = current.cause;
  }
  return { code: undefined, constraint: undefined, message: String(error) };
}

/** Resolves with the database error a query failed with; fails the test if the query succeeded. */
export async function databaseErrorOf(query: PromiseLike<unknown>): Promise<DatabaseErrorDetails> {
  try {
    await query;
  } catch (error) {
    return databaseErrorDetails(error);
  }
  throw new Error("expected the query to be rejected by the database, but it succeeded");
}

/** The names of the tables in the public schema, sorted. */
export async function publicTableNames(db: Database): Promise<string[]> {
  const rows = await selectRows<{ table_name: string }>(
    db,
    sql`select table_name from information_schema.tables
        where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
  );
  return rows.map((row) => row.table_name);
}

/** Runs a query and returns its rows, hiding the two drivers' different result shapes. */
export async function selectRows<TRow>(db: Database, query: SQL): Promise<TRow[]> {
  const result = (await db.execute(query)) as unknown as { rows?: TRow[] } | TRow[];
  return Array.isArray(result) ? result : (result.rows ?? []);
}
