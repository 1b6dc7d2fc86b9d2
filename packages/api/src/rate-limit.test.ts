import { randomUUID } from "node:crypto";

import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";

import { systemClock } from "@parley/auth";

import { createLocalAttemptLocks, createRedisAttemptLocks } from "./attempt-locks";
import { silentLogger } from "./logger";
import { createRateLimiter, createRedisRateLimiter, type RateLimiter } from "./rate-limit";

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) console.info("Redis rate-limit tests skipped: they need REDIS_URL");

async function takeMany(limiter: RateLimiter, key: string, count: number): Promise<number> {
  let allowed = 0;
  for (let attempt = 0; attempt < count; attempt += 1) {
    if ((await limiter.take(key)).allowed) allowed += 1;
  }
  return allowed;
}

describe("the in-process limiter", () => {
  it("allows the burst, then refuses with retryAfterSeconds, and takes refunds back", async () => {
    const limiter = createRateLimiter({ burst: 3, perSecond: 0.5, clock: systemClock });
    expect(await takeMany(limiter, "alice", 5)).toBe(3);
    expect(await limiter.take("alice")).toEqual({ allowed: false, retryAfterSeconds: 2 });
    await limiter.refund("alice");
    expect(await limiter.take("alice")).toEqual({ allowed: true });
    expect(await limiter.take("bob")).toEqual({ allowed: true });
  });
});

describe.skipIf(!redisUrl)("limits shared through Redis", () => {
  // Two connections stand for two server processes behind one load balancer.
  const nodeA = new Redis(redisUrl ?? "", { maxRetriesPerRequest: 1 });
  const nodeB = new Redis(redisUrl ?? "", { maxRetriesPerRequest: 1 });
  const prefix = `parley-test:${randomUUID()}`;

  afterAll(() => {
    nodeA.disconnect();
    nodeB.disconnect();
  });

  function sharedLimiter(redis: Redis, burst: number): RateLimiter {
    const rate = { burst, perSecond: 0.01 };
    return createRedisRateLimiter({
      ...rate,
      redis,
      prefix,
      fallback: createRateLimiter({ ...rate, clock: systemClock }),
      logger: silentLogger,
    });
  }

  it("gives two nodes one allowance between them, not one each", async () => {
    const onA = sharedLimiter(nodeA, 4);
    const onB = sharedLimiter(nodeB, 4);
    const [allowedOnA, allowedOnB] = await Promise.all([takeMany(onA, "carol", 4), takeMany(onB, "carol", 4)]);
    expect(allowedOnA + allowedOnB).toBe(4);
    const refused = await onB.take("carol");
    expect(refused.allowed).toBe(false);
    expect(refused.allowed ? 0 : refused.retryAfterSeconds).toBeGreaterThanOrEqual(90);

    // A refund on one node is a token for the other.
    await onA.refund("carol");
    expect(await onB.take("carol")).toEqual({ allowed: true });
  });

  it("falls back to the process's own limit while Redis is unreachable", async () => {
    const unreachable = new Redis("redis://127.0.0.1:1", { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
    unreachable.on("error", () => {});
    const limiter = sharedLimiter(unreachable, 2);
    expect(await takeMany(limiter, "dave", 3)).toBe(2);
    unreachable.disconnect();
  });

  it("holds a login attempt lock across nodes until it is released", async () => {
    const locksA = createRedisAttemptLocks({ redis: nodeA, prefix, logger: silentLogger });
    const locksB = createRedisAttemptLocks({ redis: nodeB, prefix, logger: silentLogger });
    const release = await locksA.tryAcquire("erin@203.0.113.9");
    expect(release).not.toBeNull();
    expect(await locksB.tryAcquire("erin@203.0.113.9")).toBeNull();
    await release?.();
    const again = await locksB.tryAcquire("erin@203.0.113.9");
    expect(again).not.toBeNull();
    await again?.();
  });
});

describe("in-process attempt locks", () => {
  it("refuse a second holder until the first releases", async () => {
    const locks = createLocalAttemptLocks();
    const release = await locks.tryAcquire("frank");
    expect(await locks.tryAcquire("frank")).toBeNull();
    await release?.();
    expect(await locks.tryAcquire("frank")).not.toBeNull();
  });
});
