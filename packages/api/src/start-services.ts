import type { Agent } from "node:https";

import { Redis } from "ioredis";

import { createSessionCache, systemClock, type Clock } from "@parley/auth";
import type { Database } from "@parley/db/client";

import { startCallSweeper } from "./call-sweeper";
import { createLocalAttemptLocks, createRedisAttemptLocks } from "./attempt-locks";
import { createMessageWriter } from "./domain/message-writer";
import { silentLogger, type Logger } from "./logger";
import { startExpirySweeper } from "./expiry-sweeper";
import { startMaintenance } from "./maintenance";
import { FairShare } from "./fair-share";
import { defaultTransportLimits } from "./transport/limits";
import { createMetrics } from "./metrics";
import { createRateLimiter, createRedisRateLimiter, type RateLimiter, type RateLimitOptions } from "./rate-limit";
import { createMemoryBus, type EventBus } from "./realtime/bus";
import { EventFeed } from "./realtime/feed";
import { createLocalPresence } from "./realtime/presence";
import { createRedisPresence } from "./realtime/presence-redis";
import { startPushPlanner } from "./push/planner";
import { pushServiceList } from "./push/push-services";
import { startPushSender } from "./push/sender";
import { loadVapidKeys, type VapidKeys } from "./push/vapid";
import { createRedisBus, eventLogNamespace, redisRetryDelayMs } from "./realtime/redis-bus";
import { createTypingService, typingRate } from "./realtime/typing";
import { createLocalViewing, createRedisViewing } from "./realtime/viewing";
import type { MediaLimits, ParleyConfig, ParleyServices } from "./services";
import { deleteBlobs, sweepUnsentUploads } from "./domain/attachments";
import { sweepUnusedAvatarUploads } from "./domain/avatars";
import { defaultUploadTypes } from "./env";
import type { BlobStoreConfig } from "./storage/blob-store";
import { createBlobStore } from "./storage/create-blob-store";
import { uploadDefaultMaxBytes } from "@parley/db/limits";

/** How often uploads that were never sent are looked for (they go a day after their creation). */
const uploadSweepIntervalMs = 10 * 60 * 1_000;

export interface StartServicesOptions {
  db: Database;
  config: ParleyConfig;
  /** With a URL, events fan out through Redis to every Parley process sharing it. */
  redisUrl?: string;
  clock?: Clock;
  logger?: Logger;
  feedPollIntervalMs?: number;
  /** Attachment storage; absent: a folder `media` under the working directory's `.data`. */
  blobStore?: BlobStoreConfig;
  /** Redis presence timing: how often a process proves it is alive, and when silence means it is gone. */
  presenceTiming?: { heartbeatMs: number; nodeTtlMs: number };
  /** Web Push: the VAPID keys (default: made once and kept in the database) and subject. */
  push?: PushOptions;
}

export interface PushOptions {
  vapidKeys?: VapidKeys;
  /** VAPID_SUBJECT: a mailto: or https: URL push services may contact. */
  subject?: string;
  /** PUSH_SERVICE_HOSTS: where subscriptions may point (default: the browsers' push services). */
  serviceHosts?: readonly string[];
  /** For push services behind a private certificate authority (tests). */
  agent?: Agent;
  /** The first retry's delay, doubling after each failure. */
  retryBaseMs?: number;
  /** Pushes sent per round (tests that stop a server in the middle of a queue). */
  batchSize?: number;
}

/** Used when VAPID_SUBJECT is not set; push services accept it, and operators should set their own. */
export const defaultVapidSubject = "mailto:push@parley.invalid";

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
  const media: MediaLimits = {
    maxUploadBytes: uploadDefaultMaxBytes,
    allowedTypes: defaultUploadTypes,
    uploadsPerMinute: 30,
    ...options.config.media,
  };
  const blobStore = createBlobStore(options.blobStore ?? { driver: "local", directory: ".data/media" });
  const uploadSweeper = setInterval(() => {
    const sweepServices = { db: options.db, blobStore, clock, logger };
    Promise.all([sweepUnsentUploads(sweepServices), sweepUnusedAvatarUploads(sweepServices)]).catch((error: unknown) =>
      logger.warn({ err: String(error) }, "unsent upload sweep failed"),
    );
  }, uploadSweepIntervalMs);
  uploadSweeper.unref();
  const messageWriter = createMessageWriter({ db: options.db, now: () => clock.now(), publish: (events) => feed.publish(events) });
  const callSweeper = startCallSweeper({ db: options.db, feed, clock, logger });
  const viewing =
    limitsRedis && redis
      ? createRedisViewing({ redis: limitsRedis, prefix: `parley:${redis.namespace}:viewing`, clock, logger })
      : createLocalViewing({ clock });
  const vapidKeys = await loadVapidKeys(options.db, options.push?.vapidKeys);
  const pushServices = pushServiceList(options.push?.serviceHosts);
  const pushSender = startPushSender({
    db: options.db,
    vapidKeys,
    pushServices,
    subject: options.push?.subject ?? defaultVapidSubject,
    logger,
    agent: options.push?.agent,
    retryBaseMs: options.push?.retryBaseMs,
    batchSize: options.push?.batchSize,
  });
  const pushPlanner = startPushPlanner({
    db: options.db,
    viewing,
    clock,
    logger,
    onQueued: () => void pushSender.send().catch((error: unknown) => logger.warn({ err: String(error) }, "push sending failed")),
  });
  // A new message or a read is planned within pushPlanWakeDelayMs; the planner's own poll catches
  // what the bus lost.
  feed.observe(({ event, userId }) => {
    if (event.type === "message.created" || event.type === "receipt.read") {
      pushPlanner.wake();
    } else if (event.type === "session.revoked" && userId !== null) {
      // The session's row, and with it its push subscription, is gone; so is what it had on screen.
      void viewing.forgetSession(userId, event.sessionId).catch(() => {});
    }
  });
  const expirySweeper = startExpirySweeper({
    db: options.db,
    clock,
    logger,
    publish: (events) => feed.publish(events),
    deleteBlobs: (keys) => deleteBlobs({ blobStore, logger }, keys),
  });
  return {
    db: options.db,
    bus,
    feed,
    sessions,
    messageWriter,
    metrics: createMetrics({ db: options.db, bus, messageWriter, logger }),
    presence: redisPresence ?? createLocalPresence({ db: options.db, feed }),
    viewing,
    push: { publicKey: vapidKeys.publicKey, services: pushServices },
    typing: createTypingService({ feed, clock, limiter: limiter("typing", typingRate) }),
    callSweeper,
    callSignalLimiter: limiter("call-signal", callSignalRate),
    sendLimiter: limiter("send", options.config.sendRate),
    uploadLimiter: limiter("upload", { burst: media.uploadsPerMinute, perSecond: media.uploadsPerMinute / 60 }),
    blobStore,
    signUpLimiter,
    fairShare: new FairShare({
      runningPerCaller: options.config.transportLimits?.maxCallsRunningPerCaller ?? defaultTransportLimits.maxCallsRunningPerCaller,
    }),
    loginAttempts:
      limitsRedis && redis
        ? createRedisAttemptLocks({ redis: limitsRedis, prefix: `parley:${redis.namespace}:login-attempt`, logger })
        : createLocalAttemptLocks(),
    clock,
    logger,
    config: { ...options.config, media },
    stop: async () => {
      // Presence announces its departures over the bus, so it stops first.
      await redisPresence?.stop();
      await maintenance.stop();
      clearInterval(uploadSweeper);
      await expirySweeper.stop();
      await pushPlanner.stop();
      await pushSender.stop();
      await callSweeper.stop();
      await feed.stop();
      limitsRedis?.disconnect();
    },
  };
}
