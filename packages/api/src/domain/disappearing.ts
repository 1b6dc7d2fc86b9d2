import { eq, sql } from "drizzle-orm";

import { conversations, messages } from "@parley/db/schema";

import { DomainError } from "../errors";
import { transactionWithEvents } from "../events/transaction";
import type { ParleyServices } from "../services";
import { loadConversationView } from "./conversations";
import { requireMembership } from "./membership";
import type { ConversationView, DisappearingSetting, MessageView, SystemNotice } from "./views";

export interface SetDisappearingInput {
  userId: string;
  conversationId: string;
  seconds: number | null;
  startsAt: "send" | "read";
}

/**
 * Sets the timer new messages take: any member of a direct conversation, the owner or an admin
 * of a group. The change lands in the timeline as a `system` message (its body a SystemNotice
 * in JSON) and reaches every member as `conversation.updated`. Setting what is already set is a no-op.
 */
export async function setDisappearing(
  services: Pick<ParleyServices, "db" | "feed">,
  input: SetDisappearingInput,
): Promise<ConversationView> {
  return transactionWithEvents(services, async (tx, emit) => {
    const membership = await requireMembership(tx, { conversationId: input.conversationId, userId: input.userId, lock: true });
    if (membership.kind === "group" && membership.role === "member") {
      throw new DomainError("FORBIDDEN", "Only the owner and admins can change disappearing messages in this group");
    }
    const [current] = await tx
      .select({ seconds: conversations.disappearingSeconds, startsAt: conversations.disappearingStartsAt })
      .from(conversations)
      .where(eq(conversations.id, input.conversationId));
    const setting: DisappearingSetting | null = input.seconds === null ? null : { seconds: input.seconds, startsAt: input.startsAt };
    const unchanged =
      current !== undefined &&
      (setting === null ? current.seconds === null : current.seconds === setting.seconds && current.startsAt === setting.startsAt);
    if (unchanged) return loadConversationView(tx, input.conversationId);

    const [bumped] = await tx
      .update(conversations)
      .set({
        disappearingSeconds: setting?.seconds ?? null,
        disappearingStartsAt: setting?.startsAt ?? "send",
        lastSeq: sql`${conversations.lastSeq} + 1`,
        lastActivityAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(eq(conversations.id, input.conversationId))
      .returning({ seq: conversations.lastSeq });
    if (!bumped) throw new Error("the locked conversation is missing");
    const notice: SystemNotice = { type: "disappearing", actorId: input.userId, disappearing: setting };
    const [stored] = await tx
      .insert(messages)
      .values({
        conversationId: input.conversationId,
        seq: bumped.seq,
        senderId: input.userId,
        clientId: crypto.randomUUID(),
        kind: "system",
        body: JSON.stringify(notice),
      })
      .returning();
    if (!stored) throw new Error("the system message insert returned no row");
    const [viewRow] = await tx
      .select({ view: sql<MessageView>`parley_message_view(${messages}, '[]'::jsonb)` })
      .from(messages)
      .where(eq(messages.id, stored.id));
    const view = await loadConversationView(tx, input.conversationId);
    if (viewRow) {
      emit({ conversationId: input.conversationId }, { type: "message.created", conversationId: input.conversationId, message: viewRow.view });
    }
    emit(
      { conversationId: input.conversationId },
      {
        type: "conversation.updated",
        conversationId: input.conversationId,
        conversation: view,
        change: "disappearing_changed",
        actorId: input.userId,
        userIds: [],
      },
    );
    return view;
  });
}
