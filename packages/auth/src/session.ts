import { constantTimeEqual } from "@oslojs/crypto/subtle";
import type { Database, Transaction } from "@parley/db/client";
import { sessions, users } from "@parley/db/schema";
import { and, desc, eq, gt, lte, ne, or } from "drizzle-orm";
import type { SQL } from "drizzle-orm";

import { secondsAfter, systemClock } from "./clock";
import type { Clock } from "./clock";
import {
  formatSessionToken,
  generateSessionTokenParts,
  hashSessionSecret,
  parseSessionToken,
} from "./session-token";

type DatabaseOrTransaction = Database | Transaction;

/** A session not used for this long ends. */
export const sessionInactivityTimeoutSeconds = 30 * 24 * 60 * 60;
/** No session lives longer than this from sign-in, however active. */
export const sessionAbsoluteLifetimeSeconds = 365 * 24 * 60 * 60;
/** last_verified_at is rewritten at most this often, so validation is usually a read only. */
export const sessionActivityCheckIntervalSeconds = 60 * 60;

export interface SessionInfo {
  id: string;
  userId: string;
  createdAt: Date;
  lastVerifiedAt: Date;
  /** The absolute end of the session; inactivity can end it sooner. */
  expiresAt: Date;
  userAgent: string | null;
  ipAddress: string | null;
}

export interface SessionUser {
  id: string;
  username: string;
  displayName: string;
  createdAt: Date;
  /** The profile picture's blob key; null without one. */
  avatarKey: string | null;
}

export interface SessionValidation {
  session: SessionInfo;
  user: SessionUser;
}

export interface CreateSessionInput {
  userId: string;
  userAgent?: string | null;
  ipAddress?: string | null;
}

export interface CreatedSession {
  /** Given to the client once; only its id and the hash of its secret are stored. */
  token: string;
  session: SessionInfo;
}

export interface InvalidateUserSessionsOptions {
  /** Keep this one, e.g. the device that just changed the password. */
  exceptSessionId?: string;
}

const sessionColumns = {
  id: sessions.id,
  userId: sessions.userId,
  createdAt: sessions.createdAt,
  lastVerifiedAt: sessions.lastVerifiedAt,
  expiresAt: sessions.expiresAt,
  userAgent: sessions.userAgent,
  ipAddress: sessions.ipAddress,
};

export async function createSession(
  db: DatabaseOrTransaction,
  input: CreateSessionInput,
  clock: Clock = systemClock,
): Promise<CreatedSession> {
  const parts = generateSessionTokenParts();
  const now = clock.now();
  const session: SessionInfo = {
    id: parts.id,
    userId: input.userId,
    createdAt: now,
    lastVerifiedAt: now,
    expiresAt: secondsAfter(now, sessionAbsoluteLifetimeSeconds),
    userAgent: input.userAgent ?? null,
    ipAddress: input.ipAddress ?? null,
  };
  await db.insert(sessions).values({ ...session, secretHash: hashSessionSecret(parts.secret) });
  return { token: formatSessionToken(parts), session };
}

/**
 * The session and its user when the token is live; null for anything else (malformed, unknown,
 * wrong secret, expired). Expired sessions are deleted on the way.
 */
export async function validateSessionToken(
  db: DatabaseOrTransaction,
  token: string,
  clock: Clock = systemClock,
): Promise<SessionValidation | null> {
  const parsed = parseSessionToken(token);
  if (!parsed) return null;

  const [row] = await db
    .select({
      session: sessionColumns,
      secretHash: sessions.secretHash,
      user: {
        id: users.id,
        username: users.username,
        displayName: users.displayName,
        createdAt: users.createdAt,
        avatarKey: users.avatarKey,
      },
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, parsed.id))
    .limit(1);
  if (!row) return null;
  // Constant time, so response timing does not reveal how much of a guessed secret was right.
  if (!constantTimeEqual(hashSessionSecret(parsed.secret), row.secretHash)) return null;

  const { session, user } = row;
  const now = clock.now();
  if (!isSessionLive(session, now)) {
    await deleteSessionIfExpired(db, session.id, now);
    return null;
  }
  if (now >= secondsAfter(session.lastVerifiedAt, sessionActivityCheckIntervalSeconds)) {
    await db
      .update(sessions)
      .set({ lastVerifiedAt: now })
      .where(and(eq(sessions.id, session.id), lte(sessions.lastVerifiedAt, now)));
    session.lastVerifiedAt = now;
  }
  return { session, user };
}

/** Sign-out of one device. */
export async function invalidateSession(
  db: DatabaseOrTransaction,
  sessionId: string,
): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, sessionId));
}

/** Sign-out everywhere, e.g. after a password change (keeping the device that changed it). */
export async function invalidateUserSessions(
  db: DatabaseOrTransaction,
  userId: string,
  options: InvalidateUserSessionsOptions = {},
): Promise<void> {
  const { exceptSessionId } = options;
  await db
    .delete(sessions)
    .where(
      exceptSessionId === undefined
        ? eq(sessions.userId, userId)
        : and(eq(sessions.userId, userId), ne(sessions.id, exceptSessionId)),
    );
}

/** The user's live sessions, most recently active first: what a "your devices" page shows. */
export async function listUserSessions(
  db: DatabaseOrTransaction,
  userId: string,
  clock: Clock = systemClock,
): Promise<SessionInfo[]> {
  const now = clock.now();
  return db
    .select(sessionColumns)
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, userId),
        gt(sessions.expiresAt, now),
        gt(sessions.lastVerifiedAt, secondsAfter(now, -sessionInactivityTimeoutSeconds)),
      ),
    )
    .orderBy(desc(sessions.lastVerifiedAt), desc(sessions.createdAt));
}

/** Removes every expired session, even of users who never come back; returns how many. */
export async function deleteExpiredSessions(
  db: DatabaseOrTransaction,
  clock: Clock = systemClock,
): Promise<number> {
  const deleted = await db
    .delete(sessions)
    .where(expiredCondition(clock.now()))
    .returning({ id: sessions.id });
  return deleted.length;
}

function isSessionLive(session: SessionInfo, now: Date): boolean {
  return (
    now < session.expiresAt &&
    now < secondsAfter(session.lastVerifiedAt, sessionInactivityTimeoutSeconds)
  );
}

// Re-checks expiry in the statement, so a concurrent request that just refreshed the row keeps it.
async function deleteSessionIfExpired(
  db: DatabaseOrTransaction,
  sessionId: string,
  now: Date,
): Promise<void> {
  await db.delete(sessions).where(and(eq(sessions.id, sessionId), expiredCondition(now)));
}

function expiredCondition(now: Date): SQL | undefined {
  return or(
    lte(sessions.expiresAt, now),
    lte(sessions.lastVerifiedAt, secondsAfter(now, -sessionInactivityTimeoutSeconds)),
  );
}
