import { createDb } from "@parley/db/client";
import type { Database, DatabaseHandle } from "@parley/db/client";
import { migrate } from "@parley/db/migrate";
import { users } from "@parley/db/schema";

import type { Clock } from "./clock";
import type { SessionUser } from "./session";

/**
 * A migrated database for one test file: the Postgres at DATABASE_URL when set (shared with
 * other files running at once, so tests create their own uniquely named rows and never truncate),
 * otherwise a fresh in-memory PGlite.
 */
export async function createTestDatabase(): Promise<DatabaseHandle> {
  const url = process.env.DATABASE_URL;
  const handle = url ? createDb({ url, maxConnections: 4 }) : createDb({ memory: true });
  await migrate(handle);
  return handle;
}

/** A user with a unique name; the password hash is a placeholder, as these tests never log in. */
export async function createTestUser(db: Database): Promise<SessionUser> {
  const username = `u_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
  const [user] = await db
    .insert(users)
    .values({ username, displayName: "Test User", passwordHash: "not-a-hash" })
    .returning({
      id: users.id,
      username: users.username,
      displayName: users.displayName,
      createdAt: users.createdAt,
      avatarKey: users.avatarKey,
    });
  if (!user) throw new Error("inserting a test user returned no row");
  return user;
}

/** A clock that only moves when a test moves it. */
export interface ManualClock extends Clock {
  advanceSeconds(seconds: number): void;
}

export function createManualClock(start: Date = new Date("2030-01-01T00:00:00Z")): ManualClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advanceSeconds: (seconds) => {
      current += seconds * 1000;
    },
  };
}
