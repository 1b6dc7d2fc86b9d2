import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { getTableName, is, sql } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import { afterEach, describe, expect, it } from "vitest";

import type { Database, DatabaseHandle } from "./client";
import { createDb } from "./client";
import { migrate, migrationsFolder } from "./migrate";
import * as schema from "./schema/index";
import type { TestDatabase } from "./testing";
import {
  createEmptyDatabase,
  createThrowawayPostgresDatabase,
  onPostgres,
  publicTableNames,
  selectRows,
  testDatabaseUrl,
} from "./testing";

const runFile = promisify(execFile);
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const tsxCli = createRequire(import.meta.url).resolve("tsx/cli");

const expectedTables = [
  "attachments",
  "avatar_uploads",
  "blocks",
  "call_participants",
  "calls",
  "conversation_members",
  "conversation_mutes",
  "conversations",
  "event_counter",
  "events",
  "friendships",
  "login_throttles",
  "message_expiries",
  "messages",
  "notification_settings",
  "push_cursor",
  "push_outbox",
  "push_shown",
  "push_subscriptions",
  "push_vapid_keys",
  "reactions",
  "sessions",
  "users",
];

interface Journal {
  entries: { idx: number; tag: string }[];
}

async function readJournal(): Promise<Journal> {
  return JSON.parse(await readFile(join(migrationsFolder, "meta", "_journal.json"), "utf8")) as Journal;
}

/** Everything migrations define in the public schema, in a stable order, for before/after comparison. */
async function dumpSchema(db: Database): Promise<unknown> {
  const columns = await selectRows(
    db,
    sql`select table_name, column_name, ordinal_position, data_type, udt_name, is_nullable, column_default
        from information_schema.columns where table_schema = 'public'
        order by table_name, ordinal_position`,
  );
  const indexes = await selectRows(
    db,
    sql`select tablename, indexname, indexdef from pg_indexes where schemaname = 'public'
        order by tablename, indexname`,
  );
  const constraints = await selectRows(
    db,
    sql`select c.conrelid::regclass::text as table_name, c.conname, c.contype::text as contype,
               pg_get_constraintdef(c.oid) as definition
        from pg_constraint c join pg_namespace n on n.oid = c.connamespace
        where n.nspname = 'public' order by table_name, c.conname`,
  );
  const enums = await selectRows(
    db,
    sql`select t.typname, e.enumlabel, e.enumsortorder::text as position
        from pg_enum e join pg_type t on t.oid = e.enumtypid
        join pg_namespace n on n.oid = t.typnamespace
        where n.nspname = 'public' order by t.typname, e.enumsortorder`,
  );
  return { columns, indexes, constraints, enums };
}

async function appliedMigrationCount(db: Database): Promise<number> {
  const rows = await selectRows<{ count: number }>(
    db,
    sql`select count(*)::int as count from drizzle.__drizzle_migrations`,
  );
  return rows[0]?.count ?? 0;
}

interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `src/migrate-cli.ts` (what `npm run db:migrate` runs) as its own process. */
async function runMigrateCli(env: Record<string, string>): Promise<CliResult> {
  try {
    const { stdout, stderr } = await runFile(process.execPath, [tsxCli, "src/migrate-cli.ts"], {
      cwd: packageDir,
      env: { ...process.env, ...env },
      timeout: 90_000,
    });
    return { exitCode: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== "number") throw error;
    return { exitCode: failed.code, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

describe("migrations on an empty database", () => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.dispose();
    database = undefined;
  });

  it("creates every table the schema declares", async () => {
    database = await createEmptyDatabase();
    expect(await publicTableNames(database.db)).toEqual([]);
    await migrate(database.handle);

    const schemaTables = Object.values(schema)
      .filter((value) => is(value, PgTable))
      .map((table) => getTableName(table))
      .sort();
    expect(schemaTables).toEqual(expectedTables);
    expect(await publicTableNames(database.db)).toEqual(expectedTables);
    expect(await appliedMigrationCount(database.db)).toBe((await readJournal()).entries.length);
  });

  it("changes nothing when applied a second time", async () => {
    database = await createEmptyDatabase();
    await migrate(database.handle);
    const before = await dumpSchema(database.db);
    const countBefore = await appliedMigrationCount(database.db);

    await migrate(database.handle);

    expect(await dumpSchema(database.db)).toEqual(before);
    expect(await appliedMigrationCount(database.db)).toBe(countBefore);
  });

  it("leaves JIT off for the functions whose generic plans would cross its cost threshold", async () => {
    database = await createEmptyDatabase();
    await migrate(database.handle);
    const rows = await selectRows<{ name: string; config: string[] | null }>(
      database.db,
      sql`select proname as name, proconfig as config from pg_proc
          where proname in ('parley_history', 'parley_history_after', 'parley_search_messages') order by proname`,
    );
    expect(rows).toEqual([
      { name: "parley_history", config: ["jit=off"] },
      { name: "parley_history_after", config: ["jit=off"] },
      { name: "parley_search_messages", config: ["jit=off"] },
    ]);
  });

  it("records every migration file in the journal, so none is silently skipped", async () => {
    const journal = await readJournal();
    const sqlFiles = (await readdir(migrationsFolder)).filter((name) => name.endsWith(".sql")).sort();
    expect(sqlFiles).toEqual(journal.entries.map((entry) => `${entry.tag}.sql`));
    expect(journal.entries.map((entry) => entry.idx)).toEqual(journal.entries.map((_, index) => index));
  });
});

describe.runIf(onPostgres)("migrate() on Postgres", () => {
  it("lets several processes migrate one empty database at once", async () => {
    const database = await createEmptyDatabase();
    const url = database.url as string;
    const others: DatabaseHandle[] = [createDb({ url }), createDb({ url })];
    try {
      const results = await Promise.allSettled([
        migrate(database.handle),
        ...others.map((handle) => migrate(handle)),
      ]);
      expect(results.map((result) => result.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
      expect(await publicTableNames(database.db)).toEqual(expectedTables);
      expect(await appliedMigrationCount(database.db)).toBe((await readJournal()).entries.length);
    } finally {
      await Promise.all(others.map((handle) => handle.close()));
      await database.dispose();
    }
  });
});

describe("the migrate CLI (npm run db:migrate)", () => {
  it.runIf(onPostgres)("migrates an empty Postgres database, then does nothing the second time", async () => {
    const throwaway = await createThrowawayPostgresDatabase(testDatabaseUrl as string);
    const handle = createDb({ url: throwaway.url, maxConnections: 1 });
    try {
      const first = await runMigrateCli({ DATABASE_URL: throwaway.url });
      expect(first.stderr).not.toContain("migration failed");
      expect(first.exitCode).toBe(0);
      expect(first.stdout).toContain("migrations applied (postgres:");
      expect(await publicTableNames(handle.db)).toEqual(expectedTables);
      const afterFirst = await dumpSchema(handle.db);
      const countAfterFirst = await appliedMigrationCount(handle.db);

      const second = await runMigrateCli({ DATABASE_URL: throwaway.url });
      expect(second.exitCode).toBe(0);
      expect(await dumpSchema(handle.db)).toEqual(afterFirst);
      expect(await appliedMigrationCount(handle.db)).toBe(countAfterFirst);
    } finally {
      await handle.close();
      await throwaway.drop();
    }
  });

  it.runIf(!onPostgres)("migrates an empty PGlite folder, then does nothing the second time", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "parley-migrate-cli-"));
    const inspect = async (): Promise<{ tables: string[]; dump: unknown; count: number }> => {
      const handle = createDb({ dataDir });
      try {
        return {
          tables: await publicTableNames(handle.db),
          dump: await dumpSchema(handle.db),
          count: await appliedMigrationCount(handle.db),
        };
      } finally {
        await handle.close();
      }
    };
    try {
      const first = await runMigrateCli({ DATABASE_URL: "", DATA_DIR: dataDir });
      expect(first.stderr).not.toContain("migration failed");
      expect(first.exitCode).toBe(0);
      expect(first.stdout).toContain(`migrations applied (pglite: ${dataDir})`);
      const afterFirst = await inspect();
      expect(afterFirst.tables).toEqual(expectedTables);

      const second = await runMigrateCli({ DATABASE_URL: "", DATA_DIR: dataDir });
      expect(second.exitCode).toBe(0);
      const afterSecond = await inspect();
      expect(afterSecond.dump).toEqual(afterFirst.dump);
      expect(afterSecond.count).toBe(afterFirst.count);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("exits non-zero when the database cannot be reached", async () => {
    // Port 1 refuses connections at once, so no server is needed.
    const result = await runMigrateCli({ DATABASE_URL: "postgres://postgres@127.0.0.1:1/parley" });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("migration failed");
  });

  it("exits non-zero naming DATABASE_URL when it is not a postgres URL", async () => {
    const result = await runMigrateCli({ DATABASE_URL: "mysql://localhost/parley" });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain("DATABASE_URL");
  });
});
