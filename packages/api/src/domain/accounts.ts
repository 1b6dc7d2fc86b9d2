import { and, eq, ne } from "drizzle-orm";

import {
  checkLoginAllowed,
  checkPasswordPolicy,
  createSession,
  dummyPasswordHash,
  hashPassword,
  invalidateSession,
  invalidateUserSessions,
  listUserSessions,
  recordLoginFailure,
  recordLoginSuccess,
  throttledNetwork,
  verifyPassword,
} from "@parley/auth";
import { sessions, users } from "@parley/db/schema";

import { DomainError } from "../errors";
import { transactionWithEvents } from "../events/transaction";
import type { ParleyServices } from "../services";
import { publicUserColumns, usernameEquals } from "./users";
import { isoDate, toPublicUser, type PublicUser, type SessionView } from "./views";

type AccountServices = Pick<ParleyServices, "db" | "clock" | "feed" | "signUpLimiter" | "loginAttempts">;

/** Where a sign-in comes from, as the session list shows it. */
export interface Device {
  userAgent: string | null;
  ipAddress: string;
}

export interface SignedIn {
  user: PublicUser;
  /** The session token; it is shown once and stored nowhere in plain text. */
  token: string;
}

function throttled(retryAfterSeconds: number): DomainError {
  return new DomainError(
    "TOO_MANY_REQUESTS",
    `Too many failed attempts; try again in ${retryAfterSeconds} seconds`,
    { retryAfterSeconds },
  );
}

async function startSession(services: AccountServices, user: PublicUser, device: Device): Promise<SignedIn> {
  const { token } = await createSession(
    services.db,
    { userId: user.id, userAgent: device.userAgent, ipAddress: device.ipAddress },
    services.clock,
  );
  return { user, token };
}

export async function registerAccount(
  services: AccountServices,
  options: { username: string; password: string; displayName?: string; device: Device },
): Promise<SignedIn> {
  const problem = checkPasswordPolicy(options.password, { username: options.username });
  if (problem) throw new DomainError("BAD_REQUEST", problem);

  // Counted per network (an IPv6 /64 is one client), like the login throttle.
  const limitKey = throttledNetwork(options.device.ipAddress);
  const allowance = await services.signUpLimiter?.take(limitKey);
  if (allowance && !allowance.allowed) {
    throw new DomainError(
      "TOO_MANY_REQUESTS",
      `Too many new accounts from this address; try again in ${allowance.retryAfterSeconds} seconds`,
      { retryAfterSeconds: allowance.retryAfterSeconds },
    );
  }

  const taken = new DomainError("CONFLICT", "Username is taken");
  // Checked first so that a taken name costs no hashing; the unique index settles races below.
  const [existing] = await services.db
    .select({ id: users.id })
    .from(users)
    .where(usernameEquals(options.username));
  // A taken name creates nothing, so it costs none of the address's allowance.
  if (existing) {
    await services.signUpLimiter?.refund(limitKey);
    throw taken;
  }

  const passwordHash = await hashPassword(options.password);
  const now = services.clock.now();
  const [row] = await services.db
    .insert(users)
    .values({
      username: options.username,
      displayName: options.displayName ?? options.username,
      passwordHash,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning(publicUserColumns);
  if (!row) throw taken;
  return startSession(services, toPublicUser(row), options.device);
}

/**
 * Checks a username and password and starts a session. An unknown username fails with the same
 * message and after the same hashing work as a wrong password, so neither reveals which accounts exist.
 */
export async function logIn(
  services: AccountServices,
  options: { username: string; password: string; device: Device },
): Promise<SignedIn> {
  const attempt = { username: options.username.toLowerCase(), ipAddress: options.device.ipAddress };
  return oneAttemptAtATime(services, attempt, () => checkLogIn(services, options, attempt));
}

/**
 * One password check at a time per account and address (across nodes with Redis). A burst of
 * parallel guesses would otherwise all pass the throttle check before the first failure is counted.
 */
async function oneAttemptAtATime<TResult>(
  services: Pick<AccountServices, "loginAttempts">,
  attempt: { username: string; ipAddress: string },
  work: () => Promise<TResult>,
): Promise<TResult> {
  const release = await services.loginAttempts.tryAcquire(JSON.stringify([attempt.username, attempt.ipAddress]));
  if (!release) {
    throw new DomainError("TOO_MANY_REQUESTS", "Another sign-in for this account is in progress; try again in a moment", {
      retryAfterSeconds: 1,
    });
  }
  try {
    return await work();
  } finally {
    await release();
  }
}

async function checkLogIn(
  services: AccountServices,
  options: { username: string; password: string; device: Device },
  attempt: { username: string; ipAddress: string },
): Promise<SignedIn> {
  const allowance = await checkLoginAllowed(services.db, attempt, services.clock);
  if (!allowance.allowed) throw throttled(allowance.retryAfterSeconds);

  const [row] = await services.db
    .select({ ...publicUserColumns, passwordHash: users.passwordHash })
    .from(users)
    .where(usernameEquals(options.username));
  const valid = await verifyPassword(row?.passwordHash ?? dummyPasswordHash, options.password);
  if (!row || !valid) {
    await recordLoginFailure(services.db, attempt, services.clock);
    throw new DomainError("UNAUTHORIZED", "Wrong username or password");
  }
  await recordLoginSuccess(services.db, attempt, services.clock);
  return startSession(services, toPublicUser(row), options.device);
}

export async function logOut(services: AccountServices, options: { userId: string; sessionId: string }): Promise<void> {
  await transactionWithEvents(services, async (tx, emit) => {
    await invalidateSession(tx, options.sessionId);
    emit({ userId: options.userId }, { type: "session.revoked", sessionId: options.sessionId });
  });
}

export async function listSessions(
  services: AccountServices,
  options: { userId: string; currentSessionId: string },
): Promise<SessionView[]> {
  const list = await listUserSessions(services.db, options.userId, services.clock);
  const activity = await services.db
    .select({ id: sessions.id, lastActiveAt: sessions.lastActiveAt })
    .from(sessions)
    .where(eq(sessions.userId, options.userId));
  const lastActive = new Map(activity.map((row) => [row.id, row.lastActiveAt]));
  return list.map((session) => {
    const streamed = lastActive.get(session.id);
    return {
      id: session.id,
      createdAt: isoDate(session.createdAt),
      lastVerifiedAt: isoDate(session.lastVerifiedAt),
      // A device that only calls over HTTP never opens the stream: its hourly check is what we know.
      lastActiveAt: isoDate(streamed && streamed > session.lastVerifiedAt ? streamed : session.lastVerifiedAt),
      expiresAt: isoDate(session.expiresAt),
      userAgent: session.userAgent,
      ipAddress: session.ipAddress,
      current: session.id === options.currentSessionId,
    };
  });
}

/**
 * Records that a device is active now: its live stream opened or closed. Two writes per
 * connection, not one per request; a session revoked meanwhile has no row to update.
 */
export async function markSessionActive(services: Pick<ParleyServices, "db" | "clock">, sessionId: string): Promise<void> {
  await services.db.update(sessions).set({ lastActiveAt: services.clock.now() }).where(eq(sessions.id, sessionId));
}

/** Signs out every device of the user but this one; returns how many were signed out. */
export async function revokeOtherSessions(
  services: AccountServices,
  options: { userId: string; sessionId: string },
): Promise<number> {
  return transactionWithEvents(services, async (tx, emit) => {
    const ended = await tx
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.userId, options.userId), ne(sessions.id, options.sessionId)));
    await invalidateUserSessions(tx, options.userId, { exceptSessionId: options.sessionId });
    for (const session of ended) emit({ userId: options.userId }, { type: "session.revoked", sessionId: session.id });
    return ended.length;
  });
}

/** Ends one of the user's own sessions; another user's session id is treated as unknown. */
export async function revokeSession(
  services: AccountServices,
  options: { userId: string; sessionId: string },
): Promise<void> {
  const [owned] = await services.db
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.id, options.sessionId), eq(sessions.userId, options.userId)));
  if (!owned) throw new DomainError("NOT_FOUND", "Session not found");
  await transactionWithEvents(services, async (tx, emit) => {
    await invalidateSession(tx, owned.id);
    emit({ userId: options.userId }, { type: "session.revoked", sessionId: owned.id });
  });
}

/**
 * Replaces the password after checking the current one, and signs out every other device: a
 * password change is how a user locks out someone who learnt the old one. Wrong guesses count
 * towards the same throttle as failed logins, so a stolen session cannot brute-force the password.
 */
export async function changePassword(
  services: AccountServices,
  options: { userId: string; sessionId: string; currentPassword: string; newPassword: string; ipAddress: string },
): Promise<void> {
  const [row] = await services.db
    .select({ username: users.username, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.id, options.userId));
  if (!row) throw new DomainError("UNAUTHORIZED", "Sign in to continue");

  const attempt = { username: row.username.toLowerCase(), ipAddress: options.ipAddress };
  await oneAttemptAtATime(services, attempt, async () => {
    const allowance = await checkLoginAllowed(services.db, attempt, services.clock);
    if (!allowance.allowed) throw throttled(allowance.retryAfterSeconds);
    if (!(await verifyPassword(row.passwordHash, options.currentPassword))) {
      await recordLoginFailure(services.db, attempt, services.clock);
      throw new DomainError("BAD_REQUEST", "Current password is wrong");
    }
    await recordLoginSuccess(services.db, attempt, services.clock);
  });

  const problem = checkPasswordPolicy(options.newPassword, { username: row.username });
  if (problem) throw new DomainError("BAD_REQUEST", problem);
  if (options.newPassword === options.currentPassword) {
    throw new DomainError("BAD_REQUEST", "New password must differ from the current one");
  }

  const passwordHash = await hashPassword(options.newPassword);
  await transactionWithEvents(services, async (tx, emit) => {
    await tx
      .update(users)
      .set({ passwordHash, updatedAt: services.clock.now() })
      .where(eq(users.id, options.userId));
    const ended = await tx
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.userId, options.userId), ne(sessions.id, options.sessionId)));
    await invalidateUserSessions(tx, options.userId, { exceptSessionId: options.sessionId });
    for (const session of ended) {
      emit({ userId: options.userId }, { type: "session.revoked", sessionId: session.id });
    }
  });
}
