import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import type { DatabaseHandle } from "@parley/db/client";
import { sessions } from "@parley/db/schema";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  createSession,
  deleteExpiredSessions,
  invalidateSession,
  invalidateUserSessions,
  listUserSessions,
  sessionAbsoluteLifetimeSeconds,
  sessionActivityCheckIntervalSeconds,
  sessionInactivityTimeoutSeconds,
  validateSessionToken,
} from "./session";
import { parseSessionToken } from "./session-token";
import { createManualClock, createTestDatabase, createTestUser } from "./test-db";

const minuteSeconds = 60;
const daySeconds = 24 * 60 * 60;

let handle: DatabaseHandle;

beforeAll(async () => {
  handle = await createTestDatabase();
});

afterAll(async () => {
  await handle.close();
});

async function storedRow(sessionId: string) {
  const [row] = await handle.db.select().from(sessions).where(eq(sessions.id, sessionId));
  return row;
}

describe("timing constants", () => {
  it("are the documented durations", () => {
    expect(sessionInactivityTimeoutSeconds).toBe(30 * daySeconds);
    expect(sessionAbsoluteLifetimeSeconds).toBe(365 * daySeconds);
    expect(sessionActivityCheckIntervalSeconds).toBe(60 * minuteSeconds);
  });
});

describe("createSession / validateSessionToken", () => {
  it("creates a session the token then validates, with its user", async () => {
    const clock = createManualClock();
    const user = await createTestUser(handle.db);
    const { token, session } = await createSession(
      handle.db,
      { userId: user.id, userAgent: "Firefox on Linux", ipAddress: "198.51.100.4" },
      clock,
    );
    expect(token.startsWith(`${session.id}.`)).toBe(true);
    expect(session).toMatchObject({
      userId: user.id,
      createdAt: clock.now(),
      lastVerifiedAt: clock.now(),
      userAgent: "Firefox on Linux",
      ipAddress: "198.51.100.4",
    });
    expect(session.expiresAt.getTime() - session.createdAt.getTime()).toBe(
      sessionAbsoluteLifetimeSeconds * 1000,
    );

    const result = await validateSessionToken(handle.db, token, clock);
    expect(result).toEqual({ session, user });
  });

  it("stores null for a missing user agent and address", async () => {
    const user = await createTestUser(handle.db);
    const { session } = await createSession(handle.db, { userId: user.id });
    expect(session.userAgent).toBeNull();
    expect(session.ipAddress).toBeNull();
    expect(await storedRow(session.id)).toMatchObject({ userAgent: null, ipAddress: null });
  });

  it("rejects a tampered secret, and the tampering does not end the real session", async () => {
    const clock = createManualClock();
    const user = await createTestUser(handle.db);
    const { token } = await createSession(handle.db, { userId: user.id }, clock);
    const lastCharacter = token.at(-1) === "a" ? "b" : "a";
    const tampered = `${token.slice(0, -1)}${lastCharacter}`;
    expect(await validateSessionToken(handle.db, tampered, clock)).toBeNull();
    expect(await validateSessionToken(handle.db, token, clock)).not.toBeNull();
  });

  it("rejects an unknown id", async () => {
    const user = await createTestUser(handle.db);
    const { token } = await createSession(handle.db, { userId: user.id });
    const { secret } = parseSessionToken(token)!;
    const unknownId = "q".repeat(32);
    expect(await validateSessionToken(handle.db, `${unknownId}.${secret}`)).toBeNull();
  });

  it("returns null, without throwing, for garbage", async () => {
    const garbage = [
      "",
      "no-dot",
      ".",
      "a.b",
      "x".repeat(10_000),
      `${"é".repeat(32)}.${"é".repeat(32)}`,
      "🙂".repeat(40),
      "'; drop table sessions; --",
      "\u0000".repeat(65),
    ];
    for (const token of garbage) {
      await expect(validateSessionToken(handle.db, token)).resolves.toBeNull();
    }
  });
});

describe("expiry", () => {
  it("ends a session left unused past the inactivity timeout, and deletes its row", async () => {
    const clock = createManualClock();
    const user = await createTestUser(handle.db);
    const { token, session } = await createSession(handle.db, { userId: user.id }, clock);

    clock.advanceSeconds(sessionInactivityTimeoutSeconds - minuteSeconds);
    expect(await validateSessionToken(handle.db, token, clock)).not.toBeNull();

    clock.advanceSeconds(sessionInactivityTimeoutSeconds + minuteSeconds);
    expect(await validateSessionToken(handle.db, token, clock)).toBeNull();
    expect(await storedRow(session.id)).toBeUndefined();
  });

  it("ends a session at its absolute lifetime even when it never goes idle", async () => {
    const clock = createManualClock();
    const user = await createTestUser(handle.db);
    const { token, session } = await createSession(handle.db, { userId: user.id }, clock);

    const stepSeconds = 20 * daySeconds;
    while (clock.now().getTime() + stepSeconds * 1000 < session.expiresAt.getTime()) {
      clock.advanceSeconds(stepSeconds);
      expect(await validateSessionToken(handle.db, token, clock)).not.toBeNull();
    }
    clock.advanceSeconds((session.expiresAt.getTime() - clock.now().getTime()) / 1000);
    expect(clock.now()).toEqual(session.expiresAt);
    expect(await validateSessionToken(handle.db, token, clock)).toBeNull();
    expect(await storedRow(session.id)).toBeUndefined();
  });

  it("writes last_verified_at at most once per activity interval", async () => {
    const clock = createManualClock();
    const user = await createTestUser(handle.db);
    const { token, session } = await createSession(handle.db, { userId: user.id }, clock);

    clock.advanceSeconds(10 * minuteSeconds);
    const early = await validateSessionToken(handle.db, token, clock);
    expect(early?.session.lastVerifiedAt).toEqual(session.createdAt);
    expect((await storedRow(session.id))?.lastVerifiedAt).toEqual(session.createdAt);

    clock.advanceSeconds(51 * minuteSeconds);
    const late = await validateSessionToken(handle.db, token, clock);
    expect(late?.session.lastVerifiedAt).toEqual(clock.now());
    expect((await storedRow(session.id))?.lastVerifiedAt).toEqual(clock.now());
  });

  it("sweeps expired sessions of every user and keeps live ones", async () => {
    // Far in the past, so the sweep cannot touch rows other test files are using.
    const clock = createManualClock(new Date("2001-03-01T00:00:00Z"));
    const user = await createTestUser(handle.db);
    const stale = await createSession(handle.db, { userId: user.id }, clock);
    clock.advanceSeconds(sessionInactivityTimeoutSeconds);
    const fresh = await createSession(handle.db, { userId: user.id }, clock);

    expect(await deleteExpiredSessions(handle.db, clock)).toBeGreaterThanOrEqual(1);
    expect(await storedRow(stale.session.id)).toBeUndefined();
    expect(await storedRow(fresh.session.id)).toBeDefined();
  });
});

describe("invalidation", () => {
  it("ends one session and leaves the user's others", async () => {
    const user = await createTestUser(handle.db);
    const phone = await createSession(handle.db, { userId: user.id });
    const laptop = await createSession(handle.db, { userId: user.id });
    await invalidateSession(handle.db, phone.session.id);
    expect(await validateSessionToken(handle.db, phone.token)).toBeNull();
    expect(await validateSessionToken(handle.db, laptop.token)).not.toBeNull();
  });

  it("ends every session of a user, and no one else's", async () => {
    const user = await createTestUser(handle.db);
    const other = await createTestUser(handle.db);
    const first = await createSession(handle.db, { userId: user.id });
    const second = await createSession(handle.db, { userId: user.id });
    const othersSession = await createSession(handle.db, { userId: other.id });
    await invalidateUserSessions(handle.db, user.id);
    expect(await validateSessionToken(handle.db, first.token)).toBeNull();
    expect(await validateSessionToken(handle.db, second.token)).toBeNull();
    expect(await validateSessionToken(handle.db, othersSession.token)).not.toBeNull();
  });

  it("can keep the current session while ending the rest", async () => {
    const user = await createTestUser(handle.db);
    const current = await createSession(handle.db, { userId: user.id });
    const stolen = await createSession(handle.db, { userId: user.id });
    const forgotten = await createSession(handle.db, { userId: user.id });
    await invalidateUserSessions(handle.db, user.id, { exceptSessionId: current.session.id });
    expect(await validateSessionToken(handle.db, current.token)).not.toBeNull();
    expect(await validateSessionToken(handle.db, stolen.token)).toBeNull();
    expect(await validateSessionToken(handle.db, forgotten.token)).toBeNull();
  });
});

describe("listUserSessions", () => {
  it("lists the user's live sessions, most recently active first", async () => {
    const clock = createManualClock();
    const user = await createTestUser(handle.db);
    const other = await createTestUser(handle.db);
    const abandoned = await createSession(handle.db, { userId: user.id, userAgent: "old" }, clock);
    clock.advanceSeconds(10 * daySeconds);
    const desktop = await createSession(
      handle.db,
      { userId: user.id, userAgent: "desktop" },
      clock,
    );
    const phone = await createSession(handle.db, { userId: user.id, userAgent: "phone" }, clock);
    await createSession(handle.db, { userId: other.id }, clock);
    clock.advanceSeconds(25 * daySeconds);
    await validateSessionToken(handle.db, desktop.token, clock);

    const listed = await listUserSessions(handle.db, user.id, clock);
    expect(listed.map((session) => session.userAgent)).toEqual(["desktop", "phone"]);
    expect(listed[0]).toMatchObject({ id: desktop.session.id, lastVerifiedAt: clock.now() });
    expect(listed[1]).toEqual(phone.session);
    expect(listed.some((session) => session.id === abandoned.session.id)).toBe(false);
  });

  it("is empty for a user without sessions", async () => {
    const user = await createTestUser(handle.db);
    expect(await listUserSessions(handle.db, user.id)).toEqual([]);
  });
});

describe("what the database holds", () => {
  it("never holds a usable token", async () => {
    const user = await createTestUser(handle.db);
    const { token, session } = await createSession(handle.db, { userId: user.id });
    const { secret } = parseSessionToken(token)!;

    // Every column of the row, as Postgres itself renders it.
    const rows = await handle.db
      .select({ json: sql<string>`row_to_json(${sessions})::text` })
      .from(sessions)
      .where(eq(sessions.id, session.id));
    const rowText = rows[0]?.json ?? "";
    const stored = await storedRow(session.id);
    expect(stored).toBeDefined();
    const hashHex = encodeHexLowerCase(stored!.secretHash);
    expect(rowText).toContain(hashHex);
    expect(rowText).not.toContain(token);
    expect(rowText).not.toContain(secret);

    const rebuiltTokens = [
      `${session.id}.${hashHex}`,
      `${session.id}.${hashHex.slice(0, 32)}`,
      `${session.id}.${encodeBase32LowerCaseNoPadding(stored!.secretHash)}`,
      `${session.id}.${encodeBase32LowerCaseNoPadding(stored!.secretHash).slice(0, 32)}`,
      `${session.id}.${session.id}`,
    ];
    for (const rebuilt of rebuiltTokens) {
      expect(await validateSessionToken(handle.db, rebuilt)).toBeNull();
    }
    expect(await validateSessionToken(handle.db, token)).not.toBeNull();
  });
});
