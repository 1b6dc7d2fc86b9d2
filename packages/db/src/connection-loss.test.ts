import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";

import { createDb } from "./client";
import { onPostgres, testDatabaseUrl } from "./testing";

/*
 * postgres.js 3.4.9 writes a transaction's ROLLBACK to a connection whose socket has already
 * closed, from a setImmediate nobody can catch: the process died with "Cannot read properties of
 * null (reading 'write')" (patches/postgres+3.4.9.patch). Here a transaction's own backend is
 * ended while its statement runs, as a restart or failover of the server does.
 */

describe.skipIf(!onPostgres)("a connection lost inside a transaction", () => {
  const handle = createDb({ url: testDatabaseUrl, maxConnections: 2 });
  const killer = postgres(testDatabaseUrl ?? "", { max: 1, onnotice: () => {} });

  afterAll(async () => {
    await handle.close();
    await killer.end({ timeout: 5 });
  });

  it("rejects with a connection error, throws nothing uncaught, and the pool serves the next query", async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on("uncaughtException", onUncaught);
    try {
      // Several rounds: each reconnect must start clean (the driver used to answer the next
      // transaction with the previous connection's error, or lose the connection from the pool).
      for (let round = 0; round < 4; round += 1) {
        let pid: number | null = null;
        const transaction = handle.db.transaction(async (tx) => {
          const rows = (await tx.execute(sql`select pg_backend_pid() as pid`)) as unknown as { pid: number }[];
          pid = rows[0]?.pid ?? null;
          await tx.execute(sql`select pg_sleep(3)`);
        });
        const failure = transaction.then(
          () => null,
          (error: unknown) => error,
        );
        const waitedSince = Date.now();
        while (pid === null && Date.now() - waitedSince < 10_000) await new Promise((resolve) => setTimeout(resolve, 20));
        expect(pid, `round ${round}: the transaction never started (${String(await Promise.race([failure, null]))})`).not.toBeNull();
        await killer`select pg_terminate_backend(${pid})`;
        expect(await failure).toMatchObject({ code: "CONNECTION_CLOSED" });
        // Time for any stray immediate to run.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(uncaught).toEqual([]);
      await expect(handle.ping()).resolves.toBeUndefined();
    } finally {
      process.off("uncaughtException", onUncaught);
    }
  });
});
