import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  jsonb,
  pgTable,
  smallint,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";

import { conversations } from "./conversations";
import { users } from "./users";

/**
 * The durable log behind live delivery and exact resume. An event is addressed either to a
 * conversation (its current members receive it) or to one user.
 *
 * Ids come from `event_counter`, incremented as the last write of the producing transaction:
 * the row lock makes ids gap-free and committed in id order, so "every event after id N" is a
 * complete answer the moment N is visible.
 */
export const events = pgTable(
  "events",
  {
    id: bigint("id", { mode: "number" }).primaryKey(),
    conversationId: uuid("conversation_id").references(() => conversations.id, {
      onDelete: "cascade",
    }),
    userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    payload: jsonb("payload").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index("events_conversation_id_idx").on(table.conversationId, table.id),
    index("events_user_id_idx").on(table.userId, table.id),
    // The sweeper finds the logged copies of an expired message's content by its id.
    index("events_message_id_idx")
      .on(sql`(${table.payload}->'message'->>'id')`)
      .where(sql`${table.type} in ('message.created', 'message.edited')`),
    check(
      "events_one_audience",
      sql`(${table.conversationId} is null) <> (${table.userId} is null)`,
    ),
  ],
);

export const eventCounter = pgTable(
  "event_counter",
  {
    id: smallint("id").primaryKey().default(1),
    value: bigint("value", { mode: "number" }).notNull().default(0),
  },
  (table) => [check("event_counter_single_row", sql`${table.id} = 1`)],
);

export type EventRow = typeof events.$inferSelect;
