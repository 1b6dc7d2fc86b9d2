import { and, asc, desc, eq, ilike, isNull, ne, notInArray, or, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { z } from "zod";

import type { Database, Transaction } from "@parley/db/client";
import { conversationMembers, conversations, users } from "@parley/db/schema";

import { DomainError } from "../errors";
import { transactionWithEvents, type EmitEvent } from "../events/transaction";
import type { ParleyServices } from "../services";
import { friendIdsOf, hasBlocked, usersWhoBlocked } from "./relationships";
import { toPublicUser, type PublicUser } from "./views";

type Executor = Database | Transaction;

export const displayNameMaxLength = 64;

/** A display name: trimmed, 1 to 64 characters as people count them (code points, like the database). */
export const displayNameInput = z
  .string()
  .trim()
  .min(1, "Display name must not be empty")
  .refine((name) => Array.from(name).length <= displayNameMaxLength, {
    message: `Display name must be at most ${displayNameMaxLength} characters`,
  })
  .refine((name) => !/\p{Cc}/u.test(name), { message: "Display name must not contain control characters" });

/** The columns a `PublicUser` is built from: never the password hash. */
export const publicUserColumns = {
  id: users.id,
  username: users.username,
  displayName: users.displayName,
  createdAt: users.createdAt,
  avatarKey: users.avatarKey,
};

/** Usernames are unique regardless of case; this matches the `lower(username)` unique index. */
export function usernameEquals(username: string) {
  return eq(sql`lower(${users.username})`, username.toLowerCase());
}

export async function findUserById(db: Executor, userId: string): Promise<PublicUser | null> {
  const [row] = await db.select(publicUserColumns).from(users).where(eq(users.id, userId));
  return row ? toPublicUser(row) : null;
}

export async function findUserByUsername(db: Executor, username: string): Promise<PublicUser | null> {
  const [row] = await db.select(publicUserColumns).from(users).where(usernameEquals(username));
  return row ? toPublicUser(row) : null;
}

/** A user as `viewerId` may see them: someone who blocked the viewer looks like no one. */
export async function getVisibleUser(
  db: Executor,
  options: { viewerId: string; userId: string },
): Promise<PublicUser> {
  const user = await findUserById(db, options.userId);
  if (!user || (await hasBlocked(db, { blockerId: options.userId, blockedId: options.viewerId }))) {
    throw new DomainError("NOT_FOUND", "User not found");
  }
  return user;
}

/** Makes `%`, `_` and `\` in user input match themselves in a LIKE pattern (default escape `\`). */
export function escapeLikePattern(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/**
 * Users whose username starts with `query` or whose display name contains it, ignoring case.
 * Exact and prefix username matches come first. The viewer and anyone who blocked them are left out.
 */
export async function searchUsers(
  db: Executor,
  options: { viewerId: string; query: string; limit: number },
): Promise<PublicUser[]> {
  const escaped = escapeLikePattern(options.query.toLowerCase());
  const lowerUsername = sql`lower(${users.username})`;
  const usernamePrefix = sql`${lowerUsername} like ${`${escaped}%`}`;
  const rows = await db
    .select(publicUserColumns)
    .from(users)
    .where(
      and(
        ne(users.id, options.viewerId),
        or(usernamePrefix, ilike(users.displayName, `%${escaped}%`)),
        notInArray(users.id, usersWhoBlocked(db, options.viewerId)),
      ),
    )
    .orderBy(
      desc(sql`${lowerUsername} = ${options.query.toLowerCase()}`),
      desc(usernamePrefix),
      asc(lowerUsername),
    )
    .limit(options.limit);
  return rows.map(toPublicUser);
}

/** Changes the display name and tells whoever shows the user (announceProfile). */
export async function updateProfile(
  services: Pick<ParleyServices, "db" | "feed" | "clock">,
  options: { userId: string; displayName: string },
): Promise<PublicUser> {
  return transactionWithEvents(services, async (tx, emit) => {
    const [row] = await tx
      .update(users)
      .set({ displayName: options.displayName, updatedAt: services.clock.now() })
      .where(eq(users.id, options.userId))
      .returning(publicUserColumns);
    if (!row) throw new DomainError("NOT_FOUND", "User not found");
    const user = toPublicUser(row);
    await announceProfile(tx, emit, user);
    return user;
  });
}

/**
 * Tells everyone who shows the user of a change to their name or picture, at once: their own
 * devices, their friends, and the members of the groups they are in (not those who blocked them,
 * to whom they look like no one). One `profile.updated` per person, however many groups they share.
 */
export async function announceProfile(tx: Transaction, emit: EmitEvent, user: PublicUser): Promise<void> {
  const other = alias(conversationMembers, "other");
  const coMembers = await tx
    .selectDistinct({ userId: other.userId })
    .from(conversationMembers)
    .innerJoin(conversations, and(eq(conversations.id, conversationMembers.conversationId), eq(conversations.kind, "group")))
    .innerJoin(other, and(eq(other.conversationId, conversationMembers.conversationId), isNull(other.leftAt)))
    .where(
      and(
        eq(conversationMembers.userId, user.id),
        isNull(conversationMembers.leftAt),
        ne(other.userId, user.id),
        notInArray(other.userId, usersWhoBlocked(tx, user.id)),
      ),
    );
  const recipients = new Set([user.id, ...(await friendIdsOf(tx, user.id)), ...coMembers.map((row) => row.userId)]);
  for (const recipient of recipients) emit({ userId: recipient }, { type: "profile.updated", user });
}
