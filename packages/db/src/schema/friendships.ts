import { sql } from "drizzle-orm";
import {
  check,
  index,
  pgEnum,
  pgTable,
  primaryKey,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

import { users } from "./users";

export const friendshipStatus = pgEnum("friendship_status", ["pending", "accepted"]);

/** A friend request (pending) or a friendship (accepted); at most one row per pair of users. */
export const friendships = pgTable(
  "friendships",
  {
    requesterId: uuid("requester_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    addresseeId: uuid("addressee_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    status: friendshipStatus("status").notNull().default("pending"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    acceptedAt: timestamp("accepted_at", { withTimezone: true }),
  },
  (table) => [
    primaryKey({ name: "friendships_pkey", columns: [table.requesterId, table.addresseeId] }),
    // One relation per unordered pair: a request from B to A conflicts with one from A to B.
    uniqueIndex("friendships_pair_key").on(
      sql`least(${table.requesterId}, ${table.addresseeId})`,
      sql`greatest(${table.requesterId}, ${table.addresseeId})`,
    ),
    index("friendships_addressee_idx").on(table.addresseeId),
    check("friendships_not_self", sql`${table.requesterId} <> ${table.addresseeId}`),
    check(
      "friendships_accepted_at",
      sql`(${table.status} = 'accepted') = (${table.acceptedAt} is not null)`,
    ),
  ],
);

/** One-directional: the blocker stops hearing from the blocked user. */
export const blocks = pgTable(
  "blocks",
  {
    blockerId: uuid("blocker_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    blockedId: uuid("blocked_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ name: "blocks_pkey", columns: [table.blockerId, table.blockedId] }),
    index("blocks_blocked_idx").on(table.blockedId),
    check("blocks_not_self", sql`${table.blockerId} <> ${table.blockedId}`),
  ],
);

export type Friendship = typeof friendships.$inferSelect;
export type Block = typeof blocks.$inferSelect;
