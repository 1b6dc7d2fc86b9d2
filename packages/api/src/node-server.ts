/**
 * A Parley node without Next.js: tRPC over HTTP and WebSocket on one port, through the same
 * transports as apps/web's server. Tests and benchmarks start several of these as separate
 * processes (`tsx node-server.ts`) to exercise multi-node delivery over Redis.
 *
 * Started with an IPC channel (child_process.fork), it reports `{ type: "listening", url }`
 * and answers `{ type: "stats" }` with its memory use and connection count.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { z } from "zod";

import { createDb } from "@parley/db/client";
import { migrate } from "@parley/db/migrate";

import type { Logger } from "./logger";
import { startServices } from "./start-services";
import { createNodeRequestListener } from "./transport/node";
import { createWebSocketTransport } from "./transport/websocket";

const logLevels = ["debug", "info", "warn", "error", "silent"] as const;

const envSchema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// URL" }).optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: "must be a redis:// URL" }).optional(),
  DATA_DIR: z.string().min(1).default(".data"),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65_535).default(0),
  LOG_LEVEL: z.enum(logLevels).default("warn"),
  SEND_RATE_BURST: z.coerce.number().int().positive().default(30),
  SEND_RATE_PER_SECOND: z.coerce.number().positive().default(10),
  DATABASE_POOL_SIZE: z.coerce.number().int().positive().default(10),
  FEED_POLL_INTERVAL_MS: z.coerce.number().int().positive().default(1_000),
  PRESENCE_HEARTBEAT_MS: z.coerce.number().int().positive().default(5_000),
  PRESENCE_NODE_TTL_MS: z.coerce.number().int().positive().default(30_000),
});

function readEnv() {
  const present = Object.fromEntries(
    Object.keys(envSchema.shape).map((name) => [name, process.env[name] === "" ? undefined : process.env[name]]),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${String(issue.path[0])}: ${issue.message}`);
    throw new Error(`Invalid environment configuration:\n${problems.join("\n")}`);
  }
  return parsed.data;
}

function createStderrLogger(level: (typeof logLevels)[number]): Logger {
  const threshold = logLevels.indexOf(level);
  const write = (name: (typeof logLevels)[number]) => (fields: object, message: string) => {
    if (logLevels.indexOf(name) < threshold) return;
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
}

async function main(): Promise<void> {
  const env = readEnv();
  const logger = createStderrLogger(env.LOG_LEVEL);
  const database = createDb(
    env.DATABASE_URL ? { url: env.DATABASE_URL, maxConnections: env.DATABASE_POOL_SIZE } : { dataDir: env.DATA_DIR },
  );
  await migrate(database);
  const services = await startServices({
    db: database.db,
    redisUrl: env.REDIS_URL,
    logger,
    feedPollIntervalMs: env.FEED_POLL_INTERVAL_MS,
    presenceTiming: { heartbeatMs: env.PRESENCE_HEARTBEAT_MS, nodeTtlMs: env.PRESENCE_NODE_TTL_MS },
    config: {
      allowedOrigins: [],
      sendRate: { burst: env.SEND_RATE_BURST, perSecond: env.SEND_RATE_PER_SECOND },
      secureCookies: false,
    },
  });
  const listener = createNodeRequestListener(services);
  const webSocket = createWebSocketTransport(services);
  const server = createServer((request, response) => {
    if (request.url === "/healthz") {
      response.end("ok");
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
  logger.info({ url, database: database.location, redis: Boolean(env.REDIS_URL) }, "parley node listening");
  process.stdout.write(`${JSON.stringify({ listening: url })}\n`);
  process.send?.({ type: "listening", url });

  process.on("message", (message: unknown) => {
    if (typeof message !== "object" || message === null || (message as { type?: unknown }).type !== "stats") return;
    // A collection first, so the figures count live objects rather than garbage.
    (globalThis as { gc?: () => void }).gc?.();
    const memory = process.memoryUsage();
    const stats: NodeServerStats = {
      type: "stats",
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      externalBytes: memory.external,
      arrayBuffersBytes: memory.arrayBuffers,
      webSocketConnections: webSocket.connectionCount(),
    };
    process.send?.(stats);
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    webSocket.broadcastReconnect();
    server.close();
    await webSocket.close();
    server.closeAllConnections();
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
