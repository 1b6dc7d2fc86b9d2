import { randomUUID } from "node:crypto";

import { Redis } from "ioredis";

import type { Database } from "@parley/db/client";

import { friendIdsOf } from "../domain/relationships";
import type { Logger } from "../logger";
import type { EventFeed } from "./feed";
import { createConnectionCounter, type Presence } from "./presence";
import { redisRetryDelayMs } from "./redis-bus";

/*
 * Presence shared by every Parley process on one Redis. Each process ("node") keeps its own
 * subscription counts in memory and mirrors, in Redis, the set of users it has at least one
 * live subscription for. A node proves it is alive by refreshing its score in a sorted set of
 * nodes; a user is online when any live node's set holds them. A node that crashes stops
 * refreshing: after `nodeTtlMs` its set no longer counts, and the first node to notice removes
 * it and tells the friends of every user who went offline with it.
 *
 * The scripts read the clock of Redis itself, so nodes never compare their own clocks.
 */

const nowMs = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** True when `user` is in the set of a live node other than `self`. */
const onlineElsewhere = `
local function onlineElsewhere(prefix, live, self, user)
  for _, node in ipairs(live) do
    if node ~= self and redis.call('SISMEMBER', prefix .. 'node:' .. node, user) == 1 then return true end
  end
  return false
end`;

/** ARGV: prefix, node, ttlMs, user. Returns 1 when the user was offline on every node before. */
const joinScript = `${nowMs} ${onlineElsewhere}
local prefix, self, ttl, user = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
redis.call('ZADD', prefix .. 'nodes', now, self)
redis.call('SADD', prefix .. 'node:' .. self, user)
local live = redis.call('ZRANGEBYSCORE', prefix .. 'nodes', now - ttl, '+inf')
if onlineElsewhere(prefix, live, self, user) then return 0 end
return 1`;

/** ARGV: prefix, node, ttlMs, user. Returns 1 when the user is now offline on every node. */
const leaveScript = `${nowMs} ${onlineElsewhere}
local prefix, self, ttl, user = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
redis.call('SREM', prefix .. 'node:' .. self, user)
local live = redis.call('ZRANGEBYSCORE', prefix .. 'nodes', now - ttl, '+inf')
if onlineElsewhere(prefix, live, self, user) then return 0 end
return 1`;

/** ARGV: prefix, ttlMs, users... Returns 1 or 0 per user. */
const onlineScript = `${nowMs} ${onlineElsewhere}
local prefix, ttl = ARGV[1], tonumber(ARGV[2])
local live = redis.call('ZRANGEBYSCORE', prefix .. 'nodes', now - ttl, '+inf')
local result = {}
for i = 3, #ARGV do result[#result + 1] = onlineElsewhere(prefix, live, '', ARGV[i]) and 1 or 0 end
return result`;

/**
 * ARGV: prefix, node, ttlMs, removeSelf ("1" on shutdown).
 * Refreshes this node (unless removing it), removes expired nodes (and this one on shutdown),
 * and returns [this node was unknown (0/1), ...users who went offline with the removed nodes].
 */
const heartbeatScript = `${nowMs} ${onlineElsewhere}
local prefix, self, ttl, removeSelf = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4] == '1'
local unknown = 0
if removeSelf then
  redis.call('ZADD', prefix .. 'nodes', 0, self)
elseif redis.call('ZADD', prefix .. 'nodes', now, self) == 1 then
  unknown = 1
end
local dead = redis.call('ZRANGEBYSCORE', prefix .. 'nodes', '-inf', '(' .. (now - ttl))
local live = redis.call('ZRANGEBYSCORE', prefix .. 'nodes', now - ttl, '+inf')
local result = { unknown }
for _, node in ipairs(dead) do
  if redis.call('ZREM', prefix .. 'nodes', node) == 1 then
    local users = redis.call('SMEMBERS', prefix .. 'node:' .. node)
    redis.call('DEL', prefix .. 'node:' .. node)
    for _, user in ipairs(users) do
      if not onlineElsewhere(prefix, live, node, user) then result[#result + 1] = user end
    end
  end
end
return result`;

/** ARGV: prefix, node, users... Replaces this node's set (after Redis lost it, e.g. a restart). */
const resyncScript = `${nowMs}
local prefix, self = ARGV[1], ARGV[2]
redis.call('DEL', prefix .. 'node:' .. self)
for i = 3, #ARGV, 1000 do
  redis.call('SADD', prefix .. 'node:' .. self, unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('ZADD', prefix .. 'nodes', now, self)
return 1`;

type PresenceRedis = Redis & {
  presenceJoin: (prefix: string, node: string, ttlMs: number, userId: string) => Promise<number>;
  presenceLeave: (prefix: string, node: string, ttlMs: number, userId: string) => Promise<number>;
  presenceOnline: (prefix: string, ttlMs: number, ...userIds: string[]) => Promise<number[]>;
  presenceHeartbeat: (prefix: string, node: string, ttlMs: number, removeSelf: string) => Promise<[number, ...string[]]>;
  presenceResync: (prefix: string, node: string, ...userIds: string[]) => Promise<number>;
};

export interface RedisPresenceOptions {
  url: string;
  /** From `eventLogNamespace`: presence is private to one deployment. */
  namespace: string;
  db: Database;
  feed: EventFeed;
  logger: Logger;
  heartbeatMs?: number;
  /** A node silent for this long counts as gone. */
  nodeTtlMs?: number;
}

export function createRedisPresence(options: RedisPresenceOptions): Presence & { stop: () => Promise<void> } {
  const node = randomUUID();
  const prefix = `parley:${options.namespace}:presence:`;
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const nodeTtlMs = options.nodeTtlMs ?? 30_000;
  /** Per user, the tail of their join/leave work: announcements go out in the order they happened. */
  const chains = new Map<string, Promise<void>>();

  const redis = new Redis(options.url, {
    retryStrategy: redisRetryDelayMs,
    // Presence never makes a request wait on Redis: commands fail at once while it is away.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 1_000,
  }) as PresenceRedis;
  redis.defineCommand("presenceJoin", { numberOfKeys: 0, lua: joinScript });
  redis.defineCommand("presenceLeave", { numberOfKeys: 0, lua: leaveScript });
  redis.defineCommand("presenceOnline", { numberOfKeys: 0, lua: onlineScript });
  redis.defineCommand("presenceHeartbeat", { numberOfKeys: 0, lua: heartbeatScript });
  redis.defineCommand("presenceResync", { numberOfKeys: 0, lua: resyncScript });
  redis.on("error", () => {
    // The bus reports Redis outages; presence falls back to this node's own knowledge meanwhile.
  });

  function announce(userId: string, online: boolean): Promise<void> {
    return friendIdsOf(options.db, userId).then(
      (friendIds) => {
        if (friendIds.length === 0) return;
        options.feed.publishEphemeral({ audience: { userIds: friendIds }, event: { type: "presence", userId, online } });
      },
      () => {
        // Presence is best effort: a missed announcement is corrected by the next one.
      },
    );
  }

  function enqueue(userId: string, work: () => Promise<void>): void {
    const next = (chains.get(userId) ?? Promise.resolve()).then(work).catch(() => {});
    chains.set(userId, next);
    void next.then(() => {
      if (chains.get(userId) === next) chains.delete(userId);
    });
  }

  /** Whether Redis says the transition is global; this node's own view when Redis is away. */
  async function decide(command: () => Promise<number>): Promise<boolean> {
    if (redis.status !== "ready") return true;
    try {
      return (await command()) === 1;
    } catch {
      return true;
    }
  }

  async function resync(): Promise<void> {
    await redis.presenceResync(prefix, node, ...connections.users());
  }

  let heartbeatRunning = false;
  async function heartbeat(removeSelf: boolean): Promise<void> {
    if (redis.status !== "ready" || heartbeatRunning) return;
    heartbeatRunning = true;
    try {
      const [unknown, ...offline] = await redis.presenceHeartbeat(prefix, node, nodeTtlMs, removeSelf ? "1" : "0");
      // Redis restarted empty, or took us for dead after a long stall: put our users back.
      if (unknown === 1 && !removeSelf) await resync();
      await Promise.all(offline.map((userId) => announce(userId, false)));
    } catch (error) {
      options.logger.debug({ err: String(error) }, "presence heartbeat failed");
    } finally {
      heartbeatRunning = false;
    }
  }

  const connections = createConnectionCounter({
    onFirst: (userId) =>
      enqueue(userId, async () => {
        if (await decide(() => redis.presenceJoin(prefix, node, nodeTtlMs, userId))) await announce(userId, true);
      }),
    onLast: (userId) =>
      enqueue(userId, async () => {
        // Reconnected meanwhile (a quick page reload): the user never went away.
        if (connections.has(userId)) return;
        if (await decide(() => redis.presenceLeave(prefix, node, nodeTtlMs, userId))) await announce(userId, false);
      }),
  });

  redis.on("ready", () => {
    resync().catch(() => {});
  });
  const timer = setInterval(() => void heartbeat(false), heartbeatMs);
  timer.unref();

  return {
    connect: connections.connect,
    isOnline: async (userIds) => {
      if (userIds.length === 0) return new Set();
      if (redis.status === "ready") {
        try {
          const flags = await redis.presenceOnline(prefix, nodeTtlMs, ...userIds);
          return new Set(userIds.filter((_, index) => flags[index] === 1 || connections.has(userIds[index] ?? "")));
        } catch {
          // Fall through to what this node knows.
        }
      }
      return new Set(userIds.filter((id) => connections.has(id)));
    },
    stop: async () => {
      clearInterval(timer);
      await Promise.race([Promise.all(chains.values()), new Promise((resolve) => setTimeout(resolve, 1_000))]);
      // Leave the cluster now rather than after the TTL, telling friends of users who were only here.
      await heartbeat(true);
      redis.disconnect();
    },
  };
}
