import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";

import { createSession, sessionAbsoluteLifetimeSeconds, validateSessionToken, type Clock } from "@parley/auth";
import { createDb, type DatabaseHandle } from "@parley/db/client";
import { migrate } from "@parley/db/migrate";
import { sessions, users } from "@parley/db/schema";

import { silentLogger } from "./logger";
import { startMaintenance } from "./maintenance";

let handle: DatabaseHandle;

beforeAll(async () => {
  // In memory even when DATABASE_URL is set: the sweep deletes every expired session it sees.
  handle = createDb({ memory: true });
  await migrate(handle);
});

afterAll(async () => {
  await handle.close();
});

describe("startMaintenance", () => {
  it("deletes expired sessions in the background and keeps live ones", async () => {
    const [user] = await handle.db
      .insert(users)
      .values({ username: "sweeper", displayName: "Sweeper", passwordHash: "x" })
      .returning();
    if (!user) throw new Error("no user");
    const start = new Date("2030-01-01T00:00:00Z");
    const old = await createSession(handle.db, { userId: user.id }, { now: () => start });
    const later: Clock = { now: () => new Date(start.getTime() + (sessionAbsoluteLifetimeSeconds + 60) * 1_000) };
    const fresh = await createSession(handle.db, { userId: user.id }, later);

    const maintenance = startMaintenance({ db: handle.db, clock: later, logger: silentLogger, intervalMs: 20 });
    await expect
      .poll(async () => (await handle.db.select().from(sessions).where(eq(sessions.id, old.session.id))).length)
      .toBe(0);
    await maintenance.stop();

    expect(await validateSessionToken(handle.db, fresh.token, later)).not.toBeNull();
  });
});
