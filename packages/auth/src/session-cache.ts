import { constantTimeEqual } from "@oslojs/crypto/subtle";
import type { Database } from "@parley/db/client";

import { secondsAfter, systemClock } from "./clock";
import type { Clock } from "./clock";
import {
  sessionActivityCheckIntervalSeconds,
  sessionInactivityTimeoutSeconds,
  validateSessionToken,
} from "./session";
import type { SessionValidation } from "./session";
import { hashSessionSecret, parseSessionToken } from "./session-token";

/** How long a validated session is trusted without asking the database again. */
export const sessionCacheMaxAgeSeconds = 30;
const sessionCacheMaxEntries = 100_000;

export interface SessionCacheOptions {
  db: Database;
  clock?: Clock;
  maxAgeSeconds?: number;
}

/**
 * `validateSessionToken` with a per-process memory of the answers. A revoked session is
 * forgotten as soon as its `session.revoked` event reaches this process (`forgetSession`);
 * expiry and the hourly `last_verified_at` refresh are checked against the cached times, so
 * they take effect as if the database had been asked.
 */
export interface SessionCache {
  validate: (token: string) => Promise<SessionValidation | null>;
  forgetSession: (sessionId: string) => void;
  /** The user's cached profile may be stale (a rename): ask the database next time. */
  forgetUser: (userId: string) => void;
}

interface CachedSession {
  secretHash: Uint8Array;
  validation: SessionValidation;
  validUntilMs: number;
}

export function createSessionCache(options: SessionCacheOptions): SessionCache {
  const clock = options.clock ?? systemClock;
  const maxAgeMs = (options.maxAgeSeconds ?? sessionCacheMaxAgeSeconds) * 1_000;
  const entries = new Map<string, CachedSession>();
  // Bumped by every forget: a database answer read before a revocation must not be cached after it.
  let generation = 0;

  function validUntilMs(validation: SessionValidation, nowMs: number): number {
    const { session } = validation;
    return Math.min(
      nowMs + maxAgeMs,
      session.expiresAt.getTime(),
      secondsAfter(session.lastVerifiedAt, sessionInactivityTimeoutSeconds).getTime(),
      // Past this the database's last_verified_at is due for its refresh.
      secondsAfter(session.lastVerifiedAt, sessionActivityCheckIntervalSeconds).getTime(),
    );
  }

  return {
    validate: async (token) => {
      const parsed = parseSessionToken(token);
      if (!parsed) return null;
      const secretHash = hashSessionSecret(parsed.secret);
      const nowMs = clock.now().getTime();
      const cached = entries.get(parsed.id);
      if (cached) {
        if (nowMs < cached.validUntilMs && constantTimeEqual(secretHash, cached.secretHash)) return cached.validation;
        entries.delete(parsed.id);
      }
      const startedAt = generation;
      const validation = await validateSessionToken(options.db, token, clock);
      if (validation && generation === startedAt) {
        if (entries.size >= sessionCacheMaxEntries) {
          const oldest = entries.keys().next();
          if (!oldest.done) entries.delete(oldest.value);
        }
        entries.set(parsed.id, { secretHash, validation, validUntilMs: validUntilMs(validation, clock.now().getTime()) });
      }
      return validation;
    },
    forgetSession: (sessionId) => {
      generation += 1;
      entries.delete(sessionId);
    },
    forgetUser: (userId) => {
      generation += 1;
      for (const [sessionId, cached] of entries) {
        if (cached.validation.user.id === userId) entries.delete(sessionId);
      }
    },
  };
}
