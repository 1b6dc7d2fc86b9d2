import type { Redis } from "ioredis";

import type { Clock } from "@parley/auth";

import type { Logger } from "./logger";

export interface RateLimitOptions {
  /** How many actions may happen back to back. */
  burst: number;
  /** How fast the allowance refills afterwards. */
  perSecond: number;
}

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  take: (key: string) => Promise<RateLimitDecision>;
  /** Gives back a token taken for an action that turned out not to happen. */
  refund: (key: string) => Promise<void>;
}

/** A token bucket per key, held in this process's memory. */
export function createRateLimiter(options: RateLimitOptions & { clock: Clock }): RateLimiter {
  const local = createLocalBuckets(options);
  return {
    take: async (key) => local.take(key),
    refund: async (key) => local.refund(key),
  };
}

function createLocalBuckets(options: RateLimitOptions & { clock: Clock }): {
  take: (key: string) => RateLimitDecision;
  refund: (key: string) => void;
} {
  const buckets = new Map<string, { tokens: number; updatedAtMs: number }>();
  const maxIdleMs = (options.burst / options.perSecond) * 1_000;

  function sweep(nowMs: number): void {
    // A full bucket carries no information: drop idle ones so memory tracks active users only.
    for (const [key, bucket] of buckets) {
      if (nowMs - bucket.updatedAtMs > maxIdleMs) buckets.delete(key);
    }
  }

  return {
    take: (key) => {
      const nowMs = options.clock.now().getTime();
      if (buckets.size > 10_000) sweep(nowMs);
      const bucket = buckets.get(key) ?? { tokens: options.burst, updatedAtMs: nowMs };
      const elapsedSeconds = Math.max(0, nowMs - bucket.updatedAtMs) / 1_000;
      bucket.tokens = Math.min(options.burst, bucket.tokens + elapsedSeconds * options.perSecond);
      bucket.updatedAtMs = nowMs;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / options.perSecond)),
      };
    },
    refund: (key) => {
      const bucket = buckets.get(key);
      if (bucket) bucket.tokens = Math.min(options.burst, bucket.tokens + 1);
    },
  };
}

/*
 * A token bucket in Redis, shared by every process on it. One script call per take or refund,
 * so the read-refill-spend is atomic however many nodes race; Redis's own clock keeps the nodes'
 * clocks out of it. A bucket expires once it would be full again.
 */
const tokenBucketScript = `
local burst = tonumber(ARGV[1])
local perSecond = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or nowMs
tokens = math.min(burst, tokens + math.max(0, nowMs - at) / 1000 * perSecond)
local allowed = 1
if cost > 0 then
  if tokens >= cost then tokens = tokens - cost else allowed = 0 end
else
  tokens = math.min(burst, tokens - cost)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(nowMs))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / perSecond * 1000) + 1000)
if allowed == 1 then return {1, 0} end
return {0, math.ceil((cost - tokens) / perSecond * 1000)}
`;

export interface RedisRateLimiterOptions extends RateLimitOptions {
  redis: Redis;
  /** Keeps this limiter's buckets apart from other limiters' (and other deployments'). */
  prefix: string;
  /** Decides while Redis is unreachable: the process's own share, as without Redis. */
  fallback: RateLimiter;
  logger: Logger;
}

/** A token bucket per key in Redis: the limit holds across every process sharing it. */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  let warned = false;
  async function run(key: string, cost: number): Promise<[number, number] | null> {
    try {
      const reply = (await options.redis.eval(
        tokenBucketScript,
        1,
        `${options.prefix}:${key}`,
        options.burst,
        options.perSecond,
        cost,
      )) as [number, number];
      warned = false;
      return reply;
    } catch (error) {
      if (!warned) options.logger.warn({ err: String(error) }, "rate limiter: Redis unreachable, limiting per process");
      warned = true;
      return null;
    }
  }
  return {
    take: async (key) => {
      const reply = await run(key, 1);
      if (!reply) return options.fallback.take(key);
      const [allowed, retryAfterMs] = reply;
      return allowed === 1 ? { allowed: true } : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1_000)) };
    },
    refund: async (key) => {
      if (!(await run(key, -1))) await options.fallback.refund(key);
    },
  };
}
