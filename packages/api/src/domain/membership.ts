import { and, eq, inArray, isNull, or, type SQL } from "drizzle-orm";

import type { Database, Transaction } from "@parley/db/client";
import { blocks, conversationMembers, conversations, friendships } from "@parley/db/schema";

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

/** One user's membership row in one conversation, whether or not they have left. */
export function memberRow(conversationId: string, userId: string): SQL {
  return and(eq(conversationMembers.conversationId, conversationId), eq(conversationMembers.userId, userId)) as SQL;
}

/** The same row while the user is still a member. */
export function currentMemberRow(conversationId: string, userId: string): SQL {
  return and(memberRow(conversationId, userId), isNull(conversationMembers.leftAt)) as SQL;
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

export interface ContactRestrictions {
  /** Not an accepted friend of the user. */
  notFriends: string[];
  /** A block exists in either direction. */
  blocked: string[];
}

/** Which of `otherUserIds` the user may not converse with, and why. */
export async function findContactRestrictions(
  db: Database,
  query: { userId: string; otherUserIds: string[] },
): Promise<ContactRestrictions> {
  const { userId, otherUserIds } = query;
  if (otherUserIds.length === 0) return { notFriends: [], blocked: [] };
  const [friendRows, blockRows] = await Promise.all([
    db
      .select({ requesterId: friendships.requesterId, addresseeId: friendships.addresseeId })
      .from(friendships)
      .where(
        and(
          eq(friendships.status, "accepted"),
          or(
            and(eq(friendships.requesterId, userId), inArray(friendships.addresseeId, otherUserIds)),
            and(eq(friendships.addresseeId, userId), inArray(friendships.requesterId, otherUserIds)),
          ),
        ),
      ),
    db
      .select({ blockerId: blocks.blockerId, blockedId: blocks.blockedId })
      .from(blocks)
      .where(
        or(
          and(eq(blocks.blockerId, userId), inArray(blocks.blockedId, otherUserIds)),
          and(eq(blocks.blockedId, userId), inArray(blocks.blockerId, otherUserIds)),
        ),
      ),
  ]);
  const friends = new Set(friendRows.map((row) => (row.requesterId === userId ? row.addresseeId : row.requesterId)));
  const blocked = new Set(blockRows.map((row) => (row.blockerId === userId ? row.blockedId : row.blockerId)));
  return {
    notFriends: otherUserIds.filter((id) => !friends.has(id)),
    blocked: otherUserIds.filter((id) => blocked.has(id)),
  };
}

/** Direct messages need an accepted friendship and no block either way. */
export async function requireDirectContact(db: Database, query: { userId: string; otherUserId: string }): Promise<void> {
  const restrictions = await findContactRestrictions(db, { userId: query.userId, otherUserIds: [query.otherUserId] });
  if (restrictions.blocked.length > 0) {
    throw new DomainError("FORBIDDEN", "You cannot message this user: one of you has blocked the other");
  }
  if (restrictions.notFriends.length > 0) {
    throw new DomainError("FORBIDDEN", "Direct messages need an accepted friendship with this user");
  }
}

/** Only the user's accepted friends, with no block either way, may be put into a group by them. */
export async function requireAddableToGroup(db: Database, query: { userId: string; otherUserIds: string[] }): Promise<void> {
  const restrictions = await findContactRestrictions(db, query);
  if (restrictions.blocked.length > 0) {
    throw new DomainError("FORBIDDEN", "You cannot add a user who blocked you or whom you blocked");
  }
  if (restrictions.notFriends.length > 0) {
    throw new DomainError("FORBIDDEN", "You can only add your accepted friends to a group");
  }
}
