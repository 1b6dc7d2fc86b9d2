import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";

/** The little SQL surface the baseline server and the seeders need, over either engine. */
export interface SqlClient {
  query: <TRow = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<TRow[]>;
  /** Runs `work` in one transaction on one connection. */
  transaction: <TResult>(work: (client: Pick<SqlClient, "query">) => Promise<TResult>) => Promise<TResult>;
  close: () => Promise<void>;
}

/** A database location: a postgres:// URL, or a PGlite data folder. */
export type DatabaseLocation = { kind: "postgres"; url: string } | { kind: "pglite"; dataDir: string };

export function openSqlClient(location: DatabaseLocation, options: { maxConnections?: number } = {}): SqlClient {
  if (location.kind === "postgres") {
    const sql = postgres(location.url, { max: options.maxConnections ?? 10, onnotice: () => {}, prepare: true });
    const query = async <TRow>(text: string, params: unknown[] = []) =>
      (await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true })) as unknown as TRow[];
    return {
      query,
      transaction: async (work) =>
        (await sql.begin(async (tx) =>
          work({
            query: async <TRow>(text: string, params: unknown[] = []) =>
              (await tx.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true })) as unknown as TRow[],
          }),
        )) as never,
      close: () => sql.end({ timeout: 5 }),
    };
  }
  const pglite = new PGlite(location.dataDir);
  const query = async <TRow>(text: string, params: unknown[] = []) => (await pglite.query<TRow>(text, params)).rows;
  return {
    query,
    transaction: (work) =>
      pglite.transaction(async (tx) =>
        work({ query: async <TRow>(text: string, params: unknown[] = []) => (await tx.query<TRow>(text, params)).rows }),
      ),
    close: () => pglite.close(),
  };
}

/** The same surface over a @parley/db handle, for seeding through the connection Parley's tools use. */
export function sqlClientOf(handle: { postgres?: postgres.Sql; pglite?: PGlite; close: () => Promise<void> }): SqlClient {
  if (handle.postgres) {
    const sql = handle.postgres;
    return {
      query: async <TRow>(text: string, params: unknown[] = []) =>
        (await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as unknown as TRow[],
      transaction: async (work) =>
        (await sql.begin(async (tx) =>
          work({
            query: async <TRow>(text: string, params: unknown[] = []) =>
              (await tx.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as unknown as TRow[],
          }),
        )) as never,
      close: handle.close,
    };
  }
  const pglite = handle.pglite;
  if (!pglite) throw new Error("database handle has neither postgres.js nor PGlite");
  return {
    query: async <TRow>(text: string, params: unknown[] = []) => (await pglite.query<TRow>(text, params)).rows,
    transaction: (work) =>
      pglite.transaction(async (tx) =>
        work({ query: async <TRow>(text: string, params: unknown[] = []) => (await tx.query<TRow>(text, params)).rows }),
      ),
    close: handle.close,
  };
}
