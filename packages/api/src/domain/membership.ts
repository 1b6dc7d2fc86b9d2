import { and, eq, isNull, type SQL, type SQLWrapper } from "drizzle-orm";

import type { Database, Transaction } from "@parley/db/client";
import { conversationMembers, conversations } from "@parley/db/schema";

import { DomainError } from "../errors";
import type { MemberRole } from "./views";

export type Executor = Database | Transaction;

export interface Membership {
  conversationId: string;
  kind: "direct" | "group";
  directKey: string | null;
  lastSeq: number;
  role: MemberRole;
  lastReadSeq: number;
}

/** One message for a conversation that does not exist and one the caller is not in: ids leak nothing. */
export const notAMemberMessage = "You are not a member of this conversation";

/**
 * One user's membership row in one conversation, whether or not they have left. The
 * conversation is an id, or a column to join on.
 */
export function memberRow(conversationId: string | SQLWrapper, userId: string): SQL {
  return and(eq(conversationMembers.conversationId, conversationId), eq(conversationMembers.userId, userId)) as SQL;
}

/** Membership rows of people still in their conversation: leaving keeps the row and sets `left_at`. */
export function isCurrentMember(): SQL {
  return isNull(conversationMembers.leftAt);
}

/** The same row while the user is still a member. */
export function currentMemberRow(conversationId: string | SQLWrapper, userId: string): SQL {
  return and(memberRow(conversationId, userId), isCurrentMember()) as SQL;
}

/** The conversations the user is a member of now, as a subquery of `conversationId`s. */
export function currentConversationsOf(db: Executor, userId: string) {
  return db
    .select({ conversationId: conversationMembers.conversationId })
    .from(conversationMembers)
    .where(and(eq(conversationMembers.userId, userId), isCurrentMember()));
}

/**
 * The caller's current membership, or FORBIDDEN. With `lock` (inside a transaction) the
 * conversation row is locked first and the membership read afterwards, so the answer reflects
 * every membership change that committed before this one, and none can commit until we do.
 */
export async function requireMembership(
  db: Executor,
  query: { conversationId: string; userId: string; lock?: boolean },
): Promise<Membership> {
  if (query.lock) {
    await db
      .select({ id: conversations.id })
      .from(conversations)
      .where(eq(conversations.id, query.conversationId))
      .for("update");
  }
  const [row] = await db
    .select({
      conversationId: conversations.id,
      kind: conversations.kind,
      directKey: conversations.directKey,
      lastSeq: conversations.lastSeq,
      role: conversationMembers.role,
      lastReadSeq: conversationMembers.lastReadSeq,
    })
    .from(conversationMembers)
    .innerJoin(conversations, eq(conversations.id, conversationMembers.conversationId))
    .where(
      currentMemberRow(query.conversationId, query.userId),
    );
  if (!row) throw new DomainError("FORBIDDEN", notAMemberMessage);
  return row;
}

/**
 * Membership in a group with one of `roles`; a direct conversation has no roles to act with.
 * `action` completes "Only the owner can … this group" and "You cannot … a direct conversation".
 */
export async function requireGroupRole(
  db: Executor,
  query: { conversationId: string; userId: string; roles: MemberRole[]; action: string; lock?: boolean },
): Promise<Membership> {
  const membership = await requireMembership(db, query);
  if (membership.kind !== "group") {
    throw new DomainError("BAD_REQUEST", `You cannot ${query.action} a direct conversation`);
  }
  if (!query.roles.includes(membership.role)) {
    const who = query.roles.includes("admin") ? "the owner and admins" : "the owner";
    throw new DomainError("FORBIDDEN", `Only ${who} can ${query.action} this group`);
  }
  return membership;
}

/** The key that makes a direct conversation unique per pair: both ids in string order. */
export function directKeyOf(userId: string, otherUserId: string): string {
  return userId < otherUserId ? `${userId}:${otherUserId}` : `${otherUserId}:${userId}`;
}

/** The other member of a direct conversation, read from its key. */
export function directPeerOf(directKey: string, userId: string): string {
  const [first, second] = directKey.split(":");
  return first === userId ? (second ?? "") : (first ?? "");
}
