/**
 * This process's Prometheus series. The hot path only bumps counters and histograms without
 * per-user or per-conversation labels; everything that is a state (connections to the database,
 * the bus, the send writer's totals) is read when Prometheus scrapes, not tracked as it changes.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { TRPCError } from "@trpc/server";
import { sql } from "drizzle-orm";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

import type { Database } from "@parley/db/client";

import type { MessageWriter } from "./domain/message-writer";
import { DomainError, postgresErrorCode } from "./errors";
import type { Logger } from "./logger";
import type { EventBus } from "./realtime/bus";

/** From a millisecond to ten seconds: a send or a delivery past that is an outage, not a latency. */
const latencyBucketsSeconds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** How long a scrape waits for the database's view of this process's connections. */
const databaseScrapeTimeoutMs = 2_000;

export type SendResult = "acknowledged" | "refused" | "failed";

export interface ParleyMetrics {
  readonly registry: Registry;
  /** `messages.send` calls: stored (or found stored), refused by a rule or the rate, failed. */
  readonly sends: Counter<"result">;
  /** Seconds from a send's arrival to its acknowledgement, acknowledged sends only. */
  readonly sendSeconds: Histogram;
  /** Seconds from a new message's commit (its `createdAt`) to its write on a subscriber's socket, live events only. */
  readonly deliveryLagSeconds: Histogram;
  readonly webSocketConnections: Gauge;
  readonly streamSubscriptions: Gauge;
  /** Typed errors answered by procedures, by tRPC code. */
  readonly apiErrors: Counter<"code">;
  /** TOO_MANY_REQUESTS answers (send rate, login throttle), by procedure. */
  readonly rateLimitRefusals: Counter<"procedure">;
  /** Calls that failed on the database (a Postgres error or a lost connection). */
  readonly databaseErrors: Counter;
  /** Counts one procedure's error; procedures call it through their shared middleware. */
  recordProcedureError: (error: TRPCError, path: string) => void;
  /** Times and counts one send. */
  measureSend: <TResult>(send: () => Promise<TResult>) => Promise<TResult>;
}

export interface MetricSources {
  db: Database;
  bus: Pick<EventBus, "kind" | "connected">;
  messageWriter: Pick<MessageWriter, "stats">;
  logger: Logger;
}

/** Whether a failure came from the database: a Postgres error, or the driver losing its connection. */
function isDatabaseFailure(error: unknown): boolean {
  if (postgresErrorCode(error)) return true;
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^(CONNECTION_|CONNECT_TIMEOUT|ECONNREFUSED|ECONNRESET|EPIPE)/.test(code)) return true;
  }
  return false;
}

interface ConnectionStateRow {
  state: string | null;
  connections: number;
}

/**
 * This process's database connections by state, as Postgres sees them: the driver names each
 * pool's connections with one application_name, which the query reads from its own session.
 * Null on PGlite, which has no pool.
 */
async function readDatabaseConnections(db: Database): Promise<ConnectionStateRow[] | null> {
  const result = (await db.execute(sql`
    select coalesce(state, 'unknown') as state, count(*)::int as connections
    from pg_stat_activity
    where current_setting('application_name') <> '' and application_name = current_setting('application_name')
    group by 1`)) as unknown as ConnectionStateRow[] | { rows: ConnectionStateRow[] };
  const rows = Array.isArray(result) ? result : result.rows;
  return rows.length > 0 ? rows : null;
}

/** What the expiry sweeper has still to do, read as it reads it (the partial index on expires_at). */
async function readExpiryBacklog(db: Database): Promise<number> {
  const result = (await db.execute(sql`
    select count(*)::int as due from messages
    where expires_at is not null and deleted_at is null and expires_at <= now()`)) as unknown as { due: number }[] | { rows: { due: number }[] };
  const rows = Array.isArray(result) ? result : result.rows;
  return rows[0]?.due ?? 0;
}

/** Notifications queued and not yet delivered (due now or waiting for a retry), for every node. */
async function readPushBacklog(db: Database): Promise<number> {
  const result = (await db.execute(sql`select count(*)::int as queued from push_outbox`)) as unknown as
    | { queued: number }[]
    | { rows: { queued: number }[] };
  const rows = Array.isArray(result) ? result : result.rows;
  return rows[0]?.queued ?? 0;
}

function withTimeout<TValue>(promise: Promise<TValue>, timeoutMs: number): Promise<TValue> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Builds the registry and its series; start-services.ts makes one per process. */
export function createMetrics(sources: MetricSources): ParleyMetrics {
  const registry = new Registry();
  const registers = [registry];

  const sends = new Counter({ name: "parley_sends_total", help: "messages.send calls by result", labelNames: ["result"] as const, registers });
  const sendSeconds = new Histogram({
    name: "parley_send_duration_seconds",
    help: "Seconds from a send's arrival to its acknowledgement (after the commit)",
    buckets: latencyBucketsSeconds,
    registers,
  });
  const deliveryLagSeconds = new Histogram({
    name: "parley_delivery_lag_seconds",
    help: "Seconds from a new message's commit to its write on a subscriber's WebSocket (live delivery, not resume backfill)",
    buckets: latencyBucketsSeconds,
    registers,
  });
  const webSocketConnections = new Gauge({ name: "parley_websocket_connections", help: "Open WebSocket connections", registers });
  const streamSubscriptions = new Gauge({ name: "parley_stream_subscriptions", help: "Live events.stream subscriptions", registers });
  const apiErrors = new Counter({ name: "parley_api_errors_total", help: "Errors answered by procedures, by tRPC code", labelNames: ["code"] as const, registers });
  const rateLimitRefusals = new Counter({
    name: "parley_rate_limit_refusals_total",
    help: "TOO_MANY_REQUESTS answers, by procedure",
    labelNames: ["procedure"] as const,
    registers,
  });
  const databaseErrors = new Counter({ name: "parley_database_errors_total", help: "Procedure calls that failed on the database", registers });

  new Gauge({
    name: "parley_database_connections",
    help: "This process's database connections by state (Postgres's pg_stat_activity; absent on PGlite)",
    labelNames: ["state"] as const,
    registers,
    async collect() {
      this.reset();
      try {
        const rows = await withTimeout(readDatabaseConnections(sources.db), databaseScrapeTimeoutMs);
        for (const row of rows ?? []) this.set({ state: row.state ?? "unknown" }, row.connections);
      } catch (error) {
        sources.logger.warn({ err: String(error) }, "metrics: database connections unreadable");
      }
    },
  });
  new Gauge({
    name: "parley_event_bus_connected",
    help: "1 while the event bus can carry events between processes (always 1 for the in-process bus)",
    labelNames: ["kind"] as const,
    registers,
    collect() {
      this.set({ kind: sources.bus.kind }, sources.bus.connected() ? 1 : 0);
    },
  });
  new Counter({
    name: "parley_send_batches_total",
    help: "Batches the send writer stored (one statement and transaction each)",
    registers,
    collect() {
      this.reset();
      this.inc(sources.messageWriter.stats().batches);
    },
  });
  new Counter({
    name: "parley_send_batched_messages_total",
    help: "Sends the send writer stored in its batches",
    registers,
    collect() {
      this.reset();
      this.inc(sources.messageWriter.stats().sends);
    },
  });
  new Counter({
    name: "parley_send_retried_alone_total",
    help: "Sends stored again one by one because the batch they were in failed as a whole",
    registers,
    collect() {
      this.reset();
      this.inc(sources.messageWriter.stats().sendsRetriedAlone);
    },
  });
  new Gauge({
    name: "parley_expiry_backlog_messages",
    help: "Disappearing messages past their expiry that the sweeper has not purged yet (one queue for all nodes)",
    registers,
    async collect() {
      try {
        this.set(await withTimeout(readExpiryBacklog(sources.db), databaseScrapeTimeoutMs));
      } catch (error) {
        this.reset();
        sources.logger.warn({ err: String(error) }, "metrics: expiry backlog unreadable");
      }
    },
  });
  new Gauge({
    name: "parley_push_queue_notifications",
    help: "Push notifications queued and not yet delivered, including those waiting for a retry (one queue for all nodes)",
    registers,
    async collect() {
      try {
        this.set(await withTimeout(readPushBacklog(sources.db), databaseScrapeTimeoutMs));
      } catch (error) {
        this.reset();
        sources.logger.warn({ err: String(error) }, "metrics: push queue unreadable");
      }
    },
  });
  new Gauge({
    name: "parley_send_largest_batch",
    help: "The largest batch of sends the writer has stored",
    registers,
    collect() {
      this.set(sources.messageWriter.stats().largestBatch);
    },
  });

  return {
    registry,
    sends,
    sendSeconds,
    deliveryLagSeconds,
    webSocketConnections,
    streamSubscriptions,
    apiErrors,
    rateLimitRefusals,
    databaseErrors,
    recordProcedureError: (error, path) => {
      apiErrors.inc({ code: error.code });
      if (error.code === "TOO_MANY_REQUESTS") rateLimitRefusals.inc({ procedure: path });
      else if (error.code === "INTERNAL_SERVER_ERROR" && isDatabaseFailure(error.cause)) databaseErrors.inc();
    },
    measureSend: async (send) => {
      const startedAt = performance.now();
      try {
        const result = await send();
        sends.inc({ result: "acknowledged" });
        sendSeconds.observe((performance.now() - startedAt) / 1_000);
        return result;
      } catch (error) {
        const refused = error instanceof DomainError || (error instanceof TRPCError && error.code !== "INTERNAL_SERVER_ERROR");
        sends.inc({ result: refused ? "refused" : "failed" });
        throw error;
      }
    },
  };
}

/** A metrics listener: its URL, and how to stop it. */
export interface MetricsServer {
  url: string;
  close: () => Promise<void>;
}

/**
 * Serves `/metrics` on its own port (METRICS_PORT), apart from the public one, so that a load
 * balancer never exposes it. Adds Node's process series (CPU, memory, GC, event-loop lag) to the
 * registry: they cost a timer, so only a process that is scraped pays for them.
 */
export async function serveMetrics(options: { metrics: ParleyMetrics; port: number; host: string; logger: Logger }): Promise<MetricsServer> {
  const { registry } = options.metrics;
  collectDefaultMetrics({ register: registry });
  const server = createServer((request, response) => {
    if (request.method !== "GET" || new URL(request.url ?? "/", "http://localhost").pathname !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("Not found");
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { "content-type": registry.contentType }).end(text),
      (error: unknown) => {
        options.logger.error({ err: String(error) }, "metrics: collection failed");
        response.writeHead(500, { "content-type": "text/plain" }).end("Metrics collection failed");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
