import { sql, type SQL } from "drizzle-orm";

import type { Database, Transaction } from "@parley/db/client";
import { pushOutbox, pushSubscriptions, sessions } from "@parley/db/schema";

import type { PushPayload } from "./payload";

export type PushUrgency = "very-low" | "low" | "normal" | "high";

export interface EnqueuePushInput {
  userId: string;
  payload: PushPayload;
  ttlSeconds: number;
  urgency: PushUrgency;
  /** The moment the recipient's sessions must still be valid at. */
  now: Date;
}

/**
 * Queues one notification for every live push subscription of a user, in the caller's
 * transaction: it is sent if and only if that transaction commits, and a restart loses nothing.
 *
 * The hook for other notifications (an incoming call: `{ type: "call", ... }`, urgency "high",
 * `callPushTtlSeconds`). Callers decide whether the user should be pushed at all (mutes, blocks,
 * `services.viewing`); this only queues. Returns how many subscriptions it queued for.
 */
export async function enqueuePush(tx: Transaction | Database, input: EnqueuePushInput): Promise<number> {
  const conversationId = input.payload.type === "message" ? input.payload.conversationId : null;
  const rows = await queryRows<{ id: number }>(
    tx,
    sql`insert into ${pushOutbox} (subscription_id, user_id, conversation_id, payload, ttl_seconds, urgency)
        select ${pushSubscriptions.id}, ${pushSubscriptions.userId}, ${conversationId}::uuid, ${JSON.stringify(input.payload)}::jsonb,
               ${input.ttlSeconds}::integer, ${input.urgency}
        from ${pushSubscriptions} join ${sessions} on ${sessions.id} = ${pushSubscriptions.sessionId}
        where ${pushSubscriptions.userId} = ${input.userId}::uuid and ${sessions.expiresAt} > ${input.now.toISOString()}::timestamptz
        returning id`,
  );
  return rows.length;
}

/** Runs a statement and returns its rows, whichever driver (postgres.js or PGlite) answers. */
export async function queryRows<TRow>(db: Transaction | Database, query: SQL): Promise<TRow[]> {
  const result = (await db.execute(query)) as unknown as { rows?: TRow[] } | TRow[];
  return Array.isArray(result) ? result : (result.rows ?? []);
}
