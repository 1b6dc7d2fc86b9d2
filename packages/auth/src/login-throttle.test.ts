import type { DatabaseHandle } from "@parley/db/client";
import { loginThrottles } from "@parley/db/schema";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  accountAddressFreeFailures,
  addressFreeFailures,
  checkLoginAllowed,
  deleteStaleLoginThrottles,
  loginFailureMemorySeconds,
  loginMaxDelaySeconds,
  recordLoginFailure,
  recordLoginSuccess,
} from "./login-throttle";
import type { LoginAttempt } from "./login-throttle";
import { createManualClock, createTestDatabase } from "./test-db";
import type { ManualClock } from "./test-db";

let handle: DatabaseHandle;

beforeAll(async () => {
  handle = await createTestDatabase();
});

afterAll(async () => {
  await handle.close();
});

// Unique per call, so test files sharing one Postgres never count each other's failures.
function randomUsername(): string {
  return `user_${crypto.randomUUID().slice(0, 13)}`;
}

function randomIPv4(): string {
  const octets = crypto.getRandomValues(new Uint8Array(3));
  return `10.${octets[0]}.${octets[1]}.${octets[2]}`;
}

/** Two random 16-bit groups, to build addresses in a /64 no other test uses. */
function randomIPv6Groups(): [number, number] {
  const [first = 0, second = 0] = crypto.getRandomValues(new Uint16Array(2));
  return [first, second];
}

/** A clock starting at an instant of its own, so rows it stamps can be found by updated_at. */
function createUniqueClock(year: number): ManualClock {
  const millisecondsInYear = 365 * 24 * 60 * 60 * 1000;
  const offset = Math.floor(Math.random() * (millisecondsInYear / 2));
  return createManualClock(new Date(Date.UTC(year, 0, 1) + offset));
}

async function countersStampedAt(instant: Date): Promise<{ key: string; failures: number }[]> {
  return handle.db
    .select({ key: loginThrottles.key, failures: loginThrottles.failures })
    .from(loginThrottles)
    .where(eq(loginThrottles.updatedAt, instant));
}

async function failTimes(attempt: LoginAttempt, times: number, clock: ManualClock): Promise<void> {
  for (let failure = 0; failure < times; failure += 1) {
    await recordLoginFailure(handle.db, attempt, clock);
  }
}

/** Fails, waits out the block that follows, and returns the block's length in seconds. */
async function failAndWait(attempt: LoginAttempt, clock: ManualClock): Promise<number> {
  await recordLoginFailure(handle.db, attempt, clock);
  const gate = await checkLoginAllowed(handle.db, attempt, clock);
  if (gate.allowed) return 0;
  clock.advanceSeconds(gate.retryAfterSeconds);
  return gate.retryAfterSeconds;
}

describe("per account and address", () => {
  it("lets the first failures through, then imposes doubling delays", async () => {
    const clock = createManualClock();
    const attempt = { username: randomUsername(), ipAddress: randomIPv4() };

    for (let failure = 1; failure < accountAddressFreeFailures; failure += 1) {
      await recordLoginFailure(handle.db, attempt, clock);
      expect(await checkLoginAllowed(handle.db, attempt, clock)).toEqual({ allowed: true });
    }
    await recordLoginFailure(handle.db, attempt, clock);
    expect(await checkLoginAllowed(handle.db, attempt, clock)).toEqual({
      allowed: false,
      retryAfterSeconds: 1,
    });

    clock.advanceSeconds(1);
    expect(await checkLoginAllowed(handle.db, attempt, clock)).toEqual({ allowed: true });

    const delays = [];
    for (let failure = 0; failure < 4; failure += 1) delays.push(await failAndWait(attempt, clock));
    expect(delays).toEqual([2, 4, 8, 16]);
  });

  it("reports the time left, not the full delay, part-way through a block", async () => {
    const clock = createManualClock();
    const attempt = { username: randomUsername(), ipAddress: randomIPv4() };
    await failTimes(attempt, accountAddressFreeFailures + 3, clock);
    expect(await checkLoginAllowed(handle.db, attempt, clock)).toEqual({
      allowed: false,
      retryAfterSeconds: 8,
    });
    clock.advanceSeconds(5.5);
    expect(await checkLoginAllowed(handle.db, attempt, clock)).toEqual({
      allowed: false,
      retryAfterSeconds: 3,
    });
    clock.advanceSeconds(2.5);
    expect(await checkLoginAllowed(handle.db, attempt, clock)).toEqual({ allowed: true });
  });

  it("caps the delay at fifteen minutes", async () => {
    const clock = createManualClock();
    const attempt = { username: randomUsername(), ipAddress: randomIPv4() };
    const delays = [];
    for (let failure = 0; failure < 16; failure += 1)
      delays.push(await failAndWait(attempt, clock));
    expect(loginMaxDelaySeconds).toBe(900);
    expect(delays).toEqual([0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]);
  });

  it("treats usernames case-insensitively", async () => {
    const clock = createManualClock();
    const username = randomUsername();
    const ipAddress = randomIPv4();
    await failTimes(
      { username: username.toUpperCase(), ipAddress },
      accountAddressFreeFailures,
      clock,
    );
    const gate = await checkLoginAllowed(handle.db, { username, ipAddress }, clock);
    expect(gate.allowed).toBe(false);
  });

  it("starts again after a success", async () => {
    const clock = createManualClock();
    const attempt = { username: randomUsername(), ipAddress: randomIPv4() };
    await failTimes(attempt, accountAddressFreeFailures, clock);
    expect((await checkLoginAllowed(handle.db, attempt, clock)).allowed).toBe(false);
    clock.advanceSeconds(1);
    await recordLoginSuccess(handle.db, attempt, clock);

    await failTimes(attempt, accountAddressFreeFailures - 1, clock);
    expect(await checkLoginAllowed(handle.db, attempt, clock)).toEqual({ allowed: true });
    await recordLoginFailure(handle.db, attempt, clock);
    expect(await checkLoginAllowed(handle.db, attempt, clock)).toEqual({
      allowed: false,
      retryAfterSeconds: 1,
    });
  });

  it("forgets failures after a day without any", async () => {
    const clock = createManualClock();
    const attempt = { username: randomUsername(), ipAddress: randomIPv4() };
    await failTimes(attempt, accountAddressFreeFailures + 2, clock);
    clock.advanceSeconds(loginFailureMemorySeconds + 1);
    await recordLoginFailure(handle.db, attempt, clock);
    expect(await checkLoginAllowed(handle.db, attempt, clock)).toEqual({ allowed: true });
  });

  it("never locks the real user out of a clean address", async () => {
    const clock = createManualClock();
    const victim = randomUsername();
    const attackerAddress = randomIPv4();
    for (let failure = 0; failure < accountAddressFreeFailures + 10; failure += 1) {
      await failAndWait({ username: victim, ipAddress: attackerAddress }, clock);
    }
    // A botnet trying the same account from many addresses adds nothing against the victim either.
    for (let bot = 0; bot < 20; bot += 1) {
      await failTimes(
        { username: victim, ipAddress: randomIPv4() },
        accountAddressFreeFailures,
        clock,
      );
    }
    await recordLoginFailure(handle.db, { username: victim, ipAddress: attackerAddress }, clock);
    expect(
      (await checkLoginAllowed(handle.db, { username: victim, ipAddress: attackerAddress }, clock))
        .allowed,
    ).toBe(false);

    const home = { username: victim, ipAddress: randomIPv4() };
    expect(await checkLoginAllowed(handle.db, home, clock)).toEqual({ allowed: true });
  });

  it("counts every failure when they arrive at once", async () => {
    const clock = createManualClock();
    const attempt = { username: randomUsername(), ipAddress: randomIPv4() };
    await Promise.all(
      Array.from({ length: accountAddressFreeFailures + 2 }, () =>
        recordLoginFailure(handle.db, attempt, clock),
      ),
    );
    expect(await checkLoginAllowed(handle.db, attempt, clock)).toEqual({
      allowed: false,
      retryAfterSeconds: 4,
    });
  });

  it("keeps one row per counter however many failures", async () => {
    const clock = createUniqueClock(2040);
    const attempt = { username: randomUsername(), ipAddress: randomIPv4() };
    await failTimes(attempt, 12, clock);
    const rows = await countersStampedAt(clock.now());
    expect(rows).toHaveLength(2);
    expect(rows.map((row) => row.failures)).toEqual([12, 12]);
    for (const row of rows) {
      expect(row.key).not.toContain(attempt.username);
      expect(row.key).not.toContain(attempt.ipAddress);
    }
  });
});

describe("per address", () => {
  it("blocks an address spraying many accounts, even for an account it has not tried", async () => {
    const clock = createManualClock();
    const sprayer = randomIPv4();
    for (let account = 0; account < addressFreeFailures - 1; account += 1) {
      await recordLoginFailure(
        handle.db,
        { username: randomUsername(), ipAddress: sprayer },
        clock,
      );
    }
    const fresh = { username: randomUsername(), ipAddress: sprayer };
    expect(await checkLoginAllowed(handle.db, fresh, clock)).toEqual({ allowed: true });

    await recordLoginFailure(handle.db, { username: randomUsername(), ipAddress: sprayer }, clock);
    expect(await checkLoginAllowed(handle.db, fresh, clock)).toEqual({
      allowed: false,
      retryAfterSeconds: 1,
    });
    expect(
      await checkLoginAllowed(handle.db, { ...fresh, ipAddress: randomIPv4() }, clock),
    ).toEqual({
      allowed: true,
    });
  });

  it("is not reset by signing in to some other account", async () => {
    const clock = createManualClock();
    const sprayer = randomIPv4();
    for (let account = 0; account < addressFreeFailures + 3; account += 1) {
      await recordLoginFailure(
        handle.db,
        { username: randomUsername(), ipAddress: sprayer },
        clock,
      );
    }
    const ownAccount = { username: randomUsername(), ipAddress: sprayer };
    await recordLoginSuccess(handle.db, ownAccount, clock);
    expect(await checkLoginAllowed(handle.db, ownAccount, clock)).toEqual({
      allowed: false,
      retryAfterSeconds: 8,
    });
  });

  it("counts a whole IPv6 /64 as one address", async () => {
    const clock = createManualClock();
    const [first, second] = randomIPv6Groups();
    const network = `2001:db8:${first.toString(16)}:${second.toString(16)}`;
    const username = randomUsername();
    for (let host = 1; host <= accountAddressFreeFailures; host += 1) {
      await recordLoginFailure(handle.db, { username, ipAddress: `${network}:${host}::1` }, clock);
    }
    const sameNetwork = { username, ipAddress: `${network}:ffff:1:2:3` };
    expect((await checkLoginAllowed(handle.db, sameNetwork, clock)).allowed).toBe(false);
    const nextNetwork = `2001:db8:${first.toString(16)}:${((second + 1) & 0xffff).toString(16)}`;
    const otherNetwork = { username, ipAddress: `${nextNetwork}::1` };
    expect(await checkLoginAllowed(handle.db, otherNetwork, clock)).toEqual({ allowed: true });
  });
});

describe("deleteStaleLoginThrottles", () => {
  it("removes counters that are neither blocking nor remembered, and keeps the rest", async () => {
    // Far in the past, so the sweep cannot touch rows other test files are using.
    const clock = createUniqueClock(2001);
    const staleAt = clock.now();
    await failTimes({ username: randomUsername(), ipAddress: randomIPv4() }, 2, clock);
    clock.advanceSeconds(loginFailureMemorySeconds + 1);
    const recent = { username: randomUsername(), ipAddress: randomIPv4() };
    await failTimes(recent, accountAddressFreeFailures, clock);
    expect(await countersStampedAt(staleAt)).toHaveLength(2);

    expect(await deleteStaleLoginThrottles(handle.db, clock)).toBeGreaterThanOrEqual(2);
    expect(await countersStampedAt(staleAt)).toHaveLength(0);
    expect(await countersStampedAt(clock.now())).toHaveLength(2);
    expect((await checkLoginAllowed(handle.db, recent, clock)).allowed).toBe(false);
  });
});
