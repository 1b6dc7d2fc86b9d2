import { and, asc, eq, gt, inArray, isNull, lte, or, sql } from "drizzle-orm";

import type { Database, Transaction } from "@parley/db/client";
import { conversationMembers, eventCounter, events } from "@parley/db/schema";

import type { DurableEvent, PendingEvent, StoredEvent } from "./types";

type Executor = Database | Transaction;

/**
 * Appends events inside the caller's transaction. Call it as the last write: the counter row
 * stays locked until commit, which is what makes ids gap-free and visible in id order.
 */
export async function appendEvents(tx: Transaction, pending: PendingEvent[]): Promise<StoredEvent[]> {
  if (pending.length === 0) return [];
  const [counter] = await tx
    .insert(eventCounter)
    .values({ id: 1, value: pending.length })
    .onConflictDoUpdate({
      target: eventCounter.id,
      set: { value: sql`${eventCounter.value} + ${pending.length}` },
    })
    .returning({ value: eventCounter.value });
  if (!counter) throw new Error("event counter update returned no row");
  const firstId = counter.value - pending.length + 1;
  const stored = pending.map((item, index): StoredEvent => ({
    id: firstId + index,
    conversationId: "conversationId" in item.audience ? item.audience.conversationId : null,
    userId: "userId" in item.audience ? item.audience.userId : null,
    event: item.event,
  }));
  await tx.insert(events).values(
    stored.map((item) => ({
      id: item.id,
      conversationId: item.conversationId,
      userId: item.userId,
      type: item.event.type,
      payload: item.event,
    })),
  );
  return stored;
}

export async function readLatestEventId(db: Executor): Promise<number> {
  const [row] = await db.select({ value: eventCounter.value }).from(eventCounter).limit(1);
  return row?.value ?? 0;
}

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

/** Every event with afterId < id <= upToId (or all after afterId), in id order. */
export async function readEventRange(
  db: Executor,
  range: { afterId: number; upToId?: number; limit: number },
): Promise<StoredEvent[]> {
  const rows = await db
    .select({
      id: events.id,
      conversationId: events.conversationId,
      userId: events.userId,
      payload: events.payload,
    })
    .from(events)
    .where(
      range.upToId === undefined
        ? gt(events.id, range.afterId)
        : and(gt(events.id, range.afterId), lte(events.id, range.upToId)),
    )
    .orderBy(asc(events.id))
    .limit(range.limit);
  return rows.map(toStoredEvent);
}

/** The events addressed to one user after `afterId`: their own, and their conversations'. */
export async function readEventsForUser(
  db: Executor,
  query: { userId: string; afterId: number; limit: number },
): Promise<StoredEvent[]> {
  const memberships = db
    .select({ conversationId: conversationMembers.conversationId })
    .from(conversationMembers)
    .where(and(eq(conversationMembers.userId, query.userId), isNull(conversationMembers.leftAt)));
  const rows = await db
    .select({
      id: events.id,
      conversationId: events.conversationId,
      userId: events.userId,
      payload: events.payload,
    })
    .from(events)
    .where(
      and(
        gt(events.id, query.afterId),
        or(eq(events.userId, query.userId), inArray(events.conversationId, memberships)),
      ),
    )
    .orderBy(asc(events.id))
    .limit(query.limit);
  return rows.map(toStoredEvent);
}
