/**
 * Parley's one Node process: Next.js pages, tRPC over HTTP and tRPC over WebSocket (both on
 * /api/trpc, served here with the one services instance, never through Next.js), on one port.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";

import next from "next";
import { pino } from "pino";

import {
  clientAddressHeader,
  createClientAddressResolver,
  createNodeRequestListener,
  createWebSocketTransport,
  serveMetrics,
  startServices,
  trpcEndpoint,
} from "@parley/api";
import { InvalidEnvError } from "@parley/api/env";
import { createDb } from "@parley/db/client";
import { migrate } from "@parley/db/migrate";

import { loadDotEnvFile, readServerEnv, type ServerEnv } from "./src/env";
import { serveLiveness, serveReadiness } from "./src/server/health";
import { enforceRequestBodyLimit } from "./src/server/request-body-limit";
import { pageSecurityHeaders, setPageSecurityHeaders } from "./src/server/security-headers";

/** How long in-flight HTTP requests get to finish after SIGTERM before their sockets are cut. */
const productionDrainTimeoutMs = 10_000;
/** The whole shutdown's budget; past it the process exits non-zero rather than hang. */
const shutdownTimeoutMs = 20_000;

function loadEnv(): ServerEnv {
  try {
    loadDotEnvFile();
    return readServerEnv();
  } catch (error) {
    if (error instanceof InvalidEnvError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

/** The address to show people: wildcard and loopback binds are reachable as localhost. */
function displayHost(host: string): string {
  return ["0.0.0.0", "::", "127.0.0.1", "::1", "localhost"].includes(host) ? "localhost" : host;
}

/** The request's path, or null when it is not a valid URL path (Next.js would answer 500). */
function pathnameOf(request: IncomingMessage): string | null {
  try {
    const { pathname } = new URL(request.url ?? "/", "http://localhost");
    decodeURIComponent(pathname);
    return pathname;
  } catch {
    return null;
  }
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

const env = loadEnv();
const dev = env.nodeEnv === "development";
const logger = pino({ level: env.logLevel });

process.on("unhandledRejection", (reason) => {
  logger.error({ err: reason }, "unhandled promise rejection");
});

const database = createDb({ url: env.databaseUrl, dataDir: env.dataDir, ...env.limits.database });

/** A failed startup step ends the process with one structured log line naming the step. */
async function exitOnStartupFailure(step: string, error: unknown): Promise<never> {
  logger.fatal({ err: error, database: database.location }, `startup failed: ${step}`);
  await database.close().catch(() => {});
  process.exit(1);
}

await migrate(database).catch((error: unknown) => exitOnStartupFailure("database migration", error));
logger.info({ database: database.driver, location: database.location }, "database ready");

const services = await startServices({
  db: database.db,
  redisUrl: env.redisUrl,
  logger,
  config: {
    allowedOrigins: env.allowedOrigins,
    sendRate: env.sendRate,
    signUpRate: env.limits.signUpRate,
    transportLimits: env.limits.transportLimits,
    secureCookies: env.nodeEnv === "production",
    trustedProxies: env.trustedProxies,
    calls: env.calls,
  },
}).catch((error: unknown) => exitOnStartupFailure("starting services", error));
const handleTrpc = createNodeRequestListener(services);
const webSocket = createWebSocketTransport(services);
const clientAddress = createClientAddressResolver(env.trustedProxies);
const metricsServer =
  env.metricsPort === undefined
    ? null
    : await serveMetrics({ metrics: services.metrics, port: env.metricsPort, host: env.host, logger }).catch((error: unknown) =>
        exitOnStartupFailure(`serving metrics on METRICS_PORT ${env.metricsPort}`, error),
      );
if (metricsServer) logger.info({ url: metricsServer.url }, "metrics listening");

/*
 * Next.js hooks its dev-mode upgrade handler (hot reload) onto `httpServer`, or, without it, onto
 * the socket's server at the first request, where it would also see /api/trpc upgrades. It gets
 * this never-listening server instead, and the upgrade router below forwards only what is Next's.
 * (`app.getUpgradeHandler()` is a no-op in Next.js 16: hot reload only arrives through this hook.)
 */
const nextUpgrades = createServer();
const app = next({
  dev,
  dir: fileURLToPath(new URL(".", import.meta.url)),
  hostname: displayHost(env.host),
  port: env.port,
  httpServer: nextUpgrades,
});
await app.prepare().catch((error: unknown) =>
  exitOnStartupFailure(dev ? "preparing Next.js" : "loading the Next.js build (run `npm run build` first)", error),
);
const handleWithNext = app.getRequestHandler();
const securityHeaders = pageSecurityHeaders({ production: env.nodeEnv === "production" });

let shuttingDown = false;

async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
  // Login throttling keys on this header: the socket's peer, or the client a trusted proxy names.
  request.headers[clientAddressHeader] = clientAddress(request);
  const pathname = pathnameOf(request);
  if (pathname === null) {
    response.writeHead(400, { "content-type": "text/plain" }).end("Bad request URL");
    return;
  }
  if (pathname === "/healthz") return serveLiveness(response);
  if (pathname === "/readyz") {
    return serveReadiness(response, { pingDatabase: database.ping, isShuttingDown: () => shuttingDown });
  }
  if (!enforceRequestBodyLimit(request, response)) return;
  // The API is served here rather than by a Next.js route: the same path as the standalone node,
  // without Next's request handling on every call.
  if (pathname === trpcEndpoint || pathname.startsWith(`${trpcEndpoint}/`)) return handleTrpc(request, response);
  setPageSecurityHeaders(response, securityHeaders);
  await handleWithNext(request, response);
}

const server = createServer((request, response) => {
  handleRequest(request, response).catch((error: unknown) => {
    logger.error({ err: error, method: request.method, url: request.url }, "request failed");
    if (!response.headersSent) {
      response.writeHead(500, { "content-type": "text/plain" }).end("Internal server error");
    } else {
      response.destroy();
    }
  });
});

server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
  socket.on("error", (error) => logger.debug({ err: error }, "upgrade socket error"));
  if (shuttingDown) {
    refuseUpgrade(socket, 503, "Service Unavailable");
  } else if (webSocket.handles(request)) {
    webSocket.handleUpgrade(request, socket, head);
  } else if (dev && nextUpgrades.listenerCount("upgrade") > 0) {
    nextUpgrades.emit("upgrade", request, socket, head);
  } else {
    refuseUpgrade(socket, 404, "Not Found");
  }
});

async function shutdown(signal: string, exitCode: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info({ signal }, "shutting down");
  setTimeout(() => {
    logger.error({ timeoutMs: shutdownTimeoutMs }, "shutdown timed out");
    process.exit(1);
  }, shutdownTimeoutMs).unref();

  const drained = new Promise<void>((resolve) => server.close(() => resolve()));
  // Clients reconnect elsewhere and resume from their last event id, so nothing is lost.
  webSocket.broadcastReconnect();
  await webSocket.close();
  // In development a restart should be instant (tsx watch kills after 5 s), not wait for a compile.
  const drainTimer = setTimeout(() => server.closeAllConnections(), dev ? 0 : productionDrainTimeoutMs);
  await drained;
  clearTimeout(drainTimer);

  await app.close();
  await metricsServer?.close();
  await services.stop();
  await database.close();
  logger.info({ signal }, "stopped");
  process.exit(exitCode);
}

function shutdownOn(signal: NodeJS.Signals): void {
  process.on(signal, () => {
    shutdown(signal, 0).catch((error: unknown) => {
      logger.fatal({ err: error }, "shutdown failed");
      process.exit(1);
    });
  });
}
shutdownOn("SIGTERM");
shutdownOn("SIGINT");

process.on("uncaughtException", (error) => {
  logger.fatal({ err: error }, "uncaught exception");
  shutdown("uncaughtException", 1).catch(() => process.exit(1));
});

server.once("error", (error) => {
  logger.fatal({ err: error, host: env.host, port: env.port }, "could not listen");
  process.exit(1);
});
server.listen(env.port, env.host, () => {
  const url = `http://${displayHost(env.host)}:${env.port}`;
  const storage = database.driver === "pglite" ? `PGlite: ${database.location}` : `Postgres: ${database.location}`;
  logger.info(
    { url, host: env.host, port: env.port, database: database.driver, dev },
    `Parley listening on ${url} (${storage})`,
  );
});
