import { sql } from "drizzle-orm";

import type { Clock } from "@parley/auth";
import type { Database } from "@parley/db/client";

import type { StoredEvent } from "./events/types";
import type { Logger } from "./logger";
import { startPeriodicJob } from "./periodic-job";

/** How often the sweeper looks for messages whose time ran out. */
export const expirySweepIntervalMs = 1_000;
/** Messages purged per statement; a larger backlog takes several in a row. */
const expirySweepBatchSize = 500;

export interface ExpirySweeper {
  /** Purges everything due now; resolves with how many messages it purged. */
  sweep: () => Promise<number>;
  stop: () => Promise<void>;
}

interface ExpiredRow {
  eventId: number | string;
  payload: StoredEvent["event"] & { conversationId: string };
  storageKeys: string[];
}

/**
 * Purges disappearing messages once they expired for everyone (parley_expire_messages: body,
 * reactions, attachments, reply links and the content of their logged events) and announces
 * each as `message.expired`. Durable by construction: what is due is read from the indexed
 * `expires_at` column, so a restart, or a node that died mid-sweep, leaves nothing behind, and
 * `FOR UPDATE SKIP LOCKED` lets every node sweep without two purging one message.
 *
 * No read path waits for this: they all leave out what expired at the clock's time.
 */
export function startExpirySweeper(options: {
  db: Database;
  clock: Clock;
  logger: Logger;
  publish: (events: StoredEvent[]) => void;
  /** Blobs of purged attachments; none while no attachment storage is configured. */
  deleteBlobs?: (storageKeys: string[]) => Promise<void>;
  intervalMs?: number;
}): ExpirySweeper {
  const statement = options.db
    .select({
      eventId: sql<number | string>`event_id`,
      payload: sql<ExpiredRow["payload"]>`event_payload`,
      storageKeys: sql<string[]>`storage_keys`,
    })
    .from(sql`parley_expire_messages(${sql.placeholder("at")}::timestamptz, ${sql.placeholder("batchSize")}::integer)`)
    .prepare("parley_expire_messages");

  const sweepOnce = async (): Promise<number> => {
    let purged = 0;
    for (;;) {
      const rows = (await statement.execute({ at: options.clock.now().toISOString(), batchSize: expirySweepBatchSize })) as ExpiredRow[];
      if (rows.length === 0) return purged;
      purged += rows.length;
      const events = rows
        .map((row): StoredEvent => ({ id: Number(row.eventId), conversationId: row.payload.conversationId, userId: null, event: row.payload }))
        .sort((a, b) => a.id - b.id);
      options.publish(events);
      const storageKeys = [...new Set(rows.flatMap((row) => row.storageKeys))];
      if (storageKeys.length > 0 && options.deleteBlobs) await options.deleteBlobs(storageKeys);
      if (rows.length < expirySweepBatchSize) return purged;
    }
  };

  const job = startPeriodicJob({ work: sweepOnce, intervalMs: options.intervalMs ?? expirySweepIntervalMs, logger: options.logger, failure: "expiry sweep failed" });
  return { sweep: job.run, stop: job.stop };
}
