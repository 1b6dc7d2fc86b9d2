import { sql } from "drizzle-orm";

import type { Database } from "@parley/db/client";

import type { StoredEvent } from "../events/types";
import type { MessageView } from "./views";

/** One send as the database function `parley_send_messages` takes it (migrations 0002 and 0007). */
export interface SendRequest {
  conversationId: string;
  senderId: string;
  clientId: string;
  body: string;
  replyToId: string | null;
  /** A forwarded copy, and the original's author (null when they blocked the forwarder). */
  forwarded?: boolean;
  forwardedFromUserId?: string | null;
  /** Ready uploads of the sender's to this conversation, claimed by the message (kind follows from them). */
  attachmentIds?: string[];
}

export type SendRefusal = "not_member" | "blocked" | "not_friends" | "bad_reply" | "bad_attachment";

export type SendOutcome =
  | { outcome: "created"; message: MessageView; eventId: number }
  /** The sender already used this clientId: the stored message is the answer. */
  | { outcome: "duplicate" }
  | { outcome: SendRefusal };

export interface MessageWriterStats {
  batches: number;
  sends: number;
  largestBatch: number;
  /** Sends stored again one by one because the batch they were in failed as a whole. */
  sendsRetriedAlone: number;
}

/**
 * Writes sends in batches: while one batch is being committed, the sends that arrive queue up
 * and go out together as the next one, in one statement, one transaction and one event-counter
 * bump. Nothing waits for a batch to fill: an idle writer sends a lone message at once.
 */
export interface MessageWriter {
  /** Resolves once the send's batch has committed (or it was refused); rejects if it could not be stored. */
  write: (request: SendRequest) => Promise<SendOutcome>;
  stats: () => MessageWriterStats;
}

export interface MessageWriterOptions {
  db: Database;
  /** The instant a batch is sent at: disappearing timers that start at send count from it. */
  now?: () => Date;
  /** Called with a committed batch's events, in id order, before any send in it is acknowledged. */
  publish: (events: StoredEvent[]) => void;
  maxBatchSize?: number;
  /** Batches committing at once; more overlap one batch's commit with the next one's work. */
  maxConcurrentBatches?: number;
}

interface Queued {
  request: SendRequest;
  resolve: (outcome: SendOutcome) => void;
  reject: (error: unknown) => void;
}

/** A UTF-16 surrogate without its other half: JSON can escape it, but jsonb refuses it. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

interface OutcomeRow {
  position: number;
  outcome: SendOutcome["outcome"];
  message: MessageView | null;
  eventId: number | string | null;
}

export function createMessageWriter(options: MessageWriterOptions): MessageWriter {
  const maxBatchSize = options.maxBatchSize ?? 200;
  const maxConcurrentBatches = options.maxConcurrentBatches ?? 2;
  const queue: Queued[] = [];
  const stats: MessageWriterStats = { batches: 0, sends: 0, largestBatch: 0, sendsRetriedAlone: 0 };
  let running = 0;

  const statement = options.db
    .select({
      position: sql<number>`item_position`,
      outcome: sql<SendOutcome["outcome"]>`item_outcome`,
      message: sql<MessageView | null>`item_message`,
      eventId: sql<number | string | null>`item_event_id`,
    })
    .from(sql`parley_send_messages(${sql.placeholder("batch")}::jsonb, ${sql.placeholder("sentAt")}::timestamptz)`)
    .prepare("parley_send_messages");
  const now = options.now ?? (() => new Date());

  async function store(batch: Queued[]): Promise<OutcomeRow[]> {
    // One malformed body must not fail its whole batch: it is stored with U+FFFD in place of the
    // lone surrogate, as the drivers store any text parameter.
    const items = batch.map(({ request }) => ({ ...request, body: request.body.replace(loneSurrogate, "\uFFFD") }));
    const rows = (await statement.execute({ batch: JSON.stringify(items), sentAt: now().toISOString() })) as OutcomeRow[];
    if (rows.length !== batch.length) throw new Error("parley_send_messages answered for a different number of sends");
    return rows;
  }

  function settle(batch: Queued[], rows: OutcomeRow[]): void {
    const events: StoredEvent[] = [];
    const outcomes = rows.map((row): SendOutcome => {
      if (row.outcome !== "created") return { outcome: row.outcome } as SendOutcome;
      if (!row.message || row.eventId === null) throw new Error("a created send came back without its message");
      const eventId = Number(row.eventId);
      events.push({
        id: eventId,
        conversationId: row.message.conversationId,
        userId: null,
        event: { type: "message.created", conversationId: row.message.conversationId, message: row.message },
      });
      return { outcome: "created", message: row.message, eventId };
    });
    if (events.length > 0) options.publish(events);
    batch.forEach((queued, index) => queued.resolve(outcomes[index] as SendOutcome));
  }

  async function run(batch: Queued[]): Promise<void> {
    stats.batches += 1;
    stats.sends += batch.length;
    stats.largestBatch = Math.max(stats.largestBatch, batch.length);
    try {
      settle(batch, await store(batch));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // The whole batch rolled back (or its commit's fate is unknown). Each send goes again on
      // its own, so only the one that cannot be stored fails; one that did commit is found
      // again by its clientId and answers as a duplicate.
      stats.sendsRetriedAlone += batch.length;
      await Promise.all(
        batch.map(async (queued) => {
          try {
            settle([queued], await store([queued]));
          } catch (singleError) {
            queued.reject(singleError);
          }
        }),
      );
    }
  }

  function pump(): void {
    while (running < maxConcurrentBatches && queue.length > 0) {
      const batch = queue.splice(0, maxBatchSize);
      running += 1;
      void run(batch).finally(() => {
        running -= 1;
        pump();
      });
    }
  }

  return {
    write: (request) =>
      new Promise<SendOutcome>((resolve, reject) => {
        queue.push({ request, resolve, reject });
        pump();
      }),
    stats: () => ({ ...stats }),
  };
}
