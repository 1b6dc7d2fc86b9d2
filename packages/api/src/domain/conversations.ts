import { and, asc, desc, eq, inArray, ne, notInArray, sql } from "drizzle-orm";

import { conversationMembers, conversations, messages, users } from "@parley/db/schema";

import { DomainError } from "../errors";
import { transactionWithEvents, type EmitEvent } from "../events/transaction";
import type { ParleyServices } from "../services";
import {
  currentMemberRow,
  directKeyOf,
  isCurrentMember,
  memberRow,
  notAMemberMessage,
  requireGroupRole,
  requireMembership,
  type Executor,
} from "./membership";
import { loadAttachments } from "./attachments";
import { loadReactions, toMessageView } from "./messages";
import { notExpiredFor } from "./expiry";
import { requireAddableToGroup, requireDirectContact, usersBlockedBy } from "./relationships";
import { avatarUrlOf, isoDate, type ConversationMemberView, type ConversationSummary, type ConversationView } from "./views";

type ConversationServices = Pick<ParleyServices, "db" | "feed">;

/* Views */

/** Current members of many conversations in one query, longest-standing first. */
async function loadMembers(db: Executor, conversationIds: string[]): Promise<Map<string, ConversationMemberView[]>> {
  const byConversation = new Map<string, ConversationMemberView[]>();
  if (conversationIds.length === 0) return byConversation;
  const rows = await db
    .select({
      conversationId: conversationMembers.conversationId,
      userId: conversationMembers.userId,
      username: users.username,
      displayName: users.displayName,
      avatarKey: users.avatarKey,
      role: conversationMembers.role,
      lastReadSeq: conversationMembers.lastReadSeq,
      joinedAt: conversationMembers.joinedAt,
    })
    .from(conversationMembers)
    .innerJoin(users, eq(users.id, conversationMembers.userId))
    .where(and(inArray(conversationMembers.conversationId, conversationIds), isCurrentMember()))
    .orderBy(asc(conversationMembers.joinedAt), asc(conversationMembers.userId));
  for (const row of rows) {
    const members = byConversation.get(row.conversationId) ?? [];
    members.push({
      userId: row.userId,
      username: row.username,
      displayName: row.displayName,
      avatarUrl: avatarUrlOf(row.avatarKey),
      role: row.role,
      lastReadSeq: row.lastReadSeq,
      joinedAt: isoDate(row.joinedAt),
    });
    byConversation.set(row.conversationId, members);
  }
  return byConversation;
}

interface ConversationRow {
  id: string;
  kind: "direct" | "group";
  title: string | null;
  creatorId: string | null;
  lastSeq: number;
  lastActivityAt: Date;
  createdAt: Date;
  disappearingSeconds: number | null;
  disappearingStartsAt: "send" | "read";
}

function toConversationView(row: ConversationRow, members: ConversationMemberView[]): ConversationView {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    creatorId: row.creatorId,
    lastSeq: row.lastSeq,
    lastActivityAt: isoDate(row.lastActivityAt),
    createdAt: isoDate(row.createdAt),
    members,
    disappearing:
      row.disappearingSeconds === null ? null : { seconds: row.disappearingSeconds, startsAt: row.disappearingStartsAt },
  };
}

/** The conversation as it is now, inside the caller's transaction when given one. */
export async function loadConversationView(db: Executor, conversationId: string): Promise<ConversationView> {
  const [row] = await db.select().from(conversations).where(eq(conversations.id, conversationId));
  if (!row) throw new DomainError("NOT_FOUND", "Conversation not found");
  const members = await loadMembers(db, [conversationId]);
  return toConversationView(row, members.get(conversationId) ?? []);
}

/* Listing */

export interface ListConversationsInput {
  userId: string;
  limit: number;
  /** The last summary of the previous page: the next page starts after it. */
  after?: { lastActivityAt: string; id: string };
  /** Restricts the list to one conversation (for `get`). */
  conversationId?: string;
}

/** Activity is compared at millisecond precision, the precision the cursor travels with. */
const activityKey = sql`date_trunc('milliseconds', ${conversations.lastActivityAt})`;

/**
 * The caller's conversations, newest activity first, in three set queries whatever the page
 * size: the page with its unread counts and last messages, the members, the reactions.
 * Unread counts only others' undeleted messages past the caller's read position, and neither
 * unread nor the last message counts senders the caller blocked.
 */
export async function listConversationSummaries(
  services: Pick<ParleyServices, "db" | "clock">,
  input: ListConversationsInput,
): Promise<ConversationSummary[]> {
  const { db } = services;
  const blocked = usersBlockedBy(db, input.userId);
  const at = services.clock.now();
  const lastMessage = db
    .select()
    .from(messages)
    .where(
      and(
        eq(messages.conversationId, conversations.id),
        notInArray(messages.senderId, blocked),
        notExpiredFor(messages, input.userId, at),
      ),
    )
    .orderBy(desc(messages.seq))
    .limit(1)
    .as("last_message");
  const unreadCount = sql<number>`(
    select count(*)::integer from ${messages} unread
    where unread.conversation_id = ${conversations.id}
      and unread.seq > ${conversationMembers.lastReadSeq}
      and unread.sender_id <> ${input.userId}
      and unread.deleted_at is null
      and unread.sender_id not in ${blocked}
      and not parley_expired_for(unread, ${input.userId}::uuid, ${at.toISOString()}::timestamptz)
  )`;

  const rows = await db
    .select({
      conversation: conversations,
      lastReadSeq: conversationMembers.lastReadSeq,
      unreadCount,
      lastMessage: {
        id: lastMessage.id,
        conversationId: lastMessage.conversationId,
        seq: lastMessage.seq,
        senderId: lastMessage.senderId,
        clientId: lastMessage.clientId,
        kind: lastMessage.kind,
        body: lastMessage.body,
        replyToId: lastMessage.replyToId,
        createdAt: lastMessage.createdAt,
        editedAt: lastMessage.editedAt,
        deletedAt: lastMessage.deletedAt,
        expiresAt: lastMessage.expiresAt,
        expiresAfterReadSeconds: lastMessage.expiresAfterReadSeconds,
        forwarded: lastMessage.forwarded,
        forwardedFromUserId: lastMessage.forwardedFromUserId,
      },
      lastMessageForwardedFromName: sql<string | null>`(select ${users.displayName} from ${users} where ${users.id} = ${lastMessage.forwardedFromUserId})`,
    })
    .from(conversationMembers)
    .innerJoin(conversations, eq(conversations.id, conversationMembers.conversationId))
    .leftJoinLateral(lastMessage, sql`true`)
    .where(
      and(
        eq(conversationMembers.userId, input.userId),
        isCurrentMember(),
        input.conversationId ? eq(conversations.id, input.conversationId) : undefined,
        input.after
          ? sql`(${activityKey}, ${conversations.id}) < (${input.after.lastActivityAt}::timestamptz, ${input.after.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(activityKey), desc(conversations.id))
    .limit(input.limit);

  const conversationIds = rows.map((row) => row.conversation.id);
  const lastMessageIds = rows.flatMap((row) => (row.lastMessage ? [row.lastMessage.id] : []));
  const [members, reactionViews, attachmentViews] = await Promise.all([
    loadMembers(db, conversationIds),
    loadReactions(db, lastMessageIds, input.userId),
    loadAttachments(db, lastMessageIds),
  ]);
  return rows.map((row) => ({
    ...toConversationView(row.conversation, members.get(row.conversation.id) ?? []),
    lastMessage: row.lastMessage
      ? toMessageView(
          row.lastMessage,
          reactionViews.get(row.lastMessage.id) ?? [],
          row.lastMessageForwardedFromName,
          attachmentViews.get(row.lastMessage.id) ?? [],
        )
      : null,
    unreadCount: Number(row.unreadCount),
    lastReadSeq: row.lastReadSeq,
  }));
}

export async function getConversationSummary(
  services: Pick<ParleyServices, "db" | "clock">,
  input: { userId: string; conversationId: string },
): Promise<ConversationSummary> {
  const [summary] = await listConversationSummaries(services, { ...input, limit: 1 });
  if (!summary) throw new DomainError("FORBIDDEN", notAMemberMessage);
  return summary;
}

/* Creating */

/**
 * The one direct conversation between the caller and `otherUserId`, created on first use.
 * Concurrent opens meet at the unique `direct_key`: the loser inserts nothing and reads the winner's.
 */
export async function openDirectConversation(
  services: ConversationServices,
  input: { userId: string; otherUserId: string },
): Promise<ConversationView> {
  if (input.userId === input.otherUserId) {
    throw new DomainError("BAD_REQUEST", "You cannot open a direct conversation with yourself");
  }
  await requireDirectContact(services.db, input);
  const directKey = directKeyOf(input.userId, input.otherUserId);
  const findExisting = async () => {
    const [row] = await services.db
      .select({ id: conversations.id })
      .from(conversations)
      .where(eq(conversations.directKey, directKey));
    return row ? loadConversationView(services.db, row.id) : null;
  };

  const existing = await findExisting();
  if (existing) return existing;
  const created = await transactionWithEvents(services, async (tx, emit) => {
    const [row] = await tx
      .insert(conversations)
      .values({ kind: "direct", directKey, creatorId: input.userId })
      .onConflictDoNothing({ target: conversations.directKey })
      .returning({ id: conversations.id });
    if (!row) return null;
    await tx.insert(conversationMembers).values([
      { conversationId: row.id, userId: input.userId, role: "member" },
      { conversationId: row.id, userId: input.otherUserId, role: "member" },
    ]);
    const view = await loadConversationView(tx, row.id);
    for (const userId of [input.userId, input.otherUserId]) {
      emit({ userId }, { type: "conversation.joined", conversationId: row.id, conversation: view });
    }
    return view;
  });
  if (created) return created;
  const winner = await findExisting();
  if (!winner) throw new Error("a direct conversation lost the direct_key race but the winner is missing");
  return winner;
}

/** A group owned by the caller, with any of their friends as members. */
export async function createGroupConversation(
  services: ConversationServices,
  input: { userId: string; title: string; memberIds: string[] },
): Promise<ConversationView> {
  const memberIds = [...new Set(input.memberIds)].filter((id) => id !== input.userId);
  await requireAddableToGroup(services.db, { userId: input.userId, otherUserIds: memberIds });
  return transactionWithEvents(services, async (tx, emit) => {
    const [row] = await tx
      .insert(conversations)
      .values({ kind: "group", title: input.title, creatorId: input.userId })
      .returning({ id: conversations.id });
    if (!row) throw new Error("conversation insert returned no row");
    await tx.insert(conversationMembers).values([
      { conversationId: row.id, userId: input.userId, role: "owner" as const },
      ...memberIds.map((userId) => ({ conversationId: row.id, userId, role: "member" as const })),
    ]);
    const view = await loadConversationView(tx, row.id);
    for (const userId of [input.userId, ...memberIds]) {
      emit({ userId }, { type: "conversation.joined", conversationId: row.id, conversation: view });
    }
    return view;
  });
}

/* Changing a group */

export async function renameGroup(
  services: ConversationServices,
  input: { userId: string; conversationId: string; title: string },
): Promise<ConversationView> {
  return transactionWithEvents(services, async (tx, emit) => {
    await requireGroupRole(tx, { ...input, roles: ["owner", "admin"], action: "rename", lock: true });
    const [current] = await tx
      .select({ title: conversations.title })
      .from(conversations)
      .where(eq(conversations.id, input.conversationId));
    if (current?.title === input.title) return loadConversationView(tx, input.conversationId);
    await tx
      .update(conversations)
      .set({ title: input.title, updatedAt: sql`now()` })
      .where(eq(conversations.id, input.conversationId));
    const view = await loadConversationView(tx, input.conversationId);
    emitUpdate(emit, view, { change: "renamed", actorId: input.userId, userIds: [] });
    return view;
  });
}

/**
 * Adds the caller's friends; people who left or were removed come back as plain members.
 * Those already in the group are skipped, and adding nobody new emits nothing.
 */
export async function addGroupMembers(
  services: ConversationServices,
  input: { userId: string; conversationId: string; userIds: string[] },
): Promise<ConversationView> {
  const action = "add members to";
  // Checked before the friendship rule so that a non-member hears "not a member" first.
  await requireGroupRole(services.db, { ...input, roles: ["owner", "admin"], action });
  const candidateIds = [...new Set(input.userIds)].filter((id) => id !== input.userId);
  await requireAddableToGroup(services.db, { userId: input.userId, otherUserIds: candidateIds });

  return transactionWithEvents(services, async (tx, emit) => {
    const membership = await requireGroupRole(tx, { ...input, roles: ["owner", "admin"], action, lock: true });
    if (candidateIds.length === 0) return loadConversationView(tx, input.conversationId);
    const current = await tx
      .select({ userId: conversationMembers.userId })
      .from(conversationMembers)
      .where(
        and(
          eq(conversationMembers.conversationId, input.conversationId),
          inArray(conversationMembers.userId, candidateIds),
          isCurrentMember(),
        ),
      );
    const currentIds = new Set(current.map((row) => row.userId));
    const addedIds = candidateIds.filter((id) => !currentIds.has(id));
    if (addedIds.length === 0) return loadConversationView(tx, input.conversationId);

    // Newcomers start with everything so far read: unread counts what arrives after they join.
    await tx
      .insert(conversationMembers)
      .values(
        addedIds.map((userId) => ({
          conversationId: input.conversationId,
          userId,
          role: "member" as const,
          lastReadSeq: membership.lastSeq,
        })),
      )
      .onConflictDoUpdate({
        target: [conversationMembers.conversationId, conversationMembers.userId],
        set: {
          role: "member",
          leftAt: null,
          joinedAt: sql`now()`,
          lastReadSeq: sql`greatest(${conversationMembers.lastReadSeq}, excluded.last_read_seq)`,
        },
      });
    const view = await loadConversationView(tx, input.conversationId);
    // Joined first, so the feed adds each newcomer to the audience of the update that follows.
    for (const userId of addedIds) {
      emit({ userId }, { type: "conversation.joined", conversationId: input.conversationId, conversation: view });
    }
    emitUpdate(emit, view, { change: "members_added", actorId: input.userId, userIds: addedIds });
    return view;
  });
}

async function requireCurrentMember(
  db: Executor,
  query: { conversationId: string; userId: string },
): Promise<{ role: "owner" | "admin" | "member" }> {
  const [row] = await db
    .select({ role: conversationMembers.role })
    .from(conversationMembers)
    .where(
      currentMemberRow(query.conversationId, query.userId),
    );
  if (!row) throw new DomainError("NOT_FOUND", "That user is not a member of this conversation");
  return row;
}

async function markLeft(db: Executor, query: { conversationId: string; userId: string }): Promise<void> {
  await db
    .update(conversationMembers)
    .set({ leftAt: sql`now()`, role: "member" })
    .where(
      memberRow(query.conversationId, query.userId),
    );
}

/** The owner removes anyone; an admin removes plain members only. */
export async function removeGroupMember(
  services: ConversationServices,
  input: { userId: string; conversationId: string; memberId: string },
): Promise<ConversationView> {
  return transactionWithEvents(services, async (tx, emit) => {
    const actor = await requireGroupRole(tx, { ...input, roles: ["owner", "admin"], action: "remove members from", lock: true });
    if (input.memberId === input.userId) {
      throw new DomainError("BAD_REQUEST", "To remove yourself, leave the conversation");
    }
    const target = await requireCurrentMember(tx, { conversationId: input.conversationId, userId: input.memberId });
    if (actor.role !== "owner" && target.role !== "member") {
      throw new DomainError("FORBIDDEN", "Admins cannot remove the owner or other admins");
    }
    await markLeft(tx, { conversationId: input.conversationId, userId: input.memberId });
    const view = await loadConversationView(tx, input.conversationId);
    // The update first, while the removed member is still in the audience; then their own notice.
    emitUpdate(emit, view, { change: "member_removed", actorId: input.userId, userIds: [input.memberId] });
    emit(
      { userId: input.memberId },
      { type: "conversation.left", conversationId: input.conversationId, removedBy: input.userId },
    );
    return view;
  });
}

/**
 * Leaves a group. An owner hands the group to the longest-standing admin, else the
 * longest-standing member; the last one out leaves an empty group behind.
 */
export async function leaveGroup(
  services: ConversationServices,
  input: { userId: string; conversationId: string },
): Promise<void> {
  await transactionWithEvents(services, async (tx, emit) => {
    const membership = await requireMembership(tx, { ...input, lock: true });
    if (membership.kind !== "group") {
      throw new DomainError("BAD_REQUEST", "You cannot leave a direct conversation");
    }
    await markLeft(tx, input);
    let successorId: string | null = null;
    if (membership.role === "owner") {
      const [successor] = await tx
        .select({ userId: conversationMembers.userId })
        .from(conversationMembers)
        .where(
          and(
            eq(conversationMembers.conversationId, input.conversationId),
            isCurrentMember(),
            ne(conversationMembers.userId, input.userId),
          ),
        )
        .orderBy(
          sql`${conversationMembers.role} = 'admin' desc`,
          asc(conversationMembers.joinedAt),
          asc(conversationMembers.userId),
        )
        .limit(1);
      if (successor) {
        successorId = successor.userId;
        await tx
          .update(conversationMembers)
          .set({ role: "owner" })
          .where(
            memberRow(input.conversationId, successor.userId),
          );
      }
    }
    const view = await loadConversationView(tx, input.conversationId);
    emitUpdate(emit, view, { change: "member_left", actorId: input.userId, userIds: [input.userId] });
    if (successorId) emitUpdate(emit, view, { change: "role_changed", actorId: input.userId, userIds: [successorId] });
    emit({ userId: input.userId }, { type: "conversation.left", conversationId: input.conversationId, removedBy: null });
  });
}

/** The owner makes a member an admin or an admin a member. */
export async function setMemberRole(
  services: ConversationServices,
  input: { userId: string; conversationId: string; memberId: string; role: "admin" | "member" },
): Promise<ConversationView> {
  return transactionWithEvents(services, async (tx, emit) => {
    await requireGroupRole(tx, { ...input, roles: ["owner"], action: "change roles in", lock: true });
    if (input.memberId === input.userId) throw new DomainError("BAD_REQUEST", "The owner's own role cannot change");
    const target = await requireCurrentMember(tx, { conversationId: input.conversationId, userId: input.memberId });
    if (target.role === input.role) return loadConversationView(tx, input.conversationId);
    await tx
      .update(conversationMembers)
      .set({ role: input.role })
      .where(
        memberRow(input.conversationId, input.memberId),
      );
    const view = await loadConversationView(tx, input.conversationId);
    emitUpdate(emit, view, { change: "role_changed", actorId: input.userId, userIds: [input.memberId] });
    return view;
  });
}

function emitUpdate(
  emit: EmitEvent,
  view: ConversationView,
  update: { change: "renamed" | "members_added" | "member_removed" | "member_left" | "role_changed"; actorId: string; userIds: string[] },
): void {
  emit({ conversationId: view.id }, { type: "conversation.updated", conversationId: view.id, conversation: view, ...update });
}

/* Typing */

/** Tells the other members the caller is typing, if the caller is one (see realtime/typing.ts). */
export async function announceTyping(
  services: Pick<ParleyServices, "db" | "typing">,
  input: { userId: string; conversationId: string },
): Promise<void> {
  await services.typing.announce({ ...input, requireMember: () => requireMembership(services.db, input) });
}
