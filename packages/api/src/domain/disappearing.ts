import { eq } from "drizzle-orm";

import { conversations } from "@parley/db/schema";

import { DomainError } from "../errors";
import { transactionWithEvents } from "../events/transaction";
import type { ParleyServices } from "../services";
import { loadConversationView } from "./conversations";
import { requireMembership } from "./membership";
import { appendSystemNotice } from "./system-notices";
import type { ConversationView, DisappearingSetting } from "./views";

export interface SetDisappearingInput {
  userId: string;
  conversationId: string;
  seconds: number | null;
  startsAt: "send" | "read";
}

/**
 * Sets the timer new messages take: any member of a direct conversation, the owner or an admin
 * of a group. The change lands in the timeline as a system notice and reaches every member as
 * `conversation.updated`. Setting what is already set is a no-op.
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

    await tx
      .update(conversations)
      .set({ disappearingSeconds: setting?.seconds ?? null, disappearingStartsAt: setting?.startsAt ?? "send" })
      .where(eq(conversations.id, input.conversationId));
    await appendSystemNotice(tx, emit, {
      conversationId: input.conversationId,
      actorId: input.userId,
      notice: { type: "disappearing", actorId: input.userId, disappearing: setting },
    });
    const view = await loadConversationView(tx, input.conversationId);
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
