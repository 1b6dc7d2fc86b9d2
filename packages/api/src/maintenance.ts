import { deleteExpiredSessions, deleteStaleLoginThrottles, type Clock } from "@parley/auth";
import type { Database } from "@parley/db/client";

import type { Logger } from "./logger";

/** How often expired sessions and forgotten login-failure counters are deleted. */
export const maintenanceIntervalMs = 60 * 60 * 1_000;

/**
 * Deletes expired sessions and stale throttle rows in the background, so neither table grows
 * with every sign-in ever made. Several processes may sweep at once: the deletes are idempotent.
 */
export function startMaintenance(options: {
  db: Database;
  clock: Clock;
  logger: Logger;
  intervalMs?: number;
}): { stop: () => Promise<void> } {
  let running: Promise<void> | null = null;
  const sweep = () => {
    if (running) return;
    running = (async () => {
      const sessions = await deleteExpiredSessions(options.db, options.clock);
      const throttles = await deleteStaleLoginThrottles(options.db, options.clock);
      if (sessions + throttles > 0) options.logger.info({ sessions, throttles }, "expired rows deleted");
    })()
      .catch((error: unknown) => options.logger.warn({ err: String(error) }, "maintenance sweep failed"))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(sweep, options.intervalMs ?? maintenanceIntervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
