import type { Clock } from "@parley/auth";

export interface RateLimitOptions {
  /** How many actions may happen back to back. */
  burst: number;
  /** How fast the allowance refills afterwards. */
  perSecond: number;
}

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  take: (key: string) => RateLimitDecision;
  /** Gives back a token taken for an action that turned out not to happen. */
  refund: (key: string) => void;
}

/** A token bucket per key, held in this process's memory. */
export function createRateLimiter(options: RateLimitOptions & { clock: Clock }): RateLimiter {
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
