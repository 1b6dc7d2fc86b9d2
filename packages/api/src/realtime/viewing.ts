import type { Redis } from "ioredis";

import type { Clock } from "@parley/auth";

import type { Logger } from "../logger";

/**
 * How long a device's report holds. The web app repeats it well within this while the
 * conversation stays on screen, so a closed tab or a lost connection stops counting soon after.
 */
export const viewingLifetimeMs = 60_000;

/**
 * Which conversation each device (session) shows in a visible, focused window. Ephemeral: never
 * stored in the database; push asks it whether a member would see a message without a push.
 */
export interface ConversationViewing {
  /** The device now shows `conversationId` (null: nothing, or the window is hidden). */
  report: (input: { userId: string; sessionId: string; conversationId: string | null }) => Promise<void>;
  /** The users among `userIds` with at least one device showing the conversation now. */
  viewers: (conversationId: string, userIds: readonly string[]) => Promise<Set<string>>;
  /** An ended session shows nothing from now on. */
  forgetSession: (userId: string, sessionId: string) => Promise<void>;
}

interface Report {
  conversationId: string;
  expiresAtMs: number;
}

/** One process's reports, for a single node (and the fallback while Redis is away). */
export function createLocalViewing(options: { clock: Clock }): ConversationViewing {
  const byUser = new Map<string, Map<string, Report>>();
  return {
    report: async ({ userId, sessionId, conversationId }) => {
      const sessions = byUser.get(userId) ?? new Map<string, Report>();
      if (conversationId === null) sessions.delete(sessionId);
      else sessions.set(sessionId, { conversationId, expiresAtMs: options.clock.now().getTime() + viewingLifetimeMs });
      if (sessions.size === 0) byUser.delete(userId);
      else byUser.set(userId, sessions);
    },
    viewers: async (conversationId, userIds) => {
      const nowMs = options.clock.now().getTime();
      const viewers = new Set<string>();
      for (const userId of userIds) {
        const sessions = byUser.get(userId);
        if (!sessions) continue;
        for (const [sessionId, report] of sessions) {
          if (report.expiresAtMs <= nowMs) sessions.delete(sessionId);
          else if (report.conversationId === conversationId) viewers.add(userId);
        }
        if (sessions.size === 0) byUser.delete(userId);
      }
      return viewers;
    },
    forgetSession: async (userId, sessionId) => {
      byUser.get(userId)?.delete(sessionId);
    },
  };
}

/**
 * Reports kept in Redis, one hash per user (session → conversation and deadline), so that a
 * device connected to any node counts. While Redis is unreachable each node answers from its own
 * reports, and says so once.
 */
export function createRedisViewing(options: { redis: Redis; prefix: string; clock: Clock; logger: Logger }): ConversationViewing {
  const local = createLocalViewing({ clock: options.clock });
  const key = (userId: string): string => `${options.prefix}:${userId}`;
  let warned = false;
  const fellBack = (error: unknown): void => {
    if (warned) return;
    warned = true;
    options.logger.warn({ err: String(error) }, "conversation viewing falls back to this node's reports: Redis is unreachable");
  };
  return {
    report: async (input) => {
      await local.report(input);
      try {
        if (input.conversationId === null) {
          await options.redis.hdel(key(input.userId), input.sessionId);
          return;
        }
        const expiresAtMs = options.clock.now().getTime() + viewingLifetimeMs;
        await options.redis
          .multi()
          .hset(key(input.userId), input.sessionId, `${input.conversationId}|${expiresAtMs}`)
          .pexpire(key(input.userId), viewingLifetimeMs)
          .exec();
        warned = false;
      } catch (error) {
        fellBack(error);
      }
    },
    viewers: async (conversationId, userIds) => {
      if (userIds.length === 0) return new Set();
      try {
        const pipeline = options.redis.pipeline();
        for (const userId of userIds) pipeline.hvals(key(userId));
        const results = (await pipeline.exec()) ?? [];
        const nowMs = options.clock.now().getTime();
        const viewers = new Set<string>();
        results.forEach(([error, values], index) => {
          if (error) throw error;
          const userId = userIds[index];
          if (userId === undefined) return;
          for (const value of values as string[]) {
            const [viewed, deadline] = value.split("|");
            if (viewed === conversationId && Number(deadline) > nowMs) viewers.add(userId);
          }
        });
        return viewers;
      } catch (error) {
        fellBack(error);
        return local.viewers(conversationId, userIds);
      }
    },
    forgetSession: async (userId, sessionId) => {
      await local.forgetSession(userId, sessionId);
      await options.redis.hdel(key(userId), sessionId).catch(fellBack);
    },
  };
}
