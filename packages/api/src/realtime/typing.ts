import type { Clock } from "@parley/auth";

import type { RateLimiter, RateLimitOptions } from "../rate-limit";
import type { EventFeed } from "./feed";

/** How long a typing notice holds: clients show the indicator until `expiresAt`. */
export const typingLifetimeMs = 5_000;
/** One announcement per (user, conversation) per second; the rest are dropped. */
export const typingRate: RateLimitOptions = { burst: 1, perSecond: 1 };

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

export function createTypingService(options: { feed: EventFeed; clock: Clock; limiter: RateLimiter }): TypingService {
  return {
    announce: async ({ userId, conversationId, requireMember }) => {
      const key = `${userId}:${conversationId}`;
      if (!(await options.limiter.take(key)).allowed) return;
      try {
        await requireMember();
      } catch (error) {
        // Refused announcements do not count: the next one is checked (and refused) again.
        await options.limiter.refund(key);
        throw error;
      }
      const nowMs = options.clock.now().getTime();
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
