import type { Database } from "@parley/db/client";

import { friendIdsOf } from "../domain/relationships";
import type { EventFeed } from "./feed";

export interface Presence {
  /** A live subscription opened for the user; returns the function that closes it. */
  connect: (userId: string) => () => void;
  isOnline: (userIds: string[]) => Promise<Set<string>>;
}

/**
 * Counts one process's live subscriptions per user, calling `onFirst` when a user's count leaves
 * zero and `onLast` when it returns to zero. Each returned close function counts once.
 */
export function createConnectionCounter(callbacks: {
  onFirst: (userId: string) => void;
  onLast: (userId: string) => void;
}): { connect: (userId: string) => () => void; has: (userId: string) => boolean; users: () => string[] } {
  const connections = new Map<string, number>();
  return {
    connect: (userId) => {
      const count = (connections.get(userId) ?? 0) + 1;
      connections.set(userId, count);
      if (count === 1) callbacks.onFirst(userId);
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
        callbacks.onLast(userId);
      };
    },
    has: (userId) => connections.has(userId),
    users: () => [...connections.keys()],
  };
}

/**
 * Counts live subscriptions per user in this process and tells a user's friends when the count
 * leaves or reaches zero.
 */
export function createLocalPresence(options: { db: Database; feed: EventFeed }): Presence {
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

  const connections = createConnectionCounter({
    onFirst: (userId) => announce(userId, true),
    onLast: (userId) => announce(userId, false),
  });
  return {
    connect: connections.connect,
    isOnline: async (userIds) => new Set(userIds.filter((id) => connections.has(id))),
  };
}
