import { and, asc, eq, gt, inArray, or, sql } from "drizzle-orm";

import type { Database, Transaction } from "@parley/db/client";
import { eventCounter, events } from "@parley/db/schema";

import { currentConversationsOf } from "../domain/membership";
import type { DurableEvent, PendingEvent, StoredEvent } from "./types";

type Executor = Database | Transaction;

/**
 * Appends events inside the caller's transaction. Call it as the last write: the counter row
 * stays locked until commit, which is what makes ids gap-free and visible in id order.
 *
 * One statement bumps the counter and writes the rows, so the lock every writer queues for is
 * held for this one round trip and the commit, not for a round trip per statement.
 */
export async function appendEvents(tx: Transaction, pending: PendingEvent[]): Promise<StoredEvent[]> {
  if (pending.length === 0) return [];
  const count = pending.length;
  const rows = pending.map((item) => ({
    conversationId: "conversationId" in item.audience ? item.audience.conversationId : null,
    userId: "userId" in item.audience ? item.audience.userId : null,
    type: item.event.type,
    payload: item.event,
  }));
  const result = (await tx.execute(sql`
    with counter as (
      insert into ${eventCounter} (id, value) values (1, ${count})
      on conflict (id) do update set value = ${eventCounter}.value + ${count}
      returning value
    )
    insert into ${events} (id, conversation_id, user_id, type, payload)
    select counter.value - ${count} + item.position, (item.row->>'conversationId')::uuid,
           (item.row->>'userId')::uuid, item.row->>'type', item.row->'payload'
    from counter, jsonb_array_elements(${JSON.stringify(rows)}::jsonb) with ordinality as item(row, position)
    returning id`)) as unknown as { id: number | string }[] | { rows: { id: number | string }[] };
  const ids = (Array.isArray(result) ? result : result.rows).map((row) => Number(row.id));
  if (ids.length !== count) throw new Error("event append wrote an unexpected number of rows");
  const firstId = Math.min(...ids);
  return rows.map(
    (row, index): StoredEvent => ({
      id: firstId + index,
      conversationId: row.conversationId,
      userId: row.userId,
      event: row.payload,
    }),
  );
}

export async function readLatestEventId(db: Executor): Promise<number> {
  const [row] = await db.select({ value: eventCounter.value }).from(eventCounter).limit(1);
  return row?.value ?? 0;
}

const storedEventColumns = {
  id: events.id,
  conversationId: events.conversationId,
  userId: events.userId,
  payload: events.payload,
};

function toStoredEvent(row: {
  id: number;
  conversationId: string | null;
  userId: string | null;
  payload: unknown;
}): StoredEvent {
  return {
    id: row.id,
    conversationId: row.conversationId,
    userId: row.userId,
    event: row.payload as DurableEvent,
  };
}

/** Every event after `afterId`, in id order. */
export async function readEventRange(
  db: Executor,
  range: { afterId: number; limit: number },
): Promise<StoredEvent[]> {
  const rows = await db
    .select(storedEventColumns)
    .from(events)
    .where(gt(events.id, range.afterId))
    .orderBy(asc(events.id))
    .limit(range.limit);
  return rows.map(toStoredEvent);
}

/**
 * The events addressed to one user after `afterId`: their own, their conversations', and those of
 * a conversation they left or were removed from since, up to their `conversation.left`: what they
 * would have heard live, so that a resume shows who removed them before it says they are out.
 */
export async function readEventsForUser(
  db: Executor,
  query: { userId: string; afterId: number; limit: number },
): Promise<StoredEvent[]> {
  // Uncorrelated, so the planner hashes it once; the correlated bound is read only for rows of
  // such a conversation.
  const leftSince = sql`${events.conversationId} in (
      select (departure.payload->>'conversationId')::uuid from ${events} departure
      where departure.user_id = ${query.userId}::uuid and departure.id > ${query.afterId}
        and departure.type = 'conversation.left'
    ) and ${events.id} < (
      select max(departure.id) from ${events} departure
      where departure.user_id = ${query.userId}::uuid and departure.id > ${query.afterId}
        and departure.type = 'conversation.left'
        and departure.payload->>'conversationId' = ${events.conversationId}::text
    )`;
  const rows = await db
    .select(storedEventColumns)
    .from(events)
    .where(
      and(
        gt(events.id, query.afterId),
        or(eq(events.userId, query.userId), inArray(events.conversationId, currentConversationsOf(db, query.userId)), leftSince),
      ),
    )
    .orderBy(asc(events.id))
    .limit(query.limit);
  return rows.map(toStoredEvent);
}
