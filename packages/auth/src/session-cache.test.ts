import type { DatabaseHandle } from "@parley/db/client";
import { sessions } from "@parley/db/schema";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createSession, sessionAbsoluteLifetimeSeconds, sessionActivityCheckIntervalSeconds } from "./session";
import { createSessionCache, sessionCacheMaxAgeSeconds } from "./session-cache";
import { createManualClock, createTestDatabase, createTestUser } from "./test-db";

let handle: DatabaseHandle;

beforeAll(async () => {
  handle = await createTestDatabase();
});

afterAll(async () => {
  await handle.close();
});

/** A signed-in session whose row the test can delete behind the cache's back. */
async function signedIn(clock = createManualClock()) {
  const user = await createTestUser(handle.db);
  const created = await createSession(handle.db, { userId: user.id }, clock);
  const deleteRow = () => handle.db.delete(sessions).where(eq(sessions.id, created.session.id));
  return { user, clock, token: created.token, sessionId: created.session.id, deleteRow };
}

describe("createSessionCache", () => {
  it("answers a validated session from memory until it is forgotten", async () => {
    const { clock, token, sessionId, user, deleteRow } = await signedIn();
    const cache = createSessionCache({ db: handle.db, clock });
    expect((await cache.validate(token))?.user.id).toBe(user.id);

    // The row is gone, but nobody told this process: the cached answer stands.
    await deleteRow();
    expect((await cache.validate(token))?.session.id).toBe(sessionId);

    // A session.revoked event reached it: the next call asks the database, which says no.
    cache.forgetSession(sessionId);
    expect(await cache.validate(token)).toBeNull();
  });

  it("refuses a wrong secret even for a cached session id", async () => {
    const { clock, token, sessionId } = await signedIn();
    const cache = createSessionCache({ db: handle.db, clock });
    await cache.validate(token);
    const forged = `${sessionId}.${"a".repeat(token.length - sessionId.length - 1)}`;
    expect(await cache.validate(forged)).toBeNull();
    expect((await cache.validate(token))?.session.id).toBe(sessionId);
  });

  it("asks the database again once the cached answer is older than its maximum age", async () => {
    const { clock, token, deleteRow } = await signedIn();
    const cache = createSessionCache({ db: handle.db, clock });
    await cache.validate(token);
    await deleteRow();
    clock.advanceSeconds(sessionCacheMaxAgeSeconds + 1);
    expect(await cache.validate(token)).toBeNull();
  });

  it("ends a session at its absolute expiry, however active", async () => {
    const { clock, token } = await signedIn();
    const cache = createSessionCache({ db: handle.db, clock, maxAgeSeconds: sessionAbsoluteLifetimeSeconds * 2 });
    const stepSeconds = 20 * 24 * 3_600;
    let elapsed = 0;
    for (; elapsed + stepSeconds < sessionAbsoluteLifetimeSeconds; elapsed += stepSeconds) {
      clock.advanceSeconds(stepSeconds);
      expect(await cache.validate(token)).not.toBeNull();
    }
    clock.advanceSeconds(sessionAbsoluteLifetimeSeconds - elapsed);
    expect(await cache.validate(token)).toBeNull();
  });

  it("goes back to the database when last_verified_at is due for its hourly refresh", async () => {
    const { clock, token, sessionId } = await signedIn();
    const cache = createSessionCache({ db: handle.db, clock, maxAgeSeconds: 24 * 3_600 });
    await cache.validate(token);
    clock.advanceSeconds(sessionActivityCheckIntervalSeconds + 1);
    await cache.validate(token);
    const [row] = await handle.db.select().from(sessions).where(eq(sessions.id, sessionId));
    expect(row?.lastVerifiedAt.getTime()).toBe(clock.now().getTime());
  });

  it("does not keep an answer that was read before a revocation arrived", async () => {
    const { clock, token, sessionId, deleteRow } = await signedIn();
    const cache = createSessionCache({ db: handle.db, clock });
    const pending = cache.validate(token);
    // The revocation lands while the database read is in flight.
    cache.forgetSession(sessionId);
    await pending;
    await deleteRow();
    expect(await cache.validate(token)).toBeNull();
  });

  it("forgets every session of a user whose profile changed", async () => {
    const { clock, token, user, deleteRow } = await signedIn();
    const cache = createSessionCache({ db: handle.db, clock });
    await cache.validate(token);
    await deleteRow();
    cache.forgetUser(user.id);
    expect(await cache.validate(token)).toBeNull();
  });
});
