import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

import { disappearingTimerSeconds, groupTitleMaxCharacters } from "../limits";
import { users } from "./users";

export const conversationKind = pgEnum("conversation_kind", ["direct", "group"]);
export const memberRole = pgEnum("member_role", ["owner", "admin", "member"]);
export const disappearingStart = pgEnum("disappearing_start", ["send", "read"]);

export const conversations = pgTable(
  "conversations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    kind: conversationKind("kind").notNull(),
    title: text("title"),
    creatorId: uuid("creator_id").references(() => users.id, { onDelete: "set null" }),
    /**
     * For direct conversations, "<smaller user id>:<larger user id>". Its unique index is what
     * guarantees one direct conversation per pair of users, even under concurrent opens.
     */
    directKey: text("direct_key"),
    /** The seq of the newest message; the next message takes last_seq + 1 under this row's lock. */
    lastSeq: integer("last_seq").notNull().default(0),
    lastActivityAt: timestamp("last_activity_at", { withTimezone: true }).notNull().defaultNow(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    /** The disappearing-message timer new messages take; null when messages stay. */
    disappearingSeconds: integer("disappearing_seconds"),
    /** When a message's timer starts: at send for everyone, or at each recipient's read. */
    disappearingStartsAt: disappearingStart("disappearing_starts_at").notNull().default("send"),
  },
  (table) => [
    uniqueIndex("conversations_direct_key").on(table.directKey),
    check(
      "conversations_direct_key_iff_direct",
      sql`(${table.kind} = 'direct') = (${table.directKey} is not null)`,
    ),
    // `title is not null` matters: char_length(null) is null, which a check lets through.
    check(
      "conversations_group_title",
      sql`${table.kind} = 'direct' or (${table.title} is not null and char_length(${table.title}) between 1 and ${sql.raw(String(groupTitleMaxCharacters))})`,
    ),
    check("conversations_last_seq_nonnegative", sql`${table.lastSeq} >= 0`),
    check(
      "conversations_disappearing_timer",
      sql`${table.disappearingSeconds} is null or ${table.disappearingSeconds} in (${sql.raw(disappearingTimerSeconds.join(", "))})`,
    ),
  ],
);

export const conversationMembers = pgTable(
  "conversation_members",
  {
    conversationId: uuid("conversation_id")
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: memberRole("role").notNull().default("member"),
    lastReadSeq: integer("last_read_seq").notNull().default(0),
    joinedAt: timestamp("joined_at", { withTimezone: true }).notNull().defaultNow(),
    /** Set when the member leaves or is removed; the row stays so their read state survives. */
    leftAt: timestamp("left_at", { withTimezone: true }),
  },
  (table) => [
    primaryKey({ name: "conversation_members_pkey", columns: [table.conversationId, table.userId] }),
    index("conversation_members_user_idx").on(table.userId, table.conversationId),
    check("conversation_members_last_read_nonnegative", sql`${table.lastReadSeq} >= 0`),
  ],
);

export type Conversation = typeof conversations.$inferSelect;
export type ConversationMember = typeof conversationMembers.$inferSelect;
