/**
 * A Parley node without Next.js: tRPC over HTTP and WebSocket on one port, through the same
 * transports as apps/web's server. Tests and benchmarks start several of these as separate
 * processes (`tsx node-server.ts`) to exercise multi-node delivery over Redis.
 *
 * Started with an IPC channel (child_process.fork), it reports `{ type: "listening", url }`
 * (with `metricsUrl` when METRICS_PORT is set) and answers `{ type: "stats" }` with its memory
 * use and connection count.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { createDb } from "@parley/db/client";
import { migrate } from "@parley/db/migrate";

import { callConfigFromEnv, limitsFromEnv, nodeServerEnvSchema, readEnv, type LogLevel } from "./env";
import type { Logger } from "./logger";
import { serveMetrics } from "./metrics";
import { startServices } from "./start-services";
import { createNodeRequestListener } from "./transport/node";
import { createWebSocketTransport } from "./transport/websocket";

/** How long calls in flight get to finish after SIGTERM before their sockets are cut. */
const drainTimeoutMs = 10_000;

/** pino's numeric values, so LOG_LEVEL means here what it means for the web server. */
const levelValues: Record<LogLevel, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

function createStderrLogger(level: LogLevel): Logger {
  const write = (name: keyof Logger) => (fields: object, message: string) => {
    if (levelValues[name] < levelValues[level]) return;
    process.stderr.write(`${JSON.stringify({ level: name, time: new Date().toISOString(), msg: message, ...fields })}\n`);
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

/** What the parent process receives for `{ type: "stats" }`. */
export interface NodeServerStats {
  type: "stats";
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  webSocketConnections: number;
  /** This process's CPU time since it started (`process.cpuUsage()`), read after the collection. */
  cpuUserMicros: number;
  cpuSystemMicros: number;
  /** Statements this node has sent to the database since it started. */
  /** Null unless started with COUNT_DATABASE_STATEMENTS=1. */
  databaseStatements: number | null;
}

/** A readiness probe must answer quickly whatever the database does. */
const readinessPingTimeoutMs = 1_000;

async function databaseAnswers(ping: () => Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      ping().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), readinessPingTimeoutMs);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<void> {
  const env = readEnv(nodeServerEnvSchema);
  const logger = createStderrLogger(env.LOG_LEVEL);
  const limits = limitsFromEnv(env);
  const database = createDb(
    {
      ...(env.DATABASE_URL
        ? { url: env.DATABASE_URL, maxConnections: env.DATABASE_POOL_SIZE, ...limits.database }
        : { dataDir: env.DATA_DIR }),
      countStatements: env.COUNT_DATABASE_STATEMENTS === "1",
    },
  );
  await migrate(database);
  const services = await startServices({
    db: database.db,
    redisUrl: env.REDIS_URL,
    logger,
    feedPollIntervalMs: env.FEED_POLL_INTERVAL_MS,
    presenceTiming: { heartbeatMs: env.PRESENCE_HEARTBEAT_MS, nodeTtlMs: env.PRESENCE_NODE_TTL_MS },
    config: {
      allowedOrigins: env.ALLOWED_ORIGINS ?? [],
      sendRate: { burst: env.SEND_RATE_BURST, perSecond: env.SEND_RATE_PER_SECOND },
      signUpRate: limits.signUpRate,
      transportLimits: limits.transportLimits,
      secureCookies: false,
      trustedProxies: env.TRUSTED_PROXIES,
      calls: callConfigFromEnv(env),
    },
  });
  const metricsServer =
    env.METRICS_PORT === undefined ? null : await serveMetrics({ metrics: services.metrics, port: env.METRICS_PORT, host: env.HOST, logger });
  const listener = createNodeRequestListener(services);
  const webSocket = createWebSocketTransport(services);
  const server = createServer((request, response) => {
    if (request.url === "/healthz") {
      response.end("ok");
      return;
    }
    if (request.url === "/readyz") {
      void databaseAnswers(database.ping).then((ready) => {
        response.writeHead(ready ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" });
        response.end(JSON.stringify({ ok: ready }));
      });
      return;
    }
    void listener(request, response);
  });
  server.on("upgrade", (request, socket, head) => {
    if (webSocket.handles(request)) webSocket.handleUpgrade(request, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(env.PORT, env.HOST, resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://${env.HOST}:${port}`;
  const metricsUrl = metricsServer?.url ?? null;
  logger.info({ url, metricsUrl, database: database.location, redis: Boolean(env.REDIS_URL) }, "parley node listening");
  process.stdout.write(`${JSON.stringify({ listening: url })}\n`);
  process.send?.({ type: "listening", url, metricsUrl });

  process.on("message", (message: unknown) => {
    if (typeof message !== "object" || message === null || (message as { type?: unknown }).type !== "stats") return;
    // A collection first, so the figures count live objects rather than garbage.
    (globalThis as { gc?: () => void }).gc?.();
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    const stats: NodeServerStats = {
      type: "stats",
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      externalBytes: memory.external,
      arrayBuffersBytes: memory.arrayBuffers,
      webSocketConnections: webSocket.connectionCount(),
      cpuUserMicros: cpu.user,
      cpuSystemMicros: cpu.system,
      databaseStatements: database.statementCount(),
    };
    process.send?.(stats);
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // Stop accepting first: a load balancer then passes new requests to another node.
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    webSocket.broadcastReconnect();
    await webSocket.close();
    // Calls in flight (a send being committed) are answered before their sockets close; idle
    // keep-alive sockets close as soon as they are idle, and nothing waits past the drain timeout.
    const idleSweep = setInterval(() => server.closeIdleConnections(), 50);
    const drainTimer = setTimeout(() => server.closeAllConnections(), drainTimeoutMs);
    await drained;
    clearInterval(idleSweep);
    clearTimeout(drainTimer);
    await metricsServer?.close();
    await services.stop();
    await database.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
  // The parent went away (a crashed test or benchmark): do not linger.
  process.on("disconnect", () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`parley node failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
