import { sql } from "drizzle-orm";
import { check, index, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

import { conversations } from "./conversations";
import { users } from "./users";

export const callMedia = pgEnum("call_media", ["audio", "video"]);
export const callState = pgEnum("call_state", ["ringing", "active", "ended"]);
export const callEndReason = pgEnum("call_end_reason", ["hangup", "declined", "busy", "timeout", "failed", "replaced"]);
export const callParticipantState = pgEnum("call_participant_state", ["invited", "joined", "declined", "left"]);

/**
 * One voice or video call in a conversation. The row is the call's state machine: every
 * transition runs in a transaction holding the conversation's row lock, so two nodes never
 * move one call at once, and `ring_deadline` lets any node's sweeper end a call that rang out.
 */
export const calls = pgTable(
  "calls",
  {
    id: uuid("id").primaryKey(),
    conversationId: uuid("conversation_id")
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    initiatorId: uuid("initiator_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    media: callMedia("media").notNull(),
    state: callState("state").notNull().default("ringing"),
    endReason: callEndReason("end_reason"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    ringDeadline: timestamp("ring_deadline", { withTimezone: true }).notNull(),
    answeredAt: timestamp("answered_at", { withTimezone: true }),
    endedAt: timestamp("ended_at", { withTimezone: true }),
  },
  (table) => [
    // At most one call that is not over per conversation.
    uniqueIndex("calls_one_live_per_conversation").on(table.conversationId).where(sql`${table.state} <> 'ended'`),
    // The sweeper's access path: calls still ringing, by deadline.
    index("calls_ringing_deadline_idx").on(table.ringDeadline).where(sql`${table.state} = 'ringing'`),
    check("calls_end_reason_iff_ended", sql`(${table.state} = 'ended') = (${table.endReason} is not null and ${table.endedAt} is not null)`),
    check("calls_answered_unless_ringing", sql`${table.state} = 'ringing' or ${table.state} = 'ended' or ${table.answeredAt} is not null`),
  ],
);

/**
 * Who takes part in a call, and on which device: `session_id` is the device that started or
 * answered, the only one that sends and receives the call's signals.
 */
export const callParticipants = pgTable(
  "call_participants",
  {
    callId: uuid("call_id")
      .notNull()
      .references(() => calls.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    state: callParticipantState("state").notNull(),
    /** No foreign key: a call keeps its device after the session ends, and a logout must not wait on calls. */
    sessionId: text("session_id"),
    joinedAt: timestamp("joined_at", { withTimezone: true }),
    /** When a node last held a live stream for this device; a device silent for long has left. */
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }),
    leftAt: timestamp("left_at", { withTimezone: true }),
  },
  (table) => [
    primaryKey({ name: "call_participants_pkey", columns: [table.callId, table.userId] }),
    // A user is in one call at a time, whichever node let them in.
    uniqueIndex("call_participants_one_call_per_user").on(table.userId).where(sql`${table.state} = 'joined'`),
    index("call_participants_user_idx").on(table.userId, table.callId),
    check("call_participants_joined_has_device", sql`${table.state} <> 'joined' or (${table.sessionId} is not null and ${table.joinedAt} is not null)`),
  ],
);

export type Call = typeof calls.$inferSelect;
export type CallParticipant = typeof callParticipants.$inferSelect;
