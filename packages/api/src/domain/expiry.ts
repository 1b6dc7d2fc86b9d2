import { sql, type SQL } from "drizzle-orm";

import { messages } from "@parley/db/schema";

import type { DurableEvent } from "../events/types";
import type { Executor } from "./membership";
import type { MessageView } from "./views";

/*
 * When a disappearing message is gone for a viewer. A conversation's timer is copied onto each
 * message at send (parley_send_messages): "send" sets `expires_at` for everyone; "read" sets
 * `expires_after_read_seconds`, and each recipient's clock starts at their markRead
 * (`message_expiries`). Every read path leaves out what expired for the viewer at the API clock's
 * time, so nothing depends on when the sweeper (expiry-sweeper.ts) gets round to the purge.
 */

/**
 * The rule "not expired for this viewer at `at`" on a messages table or alias, as SQL; the same
 * rule as the database function `parley_expired_for` that history and search use.
 */
export function notExpiredFor(table: typeof messages, viewerId: string, at: Date): SQL {
  const instant = at.toISOString();
  return sql`(${table.expiresAt} is null or ${table.expiresAt} > ${instant}::timestamptz)
    and (${table.expiresAfterReadSeconds} is null or not exists (
      select 1 from message_expiries e
      where e.message_id = ${table.id} and e.user_id = ${viewerId}::uuid and e.expires_at <= ${instant}::timestamptz))`;
}

/** Which of these messages are gone for the viewer at `at` (expired, or purged already). */
export async function expiredMessageIds(db: Executor, query: { viewerId: string; messageIds: string[]; at: Date }): Promise<Set<string>> {
  if (query.messageIds.length === 0) return new Set();
  const rows = await db
    .select({ id: messages.id })
    .from(messages)
    .where(
      sql`${messages.id} in (${sql.join(
        query.messageIds.map((id) => sql`${id}::uuid`),
        sql`, `,
      )}) and not (${notExpiredFor(messages, query.viewerId, query.at)})`,
    );
  return new Set(rows.map((row) => row.id));
}

function messageOf(event: DurableEvent): MessageView | null {
  return event.type === "message.created" || event.type === "message.edited" ? event.message : null;
}

/**
 * Resume never hands back expired content: a logged message event whose message has expired for
 * the viewer is left out, even before the sweeper has purged it. Only events whose message had a
 * timer are looked up, and only while backfilling (a live event is seconds old: what expired by
 * then the payload itself says).
 */
export function createExpiredContentFilter(options: { db: Executor; viewerId: string; now: () => Date }) {
  let live = false;
  return {
    markLive: () => {
      live = true;
    },
    /** Answered at once unless the log must be asked, so a live stream awaits nothing per event. */
    isExpired: (event: DurableEvent): boolean | Promise<boolean> => {
      const message = messageOf(event);
      if (!message) return false;
      const at = options.now();
      if (message.expiresAt !== null && Date.parse(message.expiresAt) <= at.getTime()) return true;
      if (live || message.expiresAfterReadSeconds === null || message.senderId === options.viewerId) return false;
      return expiredMessageIds(options.db, { viewerId: options.viewerId, messageIds: [message.id], at }).then((expired) =>
        expired.has(message.id),
      );
    },
  };
}
