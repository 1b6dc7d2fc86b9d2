import type { Database, Transaction } from "@parley/db/client";

import type { EventFeed } from "../realtime/feed";
import { appendEvents } from "./log";
import type { DurableEvent, EventAudience, PendingEvent } from "./types";

export type EmitEvent = (audience: EventAudience, event: DurableEvent) => void;

/**
 * Runs `work` in a transaction (query through `tx` only: on PGlite a second query through `db`
 * would wait for this transaction forever); the events it emits are appended to the log as the
 * transaction's last write and announced on the bus only after the commit succeeded.
 */
export async function transactionWithEvents<TResult>(
  services: { db: Database; feed: EventFeed },
  work: (tx: Transaction, emit: EmitEvent) => Promise<TResult>,
): Promise<TResult> {
  const { result, stored } = await services.db.transaction(async (tx) => {
    const pending: PendingEvent[] = [];
    const result = await work(tx, (audience, event) => pending.push({ audience, event }));
    return { result, stored: await appendEvents(tx, pending) };
  });
  services.feed.publish(stored);
  return result;
}
