import { Redis } from "ioredis";

import { createSessionCache, systemClock, type Clock } from "@parley/auth";
import type { Database } from "@parley/db/client";

import { startCallSweeper } from "./call-sweeper";
import { createLocalAttemptLocks, createRedisAttemptLocks } from "./attempt-locks";
import { createMessageWriter } from "./domain/message-writer";
import { silentLogger, type Logger } from "./logger";
import { startExpirySweeper } from "./expiry-sweeper";
import { startMaintenance } from "./maintenance";
import { createMetrics } from "./metrics";
import { createRateLimiter, createRedisRateLimiter, type RateLimiter, type RateLimitOptions } from "./rate-limit";
import { createMemoryBus, type EventBus } from "./realtime/bus";
import { EventFeed } from "./realtime/feed";
import { createLocalPresence } from "./realtime/presence";
import { createRedisPresence } from "./realtime/presence-redis";
import { createRedisBus, eventLogNamespace, redisRetryDelayMs } from "./realtime/redis-bus";
import { createTypingService, typingRate } from "./realtime/typing";
import type { ParleyConfig, ParleyServices } from "./services";

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

/** Per device: an offer or answer plus trickled candidates is a few dozen signals per call. */
const callSignalRate: RateLimitOptions = { burst: 60, perSecond: 10 };

/** The composition root: builds each service once per process, for request handlers to share. */
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
  const sessions = createSessionCache({ db: options.db, clock });
  // Every node's feed sees every revocation within the bus's latency (the log poll's, at worst).
  feed.observe(({ event }) => {
    if (event.type === "session.revoked") sessions.forgetSession(event.sessionId);
    else if (event.type === "profile.updated") sessions.forgetUser(event.user.id);
  });
  await feed.start();
  // With Redis, a user is online while any process holds a live subscription for them.
  const redisPresence = redis ? createRedisPresence({ ...redis, ...options.presenceTiming, db: options.db, feed, logger }) : undefined;
  const maintenance = startMaintenance({ db: options.db, clock, logger });
  // Limits live in Redis when there is one, so that each node does not add its own allowance.
  const limitsRedis = redis
    ? new Redis(redis.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: redisRetryDelayMs })
    : undefined;
  limitsRedis?.on("error", () => {
    // Each limiter falls back to per-process limits and says so; the client reconnects by itself.
  });
  const limiter = (name: string, rate: RateLimitOptions): RateLimiter => {
    const local = createRateLimiter({ ...rate, clock });
    if (!limitsRedis || !redis) return local;
    return createRedisRateLimiter({ ...rate, redis: limitsRedis, prefix: `parley:${redis.namespace}:limit:${name}`, fallback: local, logger });
  };
  const signUpLimiter = options.config.signUpRate ? limiter("sign-up", options.config.signUpRate) : null;
  const messageWriter = createMessageWriter({ db: options.db, now: () => clock.now(), publish: (events) => feed.publish(events) });
  const callSweeper = startCallSweeper({ db: options.db, feed, clock, logger });
  const expirySweeper = startExpirySweeper({ db: options.db, clock, logger, publish: (events) => feed.publish(events) });
  return {
    db: options.db,
    bus,
    feed,
    sessions,
    messageWriter,
    metrics: createMetrics({ db: options.db, bus, messageWriter, logger }),
    presence: redisPresence ?? createLocalPresence({ db: options.db, feed }),
    typing: createTypingService({ feed, clock, limiter: limiter("typing", typingRate) }),
    callSweeper,
    callSignalLimiter: limiter("call-signal", callSignalRate),
    sendLimiter: limiter("send", options.config.sendRate),
    signUpLimiter,
    loginAttempts:
      limitsRedis && redis
        ? createRedisAttemptLocks({ redis: limitsRedis, prefix: `parley:${redis.namespace}:login-attempt`, logger })
        : createLocalAttemptLocks(),
    clock,
    logger,
    config: options.config,
    stop: async () => {
      // Presence announces its departures over the bus, so it stops first.
      await redisPresence?.stop();
      await maintenance.stop();
      await expirySweeper.stop();
      await callSweeper.stop();
      await feed.stop();
      limitsRedis?.disconnect();
    },
  };
}
