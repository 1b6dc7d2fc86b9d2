import { randomUUID } from "node:crypto";

import type { Redis } from "ioredis";

import type { Logger } from "./logger";

/** Held while one attempt runs; a second attempt with the same key is refused meanwhile. */
export interface AttemptLocks {
  /** The release function, or null when another attempt holds `key`. */
  tryAcquire: (key: string) => Promise<(() => Promise<void>) | null>;
}

/** Locks in this process's memory. */
export function createLocalAttemptLocks(): AttemptLocks {
  const held = new Set<string>();
  return {
    tryAcquire: async (key) => {
      if (held.has(key)) return null;
      held.add(key);
      return async () => {
        held.delete(key);
      };
    },
  };
}

/** A lock outlives a crashed holder by this long at most. */
const redisLockLifetimeMs = 30_000;

// Deletes the lock only if it is still ours: an expired lock may have passed to another attempt.
const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Locks in Redis, held across every process sharing it; per process while Redis is away. */
export function createRedisAttemptLocks(options: { redis: Redis; prefix: string; logger: Logger }): AttemptLocks {
  const fallback = createLocalAttemptLocks();
  return {
    tryAcquire: async (key) => {
      const lockKey = `${options.prefix}:${key}`;
      const owner = randomUUID();
      let reply: string | null;
      try {
        reply = await options.redis.set(lockKey, owner, "PX", redisLockLifetimeMs, "NX");
      } catch (error) {
        options.logger.warn({ err: String(error) }, "attempt locks: Redis unreachable, locking per process");
        return fallback.tryAcquire(key);
      }
      if (reply !== "OK") return null;
      return async () => {
        await options.redis.eval(releaseScript, 1, lockKey, owner).catch(() => {});
      };
    },
  };
}
