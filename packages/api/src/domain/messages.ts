import { and, asc, eq, inArray, isNull, notInArray, sql } from "drizzle-orm";

import { attachments, conversationMembers, conversations, messageExpiries, messages, reactions, users, type Message } from "@parley/db/schema";

import { DomainError } from "../errors";
import { transactionWithEvents } from "../events/transaction";
import type { ParleyServices } from "../services";
import {
  blobKeysOf,
  copyAttachmentsForForward,
  deleteBlobs,
  discardAttachments,
  explainAttachmentRefusal,
  loadAttachments,
} from "./attachments";
import { notExpiredFor } from "./expiry";
import { currentMemberRow, notAMemberMessage, type Executor } from "./membership";
import type { SendOutcome, SendRefusal } from "./message-writer";
import { preparedPerDatabase } from "./prepared";
import { usersBlockedBy } from "./relationships";
import { isoDate, type AttachmentView, type MemberRole, type MessageView, type ReactionView } from "./views";

type MessageServices = Pick<ParleyServices, "db" | "messageWriter" | "sendLimiter">;

/** `forwardedFromName`: the display name of the original author of a forwarded copy. */
export function toMessageView(
  row: Message,
  reactionViews: ReactionView[],
  forwardedFromName: string | null = null,
  attachmentViews: AttachmentView[] = [],
): MessageView {
  return {
    id: row.id,
    conversationId: row.conversationId,
    seq: row.seq,
    senderId: row.senderId,
    clientId: row.clientId,
    kind: row.kind,
    body: row.body,
    replyToId: row.replyToId,
    createdAt: isoDate(row.createdAt),
    editedAt: isoDate(row.editedAt),
    deletedAt: isoDate(row.deletedAt),
    expiresAt: isoDate(row.expiresAt),
    expiresAfterReadSeconds: row.expiresAfterReadSeconds,
    forwardedFrom: row.forwarded ? { userId: row.forwardedFromUserId, displayName: forwardedFromName } : null,
    reactions: reactionViews,
    attachments: row.deletedAt ? [] : attachmentViews,
  };
}

/**
 * Reactions of many messages in one query, grouped per message and emoji in first-use order.
 * With a viewer, reactions by users the viewer blocked are left out.
 */
export async function loadReactions(
  db: Executor,
  messageIds: string[],
  viewerId?: string,
): Promise<Map<string, ReactionView[]>> {
  const byMessage = new Map<string, ReactionView[]>();
  if (messageIds.length === 0) return byMessage;
  const rows = await db
    .select({ messageId: reactions.messageId, emoji: reactions.emoji, userId: reactions.userId })
    .from(reactions)
    .where(
      and(
        inArray(reactions.messageId, messageIds),
        viewerId ? notInArray(reactions.userId, usersBlockedBy(db, viewerId)) : undefined,
      ),
    )
    .orderBy(asc(reactions.createdAt), asc(reactions.userId));
  for (const row of rows) {
    let views = byMessage.get(row.messageId);
    if (!views) {
      views = [];
      byMessage.set(row.messageId, views);
    }
    const view = views.find((candidate) => candidate.emoji === row.emoji);
    if (view) view.userIds.push(row.userId);
    else views.push({ emoji: row.emoji, userIds: [row.userId] });
  }
  return byMessage;
}

async function withReactions(db: Executor, row: Message): Promise<MessageView> {
  const [reactionViews, attachmentViews, author] = await Promise.all([
    loadReactions(db, [row.id]),
    loadAttachments(db, [row.id]),
    row.forwardedFromUserId
      ? db.select({ displayName: users.displayName }).from(users).where(eq(users.id, row.forwardedFromUserId))
      : Promise.resolve([]),
  ]);
  return toMessageView(row, reactionViews.get(row.id) ?? [], author[0]?.displayName ?? null, attachmentViews.get(row.id) ?? []);
}

/* Sending */

async function findByClientId(db: Executor, senderId: string, clientId: string): Promise<Message | undefined> {
  const [row] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.senderId, senderId), eq(messages.clientId, clientId)));
  return row;
}

/** A retried send: the message its clientId already stored, as it is now. */
async function returnOriginal(db: Executor, input: { userId: string; clientId: string; conversationId: string }): Promise<MessageView> {
  const original = await findByClientId(db, input.userId, input.clientId);
  if (!original) throw new Error("a send was answered as a duplicate but its message is missing");
  if (original.conversationId !== input.conversationId) {
    throw new DomainError("CONFLICT", "This clientId was already used for a message in another conversation");
  }
  return withReactions(db, original);
}

const refusals: Record<SendRefusal, ConstructorParameters<typeof DomainError>> = {
  not_member: ["FORBIDDEN", notAMemberMessage],
  blocked: ["FORBIDDEN", "You cannot message this user: one of you has blocked the other"],
  not_friends: ["FORBIDDEN", "Direct messages need an accepted friendship with this user"],
  bad_reply: ["BAD_REQUEST", "replyToId must be a message in this conversation"],
  bad_attachment: ["BAD_REQUEST", "An attachment must be your own finished upload to this conversation, not sent before"],
};

export interface SendMessageInput {
  userId: string;
  conversationId: string;
  clientId: string;
  /** A media message's caption; "" when it has none. */
  body?: string;
  replyToId?: string;
  attachmentIds?: string[];
}

/**
 * Stores a message and announces it, in one database statement shared with the sends that
 * arrive at the same moment (see message-writer.ts). Idempotent per (sender, clientId): a retry
 * returns the stored message as it is now (even if the retry's body differs) and gives back its
 * rate-limit token. The unique index `messages_sender_client_id_key` decides races, not memory.
 */
export async function sendMessage(services: MessageServices, input: SendMessageInput): Promise<MessageView> {
  const decision = await services.sendLimiter.take(input.userId);
  if (!decision.allowed) {
    // A retry of a message that was stored is answered whatever the rate.
    if (await findByClientId(services.db, input.userId, input.clientId)) return returnOriginal(services.db, input);
    throw new DomainError("TOO_MANY_REQUESTS", "You are sending messages too fast; try again shortly", {
      retryAfterSeconds: decision.retryAfterSeconds,
    });
  }
  let result: SendOutcome;
  try {
    result = await services.messageWriter.write({
      conversationId: input.conversationId,
      senderId: input.userId,
      clientId: input.clientId,
      body: input.body ?? "",
      replyToId: input.replyToId ?? null,
      attachmentIds: input.attachmentIds ?? [],
    });
  } catch (error) {
    await services.sendLimiter.refund(input.userId);
    throw error;
  }
  if (result.outcome === "created") return result.message;
  await services.sendLimiter.refund(input.userId);
  if (result.outcome === "duplicate") return returnOriginal(services.db, input);
  if (result.outcome === "bad_attachment") {
    throw new DomainError("BAD_REQUEST", await explainAttachmentRefusal(services.db, { ...input, attachmentIds: input.attachmentIds ?? [] }));
  }
  throw new DomainError(...refusals[result.outcome]);
}

/* Reading */

export interface HistoryPage {
  messages: MessageView[];
  /** Pass as `beforeSeq` for the next (older) page; null when there is none. */
  nextBeforeSeq: number | null;
  /**
   * With `aroundSeq` only: the newest seq of the page when newer messages exist beyond it (open
   * them with `aroundSeq` set to it); null otherwise.
   */
  newerAfterSeq: number | null;
}

type StoredPage = { messages: MessageView[]; more: boolean } | null;

const historyStatement = preparedPerDatabase((db) =>
  db
    .select({ page: sql<StoredPage>`page` })
    .from(
      sql`parley_history(${sql.placeholder("viewer")}::uuid, ${sql.placeholder("conversation")}::uuid, ${sql.placeholder("beforeSeq")}::integer, ${sql.placeholder("limit")}::integer, ${sql.placeholder("at")}::timestamptz) as page`,
    )
    .prepare("parley_history"),
);

const historyAfterStatement = preparedPerDatabase((db) =>
  db
    .select({ page: sql<StoredPage>`page` })
    .from(
      sql`parley_history_after(${sql.placeholder("viewer")}::uuid, ${sql.placeholder("conversation")}::uuid, ${sql.placeholder("fromSeq")}::integer, ${sql.placeholder("limit")}::integer, ${sql.placeholder("at")}::timestamptz) as page`,
    )
    .prepare("parley_history_after"),
);

export interface HistoryInput {
  userId: string;
  conversationId: string;
  beforeSeq?: number;
  /** A window around this seq instead: it and the newer half of the page, then older ones. */
  aroundSeq?: number;
  limit: number;
}

/**
 * Newest first, keyset-paginated on (conversation_id, seq); messages and reactions from users
 * the caller blocked, and messages that expired for the caller, are left out. One statement:
 * `parley_history`; with `aroundSeq`, one more for the newer side (`parley_history_after`).
 */
export async function readHistory(services: Pick<ParleyServices, "db" | "clock">, input: HistoryInput): Promise<HistoryPage> {
  const at = services.clock.now().toISOString();
  const base = { viewer: input.userId, conversation: input.conversationId, at };
  if (input.aroundSeq === undefined) {
    const [row] = await historyStatement(services.db).execute({ ...base, beforeSeq: input.beforeSeq ?? null, limit: input.limit });
    const page = row?.page;
    if (!page) throw new DomainError("FORBIDDEN", notAMemberMessage);
    return { messages: page.messages, nextBeforeSeq: page.more ? (page.messages.at(-1)?.seq ?? null) : null, newerAfterSeq: null };
  }
  const newerLimit = Math.ceil(input.limit / 2);
  const [newerRow] = await historyAfterStatement(services.db).execute({ ...base, fromSeq: input.aroundSeq, limit: newerLimit });
  const newer = newerRow?.page;
  if (!newer) throw new DomainError("FORBIDDEN", notAMemberMessage);
  const [olderRow] = await historyStatement(services.db).execute({
    ...base,
    beforeSeq: input.aroundSeq,
    limit: input.limit - newer.messages.length,
  });
  const older = olderRow?.page ?? { messages: [], more: false };
  const newerNewestFirst = [...newer.messages].reverse();
  return {
    messages: [...newerNewestFirst, ...older.messages],
    nextBeforeSeq: older.more ? (older.messages.at(-1)?.seq ?? null) : null,
    newerAfterSeq: newer.more ? (newerNewestFirst[0]?.seq ?? null) : null,
  };
}

/**
 * A message in one of the caller's conversations that has not expired for them, with the
 * caller's role there; FORBIDDEN otherwise.
 */
async function requireVisibleMessage(
  db: Executor,
  query: { messageId: string; userId: string; at: Date },
): Promise<{ message: Message; kind: "direct" | "group"; role: MemberRole }> {
  const [row] = await db
    .select({ message: messages, kind: conversations.kind, role: conversationMembers.role })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .innerJoin(conversationMembers, currentMemberRow(messages.conversationId, query.userId))
    .where(and(eq(messages.id, query.messageId), notExpiredFor(messages, query.userId, query.at)));
  if (!row) throw new DomainError("FORBIDDEN", "That message is not in a conversation you are a member of");
  return row;
}

/* Changing */

export async function editMessage(
  services: Pick<ParleyServices, "db" | "feed" | "clock">,
  input: { userId: string; messageId: string; body: string },
): Promise<MessageView> {
  const { message } = await requireVisibleMessage(services.db, { ...input, at: services.clock.now() });
  if (message.senderId !== input.userId) throw new DomainError("FORBIDDEN", "You can only edit your own messages");
  if (message.deletedAt) throw new DomainError("BAD_REQUEST", "A deleted message cannot be edited");
  if (message.body === input.body) return withReactions(services.db, message);
  // An edit would hand new text to a recipient whose copy already burned.
  if (message.expiresAfterReadSeconds !== null && (await hasStartedBurning(services.db, message.id))) {
    throw new DomainError("BAD_REQUEST", "A disappearing message cannot be edited once it has been read");
  }
  return transactionWithEvents(services, async (tx, emit) => {
    const [row] = await tx
      .update(messages)
      .set({ body: input.body, editedAt: sql`now()` })
      .where(and(eq(messages.id, input.messageId), eq(messages.senderId, input.userId), isNull(messages.deletedAt)))
      .returning();
    if (!row) throw new DomainError("BAD_REQUEST", "A deleted message cannot be edited");
    const view = await withReactions(tx, row);
    emit({ conversationId: row.conversationId }, { type: "message.edited", conversationId: row.conversationId, message: view });
    return view;
  });
}

/** Leaves a tombstone (no body, no reactions) so seq keeps no gaps. Deleting twice is a no-op. */
export async function deleteMessage(
  services: Pick<ParleyServices, "db" | "feed" | "clock" | "blobStore" | "logger">,
  input: { userId: string; messageId: string },
): Promise<MessageView> {
  const { message, kind, role } = await requireVisibleMessage(services.db, { ...input, at: services.clock.now() });
  const moderates = kind === "group" && (role === "owner" || role === "admin");
  if (message.senderId !== input.userId && !moderates) {
    throw new DomainError("FORBIDDEN", "You can only delete your own messages");
  }
  if (message.deletedAt) return toMessageView(message, []);
  const removedBlobs: string[] = [];
  const view = await transactionWithEvents(services, async (tx, emit) => {
    const [row] = await tx
      .update(messages)
      .set({ body: null, deletedAt: sql`now()` })
      .where(and(eq(messages.id, input.messageId), isNull(messages.deletedAt)))
      .returning();
    if (!row) {
      const [current] = await tx.select().from(messages).where(eq(messages.id, input.messageId));
      if (!current) throw new DomainError("FORBIDDEN", "That message is not in a conversation you are a member of");
      return toMessageView(current, []);
    }
    await tx.delete(reactions).where(eq(reactions.messageId, row.id));
    const removed = await tx
      .delete(attachments)
      .where(eq(attachments.messageId, row.id))
      .returning({ storageKey: attachments.storageKey, thumbnailKey: attachments.thumbnailKey });
    removedBlobs.push(...blobKeysOf(removed));
    const deleted = toMessageView(row, []);
    emit({ conversationId: row.conversationId }, { type: "message.deleted", conversationId: row.conversationId, message: deleted });
    return deleted;
  });
  // After the commit: a rolled-back delete must not lose the files.
  await deleteBlobs(services, removedBlobs);
  return view;
}

/** Adds the caller's reaction; reacting twice with the same emoji changes nothing and emits nothing. */
export async function addReaction(
  services: Pick<ParleyServices, "db" | "feed" | "clock">,
  input: { userId: string; messageId: string; emoji: string },
): Promise<MessageView> {
  await requireVisibleMessage(services.db, { ...input, at: services.clock.now() });
  return transactionWithEvents(services, async (tx, emit) => {
    // FOR SHARE conflicts with the delete's row update, so no reaction can land on a tombstone.
    const [message] = await tx.select().from(messages).where(eq(messages.id, input.messageId)).for("share");
    if (!message) throw new DomainError("FORBIDDEN", "That message is not in a conversation you are a member of");
    if (message.deletedAt) throw new DomainError("BAD_REQUEST", "You cannot react to a deleted message");
    const added = await tx
      .insert(reactions)
      .values({ messageId: input.messageId, userId: input.userId, emoji: input.emoji })
      .onConflictDoNothing()
      .returning({ emoji: reactions.emoji });
    if (added.length > 0) {
      emit(
        { conversationId: message.conversationId },
        {
          type: "reaction.added",
          conversationId: message.conversationId,
          messageId: message.id,
          userId: input.userId,
          emoji: input.emoji,
        },
      );
    }
    return withReactions(tx, message);
  });
}

/** Removes the caller's reaction; removing one that is not there changes nothing and emits nothing. */
export async function removeReaction(
  services: Pick<ParleyServices, "db" | "feed" | "clock">,
  input: { userId: string; messageId: string; emoji: string },
): Promise<MessageView> {
  const { message } = await requireVisibleMessage(services.db, { ...input, at: services.clock.now() });
  return transactionWithEvents(services, async (tx, emit) => {
    const removed = await tx
      .delete(reactions)
      .where(
        and(
          eq(reactions.messageId, input.messageId),
          eq(reactions.userId, input.userId),
          eq(reactions.emoji, input.emoji),
        ),
      )
      .returning({ emoji: reactions.emoji });
    if (removed.length > 0) {
      emit(
        { conversationId: message.conversationId },
        {
          type: "reaction.removed",
          conversationId: message.conversationId,
          messageId: message.id,
          userId: input.userId,
          emoji: input.emoji,
        },
      );
    }
    const [current] = await tx.select().from(messages).where(eq(messages.id, input.messageId));
    return withReactions(tx, current ?? message);
  });
}

const markReadStatement = preparedPerDatabase((db) =>
  db
    .select({ lastReadSeq: sql<number>`last_read_seq`, eventId: sql<number | string | null>`event_id` })
    .from(
      sql`parley_mark_read(${sql.placeholder("viewer")}::uuid, ${sql.placeholder("conversation")}::uuid, ${sql.placeholder("seq")}::integer, ${sql.placeholder("at")}::timestamptz)`,
    )
    .prepare("parley_mark_read"),
);

/**
 * Moves the caller's read position forward to `seq` (never back, never past the newest message)
 * and tells the conversation, which includes the caller's other devices. One statement:
 * `parley_mark_read`, which also starts the burn-after-reading clocks of what it passes.
 */
export async function markRead(
  services: Pick<ParleyServices, "db" | "feed" | "clock">,
  input: { userId: string; conversationId: string; seq: number },
): Promise<{ lastReadSeq: number }> {
  const [row] = await markReadStatement(services.db).execute({
    viewer: input.userId,
    conversation: input.conversationId,
    seq: input.seq,
    at: services.clock.now().toISOString(),
  });
  if (!row) throw new DomainError("FORBIDDEN", notAMemberMessage);
  if (row.eventId !== null) {
    services.feed.publish([
      {
        id: Number(row.eventId),
        conversationId: input.conversationId,
        userId: null,
        event: { type: "receipt.read", conversationId: input.conversationId, userId: input.userId, lastReadSeq: row.lastReadSeq },
      },
    ]);
  }
  return { lastReadSeq: row.lastReadSeq };
}

/** Whether any recipient has read this burn-after-reading message (its clocks have started). */
async function hasStartedBurning(db: Executor, messageId: string): Promise<boolean> {
  const rows = await db.select({ messageId: messageExpiries.messageId }).from(messageExpiries).where(eq(messageExpiries.messageId, messageId)).limit(1);
  return rows.length > 0;
}

/* Forwarding */

export interface ForwardResult {
  /** The copies, one per conversation that took it, in the order asked. */
  messages: MessageView[];
  /** Conversations that refused the copy, and why. */
  refused: { conversationId: string; message: string }[];
}

/**
 * Copies the text of a message the caller can read into conversations they can write to, as
 * their own message marked "forwarded" and naming the original's author, unless that author
 * blocked the caller. A forwarded copy names the first author, not the one who forwarded it on.
 * Each copy is an ordinary send: it takes its conversation's rules and disappearing timer.
 * FORBIDDEN when no conversation took it.
 */
export async function forwardMessage(
  services: Pick<ParleyServices, "db" | "clock" | "messageWriter" | "sendLimiter" | "blobStore" | "logger">,
  input: { userId: string; messageId: string; toConversationIds: string[] },
): Promise<ForwardResult> {
  const { message } = await requireVisibleMessage(services.db, { ...input, at: services.clock.now() });
  const blockedSenders = await services.db
    .select({ id: messages.id })
    .from(messages)
    .where(and(eq(messages.id, message.id), inArray(messages.senderId, usersBlockedBy(services.db, input.userId))));
  if (blockedSenders.length > 0) throw new DomainError("FORBIDDEN", "That message is not in a conversation you are a member of");
  if (message.deletedAt || message.body === null) throw new DomainError("BAD_REQUEST", "A deleted message cannot be forwarded");
  if (message.kind === "system") throw new DomainError("BAD_REQUEST", "A conversation notice cannot be forwarded");
  const authorId = message.forwarded ? message.forwardedFromUserId : message.senderId;
  const authorBlockedForwarder =
    authorId !== null &&
    (await services.db.select({ id: users.id }).from(users).where(and(eq(users.id, input.userId), inArray(users.id, usersBlockedBy(services.db, authorId)))))
      .length > 0;
  const targets = [...new Set(input.toConversationIds)];
  const decision = await services.sendLimiter.take(input.userId);
  if (!decision.allowed) {
    throw new DomainError("TOO_MANY_REQUESTS", "You are sending messages too fast; try again shortly", {
      retryAfterSeconds: decision.retryAfterSeconds,
    });
  }
  const body = message.body;
  const copies = await copyAttachmentsForForward(services, { userId: input.userId, messageId: message.id, conversationIds: targets });
  const outcomes = await Promise.all(
    targets.map((conversationId) =>
      services.messageWriter.write({
        conversationId,
        senderId: input.userId,
        clientId: crypto.randomUUID(),
        body,
        replyToId: null,
        forwarded: true,
        forwardedFromUserId: authorBlockedForwarder ? null : authorId,
        attachmentIds: copies.get(conversationId) ?? [],
      }),
    ),
  );
  await discardAttachments(
    services,
    targets.flatMap((conversationId, index) => (outcomes[index]?.outcome === "created" ? [] : (copies.get(conversationId) ?? []))),
  );
  const result: ForwardResult = { messages: [], refused: [] };
  outcomes.forEach((outcome, index) => {
    const conversationId = targets[index] as string;
    if (outcome.outcome === "created") result.messages.push(outcome.message);
    else if (outcome.outcome !== "duplicate") result.refused.push({ conversationId, message: refusals[outcome.outcome][1] });
  });
  if (result.messages.length === 0) {
    await services.sendLimiter.refund(input.userId);
    throw new DomainError("FORBIDDEN", result.refused[0]?.message ?? notAMemberMessage);
  }
  return result;
}
