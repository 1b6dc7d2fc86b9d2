import { systemClock, type Clock } from "@parley/auth";
import type { Database } from "@parley/db/client";

import { createMemoryBus, type EventBus } from "./events/bus";
import { EventFeed } from "./events/feed";
import { createRedisBus, eventLogNamespace } from "./events/redis-bus";
import { silentLogger, type Logger } from "./logger";
import { startMaintenance } from "./maintenance";
import { createLocalPresence, type Presence } from "./presence";
import { createRedisPresence } from "./presence-redis";
import { createRateLimiter, type RateLimiter, type RateLimitOptions } from "./rate-limit";

export interface ParleyConfig {
  /** Origins allowed to make cookie-authenticated changes and WebSocket upgrades. */
  allowedOrigins: string[];
  /** Per-user message send allowance. */
  sendRate: RateLimitOptions;
  /** Adds `Secure` to the session cookie (production behind HTTPS). */
  secureCookies: boolean;
}

/** Everything a request handler may use; one instance per process. */
export interface ParleyServices {
  db: Database;
  feed: EventFeed;
  presence: Presence;
  sendLimiter: RateLimiter;
  clock: Clock;
  logger: Logger;
  config: ParleyConfig;
}

export interface StartServicesOptions {
  db: Database;
  config: ParleyConfig;
  /** With a URL, events fan out through Redis to every Parley process sharing it. */
  redisUrl?: string;
  clock?: Clock;
  logger?: Logger;
  feedPollIntervalMs?: number;
  /** Redis presence timing: how often a process proves it is alive, and when silence means it is gone. */
  presenceTiming?: { heartbeatMs: number; nodeTtlMs: number };
}

export async function startServices(
  options: StartServicesOptions,
): Promise<ParleyServices & { bus: EventBus; stop: () => Promise<void> }> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const redis = options.redisUrl
    ? { url: options.redisUrl, namespace: await eventLogNamespace(options.db) }
    : undefined;
  const bus = redis ? createRedisBus({ ...redis, logger }) : createMemoryBus();
  const feed = new EventFeed({
    db: options.db,
    bus,
    logger,
    pollIntervalMs: options.feedPollIntervalMs,
  });
  await feed.start();
  // With Redis, a user is online while any process holds a live subscription for them.
  const redisPresence = redis ? createRedisPresence({ ...redis, ...options.presenceTiming, db: options.db, feed, logger }) : undefined;
  const maintenance = startMaintenance({ db: options.db, clock, logger });
  return {
    db: options.db,
    bus,
    feed,
    presence: redisPresence ?? createLocalPresence({ db: options.db, feed }),
    sendLimiter: createRateLimiter({ ...options.config.sendRate, clock }),
    clock,
    logger,
    config: options.config,
    stop: async () => {
      // Presence announces its departures over the bus, so it stops first.
      await redisPresence?.stop();
      await maintenance.stop();
      await feed.stop();
    },
  };
}
