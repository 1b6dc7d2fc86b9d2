import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import type { PGlite } from "@electric-sql/pglite";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";

import type { DatabaseHandle } from "./client";
import { createDb } from "./client";
import { readDatabaseEnv } from "./env";
import { migrate } from "./migrate";
import { sessions, users } from "./schema/index";
import type { TestDatabase } from "./testing";
import { createMigratedDatabase } from "./testing";

describe("createDb with a PGlite data folder", () => {
  let dataDir: string | undefined;
  afterEach(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    dataDir = undefined;
  });

  it("keeps its data after close and reopen", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "parley-client-"));
    const username = `keeper_${randomBytes(4).toString("hex")}`;

    const first = createDb({ dataDir });
    expect(first.driver).toBe("pglite");
    expect(first.location).toBe(dataDir);
    await migrate(first);
    await first.db.insert(users).values({ username, displayName: "Keeper", passwordHash: "hash" });
    await first.close();

    const reopened = createDb({ dataDir });
    try {
      const found = await reopened.db.select().from(users).where(eq(users.username, username));
      expect(found.map((user) => user.displayName)).toEqual(["Keeper"]);
    } finally {
      await reopened.close();
    }
  });
});

describe("ping", () => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.dispose();
    database = undefined;
  });

  it("resolves while the database is open and rejects once it is closed", async () => {
    database = await createMigratedDatabase();
    await expect(database.handle.ping()).resolves.toBeUndefined();

    await database.handle.close();
    await expect(database.handle.ping()).rejects.toThrow();
  });

  it("can be closed twice, as a repeated shutdown signal would", async () => {
    database = await createMigratedDatabase();
    await database.handle.close();
    await expect(database.handle.close()).resolves.toBeUndefined();
  });

  it("rejects when the Postgres server cannot be reached", async () => {
    // Port 1 refuses connections at once, so no server is needed.
    const unreachable = createDb({ url: "postgres://postgres@127.0.0.1:1/parley", maxConnections: 1 });
    try {
      await expect(unreachable.ping()).rejects.toMatchObject({ cause: { code: "ECONNREFUSED" } });
    } finally {
      await unreachable.close();
    }
  });
});

describe("the data layer on either driver", () => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.dispose();
    database = undefined;
  });

  it("returns a session's secret hash as the same 32 bytes it stored", async () => {
    database = await createMigratedDatabase();
    const username = `bytes_${randomBytes(4).toString("hex")}`;
    const [user] = await database.db
      .insert(users)
      .values({ username, displayName: "Bytes", passwordHash: "hash" })
      .returning();
    const secretHash = new Uint8Array(randomBytes(32));
    await database.db.insert(sessions).values({
      id: "session-with-hash",
      userId: user?.id as string,
      secretHash,
      expiresAt: new Date(Date.now() + 60_000),
    });

    const [stored] = await database.db.select().from(sessions).where(eq(sessions.id, "session-with-hash"));
    expect(stored?.secretHash).toBeInstanceOf(Uint8Array);
    expect(Array.from(stored?.secretHash ?? [])).toEqual(Array.from(secretHash));
  });
});

describe("statementCount", () => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.dispose();
    database = undefined;
  });

  /** How many statements `work` sent, read off the handle before and after. */
  async function statementsSentBy(handle: DatabaseHandle, work: () => Promise<unknown>): Promise<number> {
    const before = handle.statementCount() ?? Number.NaN;
    await work();
    return (handle.statementCount() ?? Number.NaN) - before;
  }

  it("counts nothing unless asked to", async () => {
    database = await createMigratedDatabase();
    await database.handle.ping();
    expect(database.handle.statementCount()).toBeNull();
  });

  it("counts Drizzle queries, raw driver queries, and a transaction's BEGIN and COMMIT", async () => {
    database = await createMigratedDatabase({ countStatements: true });
    const { handle, db } = database;
    // A fresh connection first asks the server for its array types; count after that.
    await handle.ping();

    expect(await statementsSentBy(handle, () => db.select().from(users).where(eq(users.username, "nobody")))).toBe(1);
    expect(
      await statementsSentBy(handle, () =>
        db.transaction(async (tx) => {
          await tx.select().from(users).limit(1);
          await tx.select().from(sessions).limit(1);
        }),
      ),
    ).toBe(4);

    if (handle.postgres) {
      const client = handle.postgres;
      expect(await statementsSentBy(handle, async () => client`select 1`)).toBe(1);
      expect(await statementsSentBy(handle, async () => client.unsafe("select $1::int", [1]))).toBe(1);
      expect(await statementsSentBy(handle, () => client.begin(async (sql) => sql`select 1`))).toBe(3);
    } else {
      const pglite = handle.pglite as PGlite;
      expect(await statementsSentBy(handle, () => pglite.query("select $1::int", [1]))).toBe(1);
      expect(await statementsSentBy(handle, () => pglite.transaction((tx) => tx.query("select 1")))).toBe(3);
    }
  });

  it("counts PGlite's own query, exec and transaction calls, not only Drizzle's", async () => {
    const handle = createDb({ memory: true, countStatements: true });
    try {
      const pglite = handle.pglite as PGlite;
      // Starting the engine runs statements of its own (its array types); count after it.
      await handle.ping();
      expect(await statementsSentBy(handle, () => pglite.query("select $1::int as one", [1]))).toBe(1);
      expect(await statementsSentBy(handle, () => pglite.sql`select ${2}::int as two`)).toBe(1);
      // One simple-query message, however many statements it holds.
      expect(await statementsSentBy(handle, () => pglite.exec("select 1; select 2"))).toBe(1);
      expect(
        await statementsSentBy(handle, () =>
          pglite.transaction(async (tx) => {
            await tx.query("select 1");
            await tx.exec("select 2");
          }),
        ),
      ).toBe(4);
      await expect(
        statementsSentBy(handle, () => pglite.transaction((tx) => tx.query("select 1 / 0"))),
      ).rejects.toThrow(/division by zero/);
    } finally {
      await handle.close();
    }
  });
});

describe("createDb with a Postgres URL", () => {
  it("never shows the password in its location", async () => {
    // postgres.js connects lazily, so nothing is contacted here.
    const handle = createDb({ url: "postgres://parley:hunter2@db.internal:5432/parley" });
    try {
      expect(handle.driver).toBe("postgres");
      expect(handle.location).not.toContain("hunter2");
      expect(handle.location).toBe("postgres://parley:***@db.internal:5432/parley");
    } finally {
      await handle.close();
    }
  });
});

describe("readDatabaseEnv", () => {
  it.each(["mysql://localhost/parley", "http://localhost/parley", "not a url", " "])(
    "rejects DATABASE_URL=%j with a message naming DATABASE_URL",
    (value) => {
      expect(() => readDatabaseEnv({ DATABASE_URL: value })).toThrow(/DATABASE_URL/);
    },
  );

  it("accepts postgres:// and postgresql:// URLs", () => {
    for (const url of ["postgres://postgres@127.0.0.1:5432/parley", "postgresql://user:secret@db/parley"]) {
      expect(readDatabaseEnv({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
    }
  });

  it("falls back to PGlite in .data when nothing is set", () => {
    expect(readDatabaseEnv({ DATABASE_URL: "", DATA_DIR: "" })).toEqual({
      DATABASE_URL: undefined,
      DATA_DIR: ".data",
    });
    expect(readDatabaseEnv({ DATA_DIR: "/var/lib/parley" }).DATA_DIR).toBe("/var/lib/parley");
  });
});
