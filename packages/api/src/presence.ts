import { and, eq, or } from "drizzle-orm";

import type { Database, Transaction } from "@parley/db/client";
import { friendships } from "@parley/db/schema";

import type { EventFeed } from "./events/feed";

/** Accepted friends of a user: the people who see their presence. */
export async function friendIdsOf(db: Database | Transaction, userId: string): Promise<string[]> {
  const rows = await db
    .select({ requesterId: friendships.requesterId, addresseeId: friendships.addresseeId })
    .from(friendships)
    .where(
      and(
        eq(friendships.status, "accepted"),
        or(eq(friendships.requesterId, userId), eq(friendships.addresseeId, userId)),
      ),
    );
  return rows.map((row) => (row.requesterId === userId ? row.addresseeId : row.requesterId));
}

export interface Presence {
  /** A live subscription opened for the user; returns the function that closes it. */
  connect: (userId: string) => () => void;
  isOnline: (userIds: string[]) => Promise<Set<string>>;
}

/**
 * Counts live subscriptions per user in this process and tells a user's friends when the count
 * leaves or reaches zero.
 */
export function createLocalPresence(options: { db: Database; feed: EventFeed }): Presence {
  const connections = new Map<string, number>();

  function announce(userId: string, online: boolean): void {
    friendIdsOf(options.db, userId)
      .then((friendIds) => {
        if (friendIds.length === 0) return;
        options.feed.publishEphemeral({
          audience: { userIds: friendIds },
          event: { type: "presence", userId, online },
        });
      })
      .catch(() => {
        // Presence is best effort: a missed announcement is corrected by the next one.
      });
  }

  return {
    connect: (userId) => {
      const count = (connections.get(userId) ?? 0) + 1;
      connections.set(userId, count);
      if (count === 1) announce(userId, true);
      let closed = false;
      return () => {
        if (closed) return;
        closed = true;
        const remaining = (connections.get(userId) ?? 1) - 1;
        if (remaining > 0) {
          connections.set(userId, remaining);
          return;
        }
        connections.delete(userId);
        announce(userId, false);
      };
    },
    isOnline: async (userIds) => new Set(userIds.filter((id) => connections.has(id))),
  };
}
