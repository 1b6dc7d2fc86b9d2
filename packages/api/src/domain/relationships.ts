import { and, eq, inArray, or, type SQL } from "drizzle-orm";

import type { Database } from "@parley/db/client";
import { blocks, friendships } from "@parley/db/schema";

import { DomainError } from "../errors";
import type { Executor } from "./membership";

/** Accepted friendships with the user on either side. */
export function acceptedFriendshipsOf(userId: string): SQL {
  return and(
    eq(friendships.status, "accepted"),
    or(eq(friendships.requesterId, userId), eq(friendships.addresseeId, userId)),
  ) as SQL;
}

/** Accepted friends of a user: the people who see their presence and their profile changes. */
export async function friendIdsOf(db: Executor, userId: string): Promise<string[]> {
  const rows = await db
    .select({ requesterId: friendships.requesterId, addresseeId: friendships.addresseeId })
    .from(friendships)
    .where(acceptedFriendshipsOf(userId));
  return rows.map((row) => (row.requesterId === userId ? row.addresseeId : row.requesterId));
}

/** The users `userId` has blocked, as a subquery of `id`s: what they write is hidden from `userId`. */
export function usersBlockedBy(db: Executor, userId: string) {
  return db.select({ id: blocks.blockedId }).from(blocks).where(eq(blocks.blockerId, userId));
}

/** The users who have blocked `userId`, as a subquery of `id`s: to `userId` they look like no one. */
export function usersWhoBlocked(db: Executor, userId: string) {
  return db.select({ id: blocks.blockerId }).from(blocks).where(eq(blocks.blockedId, userId));
}

/** Whether `blockerId` has blocked `blockedId` (one direction only). */
export async function hasBlocked(
  db: Executor,
  pair: { blockerId: string; blockedId: string },
): Promise<boolean> {
  const [row] = await db
    .select({ blockerId: blocks.blockerId })
    .from(blocks)
    .where(and(eq(blocks.blockerId, pair.blockerId), eq(blocks.blockedId, pair.blockedId)));
  return row !== undefined;
}

export interface ContactRestrictions {
  /** Not an accepted friend of the user. */
  notFriends: string[];
  /** A block exists in either direction. */
  blocked: string[];
}

/** Which of `otherUserIds` the user may not converse with, and why. */
export async function findContactRestrictions(
  db: Executor,
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
