import type { Clock } from "@parley/auth";

import type { EventFeed } from "./feed";

/** How long a typing notice holds: clients show the indicator until `expiresAt`. */
export const typingLifetimeMs = 5_000;
const typingMinIntervalMs = 1_000;

export interface TypingAnnouncement {
  userId: string;
  conversationId: string;
  /** Rejects when the user may not type here; runs only for announcements that are not dropped. */
  requireMember: () => Promise<unknown>;
}

export interface TypingService {
  /**
   * Tells the other members the user is typing. Repeats within a second are dropped before
   * `requireMember` touches the database: typing indicators are best effort and never stored.
   */
  announce: (announcement: TypingAnnouncement) => Promise<void>;
}

export function createTypingService(options: { feed: EventFeed; clock: Clock }): TypingService {
  /** When each (user, conversation) last announced typing, in this process. */
  const lastTypingAtMs = new Map<string, number>();
  return {
    announce: async ({ userId, conversationId, requireMember }) => {
      const nowMs = options.clock.now().getTime();
      const key = `${userId}:${conversationId}`;
      const previousMs = lastTypingAtMs.get(key);
      if (previousMs !== undefined && nowMs - previousMs < typingMinIntervalMs) return;
      await requireMember();
      if (lastTypingAtMs.size > 10_000) {
        for (const [staleKey, atMs] of lastTypingAtMs) {
          if (nowMs - atMs >= typingMinIntervalMs) lastTypingAtMs.delete(staleKey);
        }
      }
      lastTypingAtMs.set(key, nowMs);
      options.feed.publishEphemeral({
        audience: { conversationId },
        event: {
          type: "typing",
          conversationId,
          userId,
          expiresAt: new Date(nowMs + typingLifetimeMs).toISOString(),
        },
      });
    },
  };
}
