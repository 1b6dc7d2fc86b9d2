import { eq, sql } from "drizzle-orm";

import type { Transaction } from "@parley/db/client";
import { conversations, messages } from "@parley/db/schema";

import type { EmitEvent } from "../events/transaction";
import type { MessageView, SystemNotice } from "./views";

export interface AppendSystemNoticeInput {
  conversationId: string;
  /** Who caused the change; the message's sender. */
  actorId: string;
  notice: SystemNotice;
}

/**
 * Writes what changed in a conversation into its timeline: a `system` message whose body is the
 * notice as JSON, at the next seq, announced to the members as `message.created`. Call it inside
 * `transactionWithEvents` with the conversation row already locked (requireMembership's `lock`),
 * so the seq it takes is the next one (a conversation created in the same transaction needs no lock).
 */
export async function appendSystemNotice(
  tx: Transaction,
  emit: EmitEvent,
  input: AppendSystemNoticeInput,
  /** `announce: false` leaves `message.created` to the caller, who must emit it with the returned view. */
  options: { announce: boolean } = { announce: true },
): Promise<MessageView> {
  const [bumped] = await tx
    .update(conversations)
    .set({ lastSeq: sql`${conversations.lastSeq} + 1`, lastActivityAt: sql`now()`, updatedAt: sql`now()` })
    .where(eq(conversations.id, input.conversationId))
    .returning({ seq: conversations.lastSeq });
  if (!bumped) throw new Error("the conversation of a system notice is missing");
  const [stored] = await tx
    .insert(messages)
    .values({
      conversationId: input.conversationId,
      seq: bumped.seq,
      senderId: input.actorId,
      clientId: crypto.randomUUID(),
      kind: "system",
      body: JSON.stringify(input.notice),
    })
    .returning({ id: messages.id });
  if (!stored) throw new Error("the system message insert returned no row");
  const [row] = await tx
    .select({ view: sql<MessageView>`parley_message_view(${messages}, '[]'::jsonb)` })
    .from(messages)
    .where(eq(messages.id, stored.id));
  if (!row) throw new Error("the system message just written is missing");
  if (options.announce) {
    emit({ conversationId: input.conversationId }, { type: "message.created", conversationId: input.conversationId, message: row.view });
  }
  return row.view;
}
