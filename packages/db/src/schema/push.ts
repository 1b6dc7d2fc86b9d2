import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

import { conversations } from "./conversations";
import { sessions } from "./sessions";
import { users } from "./users";

/**
 * The server's VAPID key pair, made on first start when VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY are
 * not given; one row, so every node signs with the same keys and subscriptions survive restarts.
 */
export const pushVapidKeys = pgTable(
  "push_vapid_keys",
  {
    id: smallint("id").primaryKey().default(1),
    publicKey: text("public_key").notNull(),
    privateKey: text("private_key").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [check("push_vapid_keys_single_row", sql`${table.id} = 1`)],
);

/** A browser's push endpoint, owned by the session that subscribed it and deleted with it. */
export const pushSubscriptions = pgTable(
  "push_subscriptions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    endpoint: text("endpoint").notNull(),
    /** The browser's P-256 public key and auth secret, base64url, as PushSubscription.toJSON() gives them. */
    p256dh: text("p256dh").notNull(),
    auth: text("auth").notNull(),
    userAgent: text("user_agent"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("push_subscriptions_endpoint_key").on(table.endpoint),
    index("push_subscriptions_user_idx").on(table.userId),
    index("push_subscriptions_session_idx").on(table.sessionId),
  ],
);

/**
 * The durable push queue: one row per notification and subscription. Workers on every node
 * claim due rows with FOR UPDATE SKIP LOCKED and push back `next_attempt_at` while they send,
 * so a row is sent by one worker at a time and a worker that died leaves it to be retried.
 */
export const pushOutbox = pgTable(
  "push_outbox",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    subscriptionId: uuid("subscription_id")
      .notNull()
      .references(() => pushSubscriptions.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Set for message notifications, so that a read can withdraw those not yet sent. */
    conversationId: uuid("conversation_id").references(() => conversations.id, { onDelete: "cascade" }),
    payload: jsonb("payload").notNull(),
    /** Seconds the push service may hold the notification for an offline device. */
    ttlSeconds: integer("ttl_seconds").notNull(),
    urgency: text("urgency").notNull().default("normal"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index("push_outbox_due_idx").on(table.nextAttemptAt),
    index("push_outbox_conversation_idx").on(table.userId, table.conversationId),
    index("push_outbox_subscription_idx").on(table.subscriptionId),
    check("push_outbox_urgency", sql`${table.urgency} in ('very-low', 'low', 'normal', 'high')`),
  ],
);

/**
 * How far the push planner has read the event log: one row, locked by the node planning, so
 * each logged message is turned into notifications exactly once across restarts and nodes.
 */
export const pushCursor = pgTable(
  "push_cursor",
  {
    id: smallint("id").primaryKey().default(1),
    lastEventId: bigint("last_event_id", { mode: "number" }).notNull(),
  },
  (table) => [check("push_cursor_single_row", sql`${table.id} = 1`)],
);

/** The newest seq pushed to a user per conversation: a read up to it withdraws the notification. */
export const pushShown = pgTable(
  "push_shown",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    conversationId: uuid("conversation_id")
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
  },
  (table) => [primaryKey({ name: "push_shown_pkey", columns: [table.userId, table.conversationId] })],
);

/**
 * A member's mute of one conversation. `muted_until` null means muted until unmuted, which
 * silences mentions too; a timed mute still lets mentions through.
 */
export const conversationMutes = pgTable(
  "conversation_mutes",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    conversationId: uuid("conversation_id")
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    mutedUntil: timestamp("muted_until", { withTimezone: true }),
  },
  (table) => [primaryKey({ name: "conversation_mutes_pkey", columns: [table.userId, table.conversationId] })],
);

/** Per-user notification choices; a user with no row has the defaults. */
export const notificationSettings = pgTable("notification_settings", {
  userId: uuid("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  /** Show the sender and the message's text in pushed notifications. */
  previews: boolean("previews").notNull().default(false),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export type PushSubscriptionRow = typeof pushSubscriptions.$inferSelect;
