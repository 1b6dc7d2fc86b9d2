import { and, asc, desc, eq, inArray, or, sql } from "drizzle-orm";

import type { Database, Transaction } from "@parley/db/client";
import { blocks, friendships, users, type Friendship } from "@parley/db/schema";

import { DomainError } from "../errors";
import { transactionWithEvents, type EmitEvent } from "../events/transaction";
import type { ParleyServices } from "../services";
import { acceptedFriendshipsOf, hasBlocked, usersBlockedBy } from "./relationships";
import { findUserById, findUserByUsername, publicUserColumns } from "./users";
import {
  isoDate,
  toPublicUser,
  type FriendRequestView,
  type FriendView,
  type PublicUser,
} from "./views";

type FriendServices = Pick<ParleyServices, "db" | "feed" | "clock" | "presence">;

export type FriendRequestResult =
  | { status: "requested"; request: FriendRequestView }
  /** The other user had already asked: the request accepted theirs. */
  | { status: "accepted"; friend: FriendView };

/** Namespace for this module's advisory locks (the first key of the two-key form). */
const friendPairLockSpace = 7_301;

/**
 * Serialises every friendship and block change for one pair of users, whichever side acts: a
 * request cannot slip in beside a concurrent block, and a request read as pending stays so.
 */
async function lockPair(tx: Transaction, userId: string, otherUserId: string): Promise<void> {
  const key = userId < otherUserId ? `${userId}:${otherUserId}` : `${otherUserId}:${userId}`;
  await tx.execute(sql`select pg_advisory_xact_lock(${friendPairLockSpace}::integer, hashtext(${key}::text))`);
}

function pairCondition(userId: string, otherUserId: string) {
  return or(
    and(eq(friendships.requesterId, userId), eq(friendships.addresseeId, otherUserId)),
    and(eq(friendships.requesterId, otherUserId), eq(friendships.addresseeId, userId)),
  );
}

async function findFriendship(
  db: Database | Transaction,
  userId: string,
  otherUserId: string,
): Promise<Friendship | null> {
  const [row] = await db.select().from(friendships).where(pairCondition(userId, otherUserId));
  return row ?? null;
}

/** Both users of an action, or NOT_FOUND when the other does not exist. */
async function loadPair(
  db: Database | Transaction,
  userId: string,
  otherUserId: string,
): Promise<{ me: PublicUser; other: PublicUser }> {
  const rows = await db
    .select(publicUserColumns)
    .from(users)
    .where(inArray(users.id, [userId, otherUserId]));
  const me = rows.find((row) => row.id === userId);
  const other = rows.find((row) => row.id === otherUserId);
  if (!other) throw new DomainError("NOT_FOUND", "User not found");
  if (!me) throw new DomainError("UNAUTHORIZED", "Sign in to continue");
  return { me: toPublicUser(me), other: toPublicUser(other) };
}

function rejectSelf(userId: string, otherUserId: string, message: string): void {
  if (userId === otherUserId) throw new DomainError("BAD_REQUEST", message);
}

/** Turns a pending request into a friendship and tells both users; false when there was none. */
async function acceptPending(
  tx: Transaction,
  emit: EmitEvent,
  options: { requester: PublicUser; addressee: PublicUser; now: Date },
): Promise<string | null> {
  const [row] = await tx
    .update(friendships)
    .set({ status: "accepted", acceptedAt: options.now })
    .where(
      and(
        eq(friendships.requesterId, options.requester.id),
        eq(friendships.addresseeId, options.addressee.id),
        eq(friendships.status, "pending"),
      ),
    )
    .returning({ acceptedAt: friendships.acceptedAt });
  if (!row?.acceptedAt) return null;
  const since = isoDate(row.acceptedAt);
  emit({ userId: options.requester.id }, { type: "friend.accepted", friend: options.addressee, since });
  emit({ userId: options.addressee.id }, { type: "friend.accepted", friend: options.requester, since });
  return since;
}

async function toFriendView(services: FriendServices, user: PublicUser, since: string): Promise<FriendView> {
  const online = await services.presence.isOnline([user.id]);
  return { user, since, online: online.has(user.id) };
}

export async function listFriends(services: FriendServices, userId: string): Promise<FriendView[]> {
  const otherId = sql`case when ${friendships.requesterId} = ${userId} then ${friendships.addresseeId} else ${friendships.requesterId} end`;
  const rows = await services.db
    .select({ ...publicUserColumns, acceptedAt: friendships.acceptedAt })
    .from(friendships)
    .innerJoin(users, eq(users.id, otherId))
    .where(acceptedFriendshipsOf(userId))
    .orderBy(asc(sql`lower(${users.username})`));
  const online = await services.presence.isOnline(rows.map((row) => row.id));
  return rows.map((row) => ({
    user: toPublicUser(row),
    // Accepted rows always carry acceptedAt (a check constraint says so).
    since: isoDate(row.acceptedAt ?? row.createdAt),
    online: online.has(row.id),
  }));
}

export async function listFriendRequests(
  db: Database,
  userId: string,
): Promise<{ incoming: FriendRequestView[]; outgoing: FriendRequestView[] }> {
  const me = await findUserById(db, userId);
  if (!me) throw new DomainError("UNAUTHORIZED", "Sign in to continue");
  const requestColumns = { ...publicUserColumns, requestedAt: friendships.createdAt };
  const [incoming, outgoing] = await Promise.all([
    db
      .select(requestColumns)
      .from(friendships)
      .innerJoin(users, eq(users.id, friendships.requesterId))
      .where(and(eq(friendships.addresseeId, userId), eq(friendships.status, "pending")))
      .orderBy(desc(friendships.createdAt)),
    db
      .select(requestColumns)
      .from(friendships)
      .innerJoin(users, eq(users.id, friendships.addresseeId))
      .where(and(eq(friendships.requesterId, userId), eq(friendships.status, "pending")))
      .orderBy(desc(friendships.createdAt)),
  ]);
  return {
    incoming: incoming.map((row) => ({
      requester: toPublicUser(row),
      addressee: me,
      createdAt: isoDate(row.requestedAt),
    })),
    outgoing: outgoing.map((row) => ({
      requester: me,
      addressee: toPublicUser(row),
      createdAt: isoDate(row.requestedAt),
    })),
  };
}

/**
 * Asks `username` to be friends. If they had already asked, this accepts their request instead.
 * Someone who blocked the requester is indistinguishable from an unknown username.
 */
export async function sendFriendRequest(
  services: FriendServices,
  options: { userId: string; username: string },
): Promise<FriendRequestResult> {
  const unknownUser = new DomainError("NOT_FOUND", "No user with that username");
  const target = await findUserByUsername(services.db, options.username);
  if (!target) throw unknownUser;
  rejectSelf(options.userId, target.id, "You cannot send a friend request to yourself");

  const result = await transactionWithEvents(services, async (tx, emit) => {
    await lockPair(tx, options.userId, target.id);
    const { me, other } = await loadPair(tx, options.userId, target.id);
    if (await hasBlocked(tx, { blockerId: me.id, blockedId: other.id })) {
      throw new DomainError("FORBIDDEN", "Unblock this user first");
    }
    if (await hasBlocked(tx, { blockerId: other.id, blockedId: me.id })) throw unknownUser;

    const existing = await findFriendship(tx, me.id, other.id);
    if (existing?.status === "accepted") throw new DomainError("CONFLICT", "You are already friends");
    if (existing?.requesterId === me.id) throw new DomainError("CONFLICT", "Friend request already sent");
    if (existing) {
      const since = await acceptPending(tx, emit, { requester: other, addressee: me, now: services.clock.now() });
      if (!since) throw new Error("pending friend request vanished under the pair lock");
      return { status: "accepted" as const, friend: other, since };
    }

    // The pair lock makes a duplicate impossible here; the unique pair index backs it regardless.
    const [row] = await tx
      .insert(friendships)
      .values({ requesterId: me.id, addresseeId: other.id, createdAt: services.clock.now() })
      .returning({ createdAt: friendships.createdAt });
    if (!row) throw new Error("friend request insert returned no row");
    const request: FriendRequestView = { requester: me, addressee: other, createdAt: isoDate(row.createdAt) };
    emit({ userId: me.id }, { type: "friend.requested", request });
    emit({ userId: other.id }, { type: "friend.requested", request });
    return { status: "requested" as const, request };
  });

  if (result.status === "requested") return result;
  return { status: "accepted", friend: await toFriendView(services, result.friend, result.since) };
}

export async function acceptFriendRequest(
  services: FriendServices,
  options: { userId: string; requesterId: string },
): Promise<FriendView> {
  rejectSelf(options.userId, options.requesterId, "You cannot accept a request from yourself");
  const { friend, since } = await transactionWithEvents(services, async (tx, emit) => {
    await lockPair(tx, options.userId, options.requesterId);
    const { me, other } = await loadPair(tx, options.userId, options.requesterId);
    const since = await acceptPending(tx, emit, { requester: other, addressee: me, now: services.clock.now() });
    if (!since) throw new DomainError("NOT_FOUND", "No friend request from this user");
    return { friend: other, since };
  });
  return toFriendView(services, friend, since);
}

/** Deletes one pending request and tells both users with `eventType`. */
async function withdrawRequest(
  services: FriendServices,
  options: {
    requesterId: string;
    addresseeId: string;
    eventType: "friend.declined" | "friend.cancelled";
    notFoundMessage: string;
  },
): Promise<void> {
  await transactionWithEvents(services, async (tx, emit) => {
    await lockPair(tx, options.requesterId, options.addresseeId);
    const deleted = await tx
      .delete(friendships)
      .where(
        and(
          eq(friendships.requesterId, options.requesterId),
          eq(friendships.addresseeId, options.addresseeId),
          eq(friendships.status, "pending"),
        ),
      )
      .returning({ requesterId: friendships.requesterId });
    if (deleted.length === 0) throw new DomainError("NOT_FOUND", options.notFoundMessage);
    emit({ userId: options.requesterId }, { type: options.eventType, userId: options.addresseeId });
    emit({ userId: options.addresseeId }, { type: options.eventType, userId: options.requesterId });
  });
}

export async function declineFriendRequest(
  services: FriendServices,
  options: { userId: string; requesterId: string },
): Promise<void> {
  await withdrawRequest(services, {
    requesterId: options.requesterId,
    addresseeId: options.userId,
    eventType: "friend.declined",
    notFoundMessage: "No friend request from this user",
  });
}

export async function cancelFriendRequest(
  services: FriendServices,
  options: { userId: string; addresseeId: string },
): Promise<void> {
  await withdrawRequest(services, {
    requesterId: options.userId,
    addresseeId: options.addresseeId,
    eventType: "friend.cancelled",
    notFoundMessage: "No friend request to this user",
  });
}

export async function removeFriend(
  services: FriendServices,
  options: { userId: string; friendId: string },
): Promise<void> {
  await transactionWithEvents(services, async (tx, emit) => {
    await lockPair(tx, options.userId, options.friendId);
    const deleted = await tx
      .delete(friendships)
      .where(and(pairCondition(options.userId, options.friendId), eq(friendships.status, "accepted")))
      .returning({ requesterId: friendships.requesterId });
    if (deleted.length === 0) throw new DomainError("NOT_FOUND", "You are not friends with this user");
    emit({ userId: options.userId }, { type: "friend.removed", userId: options.friendId });
    emit({ userId: options.friendId }, { type: "friend.removed", userId: options.userId });
  });
}

/**
 * Blocks `blockedId` and ends any friendship or request between the two. Only the blocker hears
 * of the block; the other side sees the friendship or request end as an ordinary removal,
 * decline or cancellation. Blocking twice changes nothing.
 */
export async function blockUser(
  services: FriendServices,
  options: { userId: string; blockedId: string },
): Promise<void> {
  rejectSelf(options.userId, options.blockedId, "You cannot block yourself");
  await transactionWithEvents(services, async (tx, emit) => {
    await lockPair(tx, options.userId, options.blockedId);
    const { me, other } = await loadPair(tx, options.userId, options.blockedId);
    const [ended] = await tx.delete(friendships).where(pairCondition(me.id, other.id)).returning();
    if (ended) {
      const type =
        ended.status === "accepted"
          ? "friend.removed"
          : ended.requesterId === me.id
            ? "friend.cancelled"
            : "friend.declined";
      emit({ userId: me.id }, { type, userId: other.id });
      emit({ userId: other.id }, { type, userId: me.id });
    }
    const added = await tx
      .insert(blocks)
      .values({ blockerId: me.id, blockedId: other.id, createdAt: services.clock.now() })
      .onConflictDoNothing()
      .returning({ blockedId: blocks.blockedId });
    if (added.length > 0) emit({ userId: me.id }, { type: "block.added", userId: other.id });
  });
}

/** Lifts a block; unblocking someone who is not blocked changes nothing. */
export async function unblockUser(
  services: FriendServices,
  options: { userId: string; blockedId: string },
): Promise<void> {
  await transactionWithEvents(services, async (tx, emit) => {
    const removed = await tx
      .delete(blocks)
      .where(and(eq(blocks.blockerId, options.userId), eq(blocks.blockedId, options.blockedId)))
      .returning({ blockedId: blocks.blockedId });
    if (removed.length > 0) emit({ userId: options.userId }, { type: "block.removed", userId: options.blockedId });
  });
}

export async function listBlockedUsers(db: Database, userId: string): Promise<PublicUser[]> {
  const rows = await db
    .select(publicUserColumns)
    .from(users)
    .where(inArray(users.id, usersBlockedBy(db, userId)))
    .orderBy(asc(sql`lower(${users.username})`));
  return rows.map(toPublicUser);
}
