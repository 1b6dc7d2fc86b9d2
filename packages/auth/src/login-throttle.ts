import { sha256 } from "@oslojs/crypto/sha2";
import { encodeHexLowerCase } from "@oslojs/encoding";
import type { Database, Transaction } from "@parley/db/client";
import { loginThrottles } from "@parley/db/schema";
import { and, eq, gt, inArray, isNull, lte, or, sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";

import { throttledNetwork } from "./client-address";
import { secondsAfter, secondsUntil, systemClock } from "./clock";
import type { Clock } from "./clock";

type DatabaseOrTransaction = Database | Transaction;

/**
 * Failures one address may make against one account before it has to wait. There is deliberately
 * no counter per account alone: it would let anyone lock the real user out from their own device.
 */
export const accountAddressFreeFailures = 5;
/** Failures one address may make across all accounts (password spraying) before it has to wait. */
export const addressFreeFailures = 50;
/** The wait after the last free failure; it doubles with each further failure. */
export const loginFirstDelaySeconds = 1;
export const loginMaxDelaySeconds = 15 * 60;
/** A counter left alone this long starts again from zero. */
export const loginFailureMemorySeconds = 24 * 60 * 60;

// 2^30 seconds is far past the cap; bounding the exponent keeps power() from overflowing.
const maxDelayDoublings = 30;

export interface LoginAttempt {
  username: string;
  ipAddress: string;
}

export type LoginGate = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface ThrottleCounter {
  key: string;
  freeFailures: number;
}

/** Call before checking the password: a blocked attempt must not even be verified. */
export async function checkLoginAllowed(
  db: DatabaseOrTransaction,
  attempt: LoginAttempt,
  clock: Clock = systemClock,
): Promise<LoginGate> {
  const now = clock.now();
  const keys = throttleCounters(attempt).map((counter) => counter.key);
  const blocks = await db
    .select({ blockedUntil: loginThrottles.blockedUntil })
    .from(loginThrottles)
    .where(and(inArray(loginThrottles.key, keys), gt(loginThrottles.blockedUntil, now)));

  const latest = Math.max(...blocks.map((block) => block.blockedUntil?.getTime() ?? 0));
  if (latest <= now.getTime()) return { allowed: true };
  return { allowed: false, retryAfterSeconds: Math.max(1, secondsUntil(now, new Date(latest))) };
}

export async function recordLoginFailure(
  db: DatabaseOrTransaction,
  attempt: LoginAttempt,
  clock: Clock = systemClock,
): Promise<void> {
  const now = clock.now();
  for (const counter of throttleCounters(attempt)) {
    await countFailure(db, counter, now);
  }
}

/**
 * Forgets this address's failures against this account. The address's own counter stays: an
 * attacker holding one valid account must not be able to reset it by signing in.
 */
export async function recordLoginSuccess(
  db: DatabaseOrTransaction,
  attempt: LoginAttempt,
  // Unused: accepted so the three throttle calls take the same arguments.
  _clock: Clock = systemClock,
): Promise<void> {
  const [accountAddress] = throttleCounters(attempt);
  if (!accountAddress) return;
  await db.delete(loginThrottles).where(eq(loginThrottles.key, accountAddress.key));
}

/** Removes counters that are neither blocking nor remembered any more; returns how many. */
export async function deleteStaleLoginThrottles(
  db: DatabaseOrTransaction,
  clock: Clock = systemClock,
): Promise<number> {
  const now = clock.now();
  const deleted = await db
    .delete(loginThrottles)
    .where(
      and(
        lte(loginThrottles.updatedAt, secondsAfter(now, -loginFailureMemorySeconds)),
        or(isNull(loginThrottles.blockedUntil), lte(loginThrottles.blockedUntil, now)),
      ),
    )
    .returning({ key: loginThrottles.key });
  return deleted.length;
}

/** The account-and-address counter first, then the address counter. */
function throttleCounters(attempt: LoginAttempt): ThrottleCounter[] {
  const network = throttledNetwork(attempt.ipAddress);
  // Usernames are case-insensitive, so "Alice" and "alice" share one counter.
  const username = attempt.username.toLowerCase();
  return [
    {
      key: throttleKey("account-address", JSON.stringify([username, network])),
      freeFailures: accountAddressFreeFailures,
    },
    { key: throttleKey("address", network), freeFailures: addressFreeFailures },
  ];
}

// Hashed: a bounded key whatever the input, and no usernames or addresses kept in the clear.
function throttleKey(kind: string, subject: string): string {
  return `${kind}:${encodeHexLowerCase(sha256(new TextEncoder().encode(subject)))}`;
}

// One INSERT ... ON CONFLICT DO UPDATE, so concurrent failures from several processes all count.
async function countFailure(
  db: DatabaseOrTransaction,
  counter: ThrottleCounter,
  now: Date,
): Promise<void> {
  const forgetBefore = timestamp(secondsAfter(now, -loginFailureMemorySeconds));
  const failures = sql`case
    when ${loginThrottles.updatedAt} <= ${forgetBefore} then 1
    else ${loginThrottles.failures} + 1
  end`;
  await db
    .insert(loginThrottles)
    .values({
      key: counter.key,
      failures: 1,
      blockedUntil: blockedUntil(sql`1`, counter.freeFailures, now),
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: loginThrottles.key,
      set: {
        failures,
        blockedUntil: blockedUntil(failures, counter.freeFailures, now),
        updatedAt: now,
      },
    });
}

/** Null while failures are free; then the first delay, doubling per failure, up to the cap. */
function blockedUntil(failures: SQL, freeFailures: number, now: Date): SQL {
  const doublings = sql`least(
    ${failures} - ${freeFailures}::integer,
    ${maxDelayDoublings}::integer
  )`;
  const delaySeconds = sql`least(
    ${loginMaxDelaySeconds}::float8,
    ${loginFirstDelaySeconds}::float8 * power(2, ${doublings})
  )`;
  return sql`case
    when ${failures} >= ${freeFailures}::integer
    then ${timestamp(now)} + ${delaySeconds} * interval '1 second'
  end`;
}

function timestamp(instant: Date): SQL {
  return sql`${instant.toISOString()}::timestamptz`;
}
