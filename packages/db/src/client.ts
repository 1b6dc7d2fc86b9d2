import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";

import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
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
  /**
   * Statements sent to the database through this handle so far, whoever issued them (Drizzle,
   * raw driver calls, the migrator), BEGIN and COMMIT included. A multi-statement simple query
   * counts once: it is one message to the server. Null unless created with `countStatements`.
   */
  statementCount: () => number | null;
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
  /** Postgres only: how long opening a connection may take before the query fails. */
  connectTimeoutMs?: number;
  /** Postgres only: the server cancels a statement running longer than this (0: never). */
  statementTimeoutMs?: number;
  /**
   * Count statements (the bench's statements per send). Off by default: postgres.js's per-query
   * hook captures a stack trace for every query and keeps each query's parameters on its errors.
   */
  countStatements?: boolean;
}

/** Defaults that keep every query's wait bounded while the database is away (see createDb). */
export const defaultConnectTimeoutMs = 2_000;
export const defaultStatementTimeoutMs = 5_000;
/** Longest pause before a closed connection is opened again; postgres.js's own grows to 20 s. */
const maxReconnectDelaySeconds = 0.5;

export function createDb(options: CreateDbOptions): DatabaseHandle {
  if (options.url) {
    let statements = 0;
    const client = postgres(options.url, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      // While Postgres is down each query fails fast instead of waiting: connecting is bounded,
      // a running statement is bounded by the server, a transaction left idle is ended, and a
      // closed connection is retried within half a second, so the pool follows the database
      // back within a second (the driver's own backoff reaches 20 s after a few failures).
      connect_timeout: (options.connectTimeoutMs ?? defaultConnectTimeoutMs) / 1_000,
      connection: {
        statement_timeout: options.statementTimeoutMs ?? defaultStatementTimeoutMs,
        idle_in_transaction_session_timeout: 2 * (options.statementTimeoutMs || defaultStatementTimeoutMs),
        // One name per pool, so that pg_stat_activity tells this process's connections apart (metrics).
        application_name: `parley-${randomUUID().slice(0, 8)}`,
      },
      backoff: (retries: number) => Math.min(0.05 * 2 ** retries, maxReconnectDelaySeconds),
      // Timestamps and ids stay in their Postgres text forms; Drizzle maps them.
      prepare: true,
      // Called once for every query the driver writes to a connection, tagged, unsafe, begin and commit alike.
      debug: options.countStatements
        ? () => {
            statements += 1;
          }
        : undefined,
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
      statementCount: () => (options.countStatements ? statements : null),
      close: () => client.end({ timeout: 5 }),
    };
  }

  let location = "memory";
  let pglite: PGlite;
  // Contrib extensions are loaded into the WASM build on start; migrations then CREATE EXTENSION them.
  const extensions = { pg_trgm };
  if (options.memory) {
    pglite = new PGlite({ extensions });
  } else {
    location = resolve(options.dataDir ?? ".data");
    mkdirSync(location, { recursive: true });
    pglite = new PGlite(location, { extensions });
  }
  takeTurnsWithTheEventLoop(pglite);
  const statementCount = options.countStatements ? countStatementsSentTo(pglite) : () => null;
  const db = drizzlePglite(pglite, { schema }) as unknown as Database;
  return {
    db,
    driver: "pglite",
    location,
    pglite,
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    statementCount,
    // Idempotent like postgres.js's end(): a second shutdown signal must not throw.
    close: async () => {
      if (!pglite.closed) await pglite.close();
    },
  };
}

/**
 * PGlite runs each statement on this thread, and hands its lock to the next waiting statement
 * within the event loop's current turn: a queue of a hundred statements would hold every socket
 * and timer until it drained. So calls line up here instead, and each starts on a turn of its own
 * once the one before it ended; the sockets are read in between. (Statements inside a
 * transaction run straight through, as they must.)
 */
function takeTurnsWithTheEventLoop(pglite: PGlite): void {
  let previous: Promise<unknown> = Promise.resolve();
  const inTurn = <TResult>(work: () => Promise<TResult>): Promise<TResult> => {
    // While PGlite starts it runs statements of its own through these same methods.
    if (!pglite.ready) return work();
    const turn = previous.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(work);
    previous = turn.catch(() => undefined);
    return turn;
  };
  const query = pglite.query.bind(pglite);
  const exec = pglite.exec.bind(pglite);
  const transaction = pglite.transaction.bind(pglite);
  pglite.query = ((...args: Parameters<typeof query>) => inTurn(() => query(...args))) as typeof pglite.query;
  pglite.exec = (...args) => inTurn(() => exec(...args));
  pglite.transaction = ((...args: Parameters<typeof transaction>) => inTurn(() => transaction(...args))) as typeof pglite.transaction;
}

/**
 * Counts statements at the one door every PGlite call goes through (query, exec, transaction,
 * execProtocol*): each simple Query ('Q') or Execute ('E') message handed to the engine.
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

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres";
  }
}
