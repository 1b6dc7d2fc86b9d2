import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";

import type { DatabaseHandle } from "@parley/db/client";

/** The little SQL surface the baseline server and the seeders need, over either engine. */
export interface SqlClient {
  query: <TRow = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<TRow[]>;
  /** Runs `work` in one transaction on one connection. */
  transaction: <TResult>(work: (client: Pick<SqlClient, "query">) => Promise<TResult>) => Promise<TResult>;
  /** Statements sent to the database so far, counted as @parley/db's handle counts them (null: not counted). */
  statementCount: () => number | null;
  close: () => Promise<void>;
}

/** A database location: a postgres:// URL, or a PGlite data folder. */
export type DatabaseLocation = { kind: "postgres"; url: string } | { kind: "pglite"; dataDir: string };

export function openSqlClient(location: DatabaseLocation, options: { maxConnections?: number } = {}): SqlClient {
  if (location.kind === "postgres") {
    let statements = 0;
    const sql = postgres(location.url, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      prepare: true,
      // Called once for every query the driver writes to a connection, as in @parley/db's createDb.
      debug: () => {
        statements += 1;
      },
    });
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
      statementCount: () => statements,
      close: () => sql.end({ timeout: 5 }),
    };
  }
  const pglite = new PGlite(location.dataDir);
  return { ...pgliteSqlClient(pglite, () => pglite.close()), statementCount: countStatementsSentTo(pglite) };
}

/** The same surface over a @parley/db handle, for seeding through the connection Parley's tools use. */
export function sqlClientOf(handle: Pick<DatabaseHandle, "postgres" | "pglite" | "close" | "statementCount">): SqlClient {
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
      statementCount: handle.statementCount,
      close: handle.close,
    };
  }
  if (!handle.pglite) throw new Error("database handle has neither postgres.js nor PGlite");
  return { ...pgliteSqlClient(handle.pglite, handle.close), statementCount: handle.statementCount };
}

function pgliteSqlClient(pglite: PGlite, close: () => Promise<void>): Omit<SqlClient, "statementCount"> {
  return {
    query: async <TRow>(text: string, params: unknown[] = []) => (await pglite.query<TRow>(text, params)).rows,
    transaction: (work) =>
      pglite.transaction(async (tx) =>
        work({ query: async <TRow>(text: string, params: unknown[] = []) => (await tx.query<TRow>(text, params)).rows }),
      ),
    close,
  };
}

/*
 * The baseline stays free of Parley's packages, so it counts PGlite's statements itself, at the
 * same door as @parley/db's createDb: each simple Query ('Q') or Execute ('E') message handed to
 * the engine, whichever PGlite call (query, exec, transaction, execProtocol*) sent it.
 */
function countStatementsSentTo(pglite: PGlite): () => number {
  let statements = 0;
  const execute = pglite.execProtocolRawSync.bind(pglite);
  pglite.execProtocolRawSync = (message: Uint8Array) => {
    statements += statementsIn(message);
    return execute(message);
  };
  return () => statements;
}

const simpleQueryMessage = 0x51; // 'Q'
const executeMessage = 0x45; // 'E'

/** Walks a buffer of frontend messages: a type byte, then a big-endian length that counts itself. */
function statementsIn(message: Uint8Array): number {
  // A leading zero byte is the startup packet, which has no type byte.
  if (message[0] === 0) return 0;
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  let count = 0;
  for (let offset = 0; offset + 5 <= message.length; ) {
    const type = message[offset];
    if (type === simpleQueryMessage || type === executeMessage) count += 1;
    const length = view.getUint32(offset + 1);
    if (length < 4) break;
    offset += 1 + length;
  }
  return count;
}
