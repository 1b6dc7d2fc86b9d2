import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

import { messageBodyMaxCharacters, reactionEmojiMaxCharacters } from "../limits";
import { conversations } from "./conversations";
import { users } from "./users";

export const messageKind = pgEnum("message_kind", [
  "text",
  "image",
  "file",
  "voice",
  "video",
  "system",
  "sticker",
]);

/** What an attachment holds, decided from its sniffed bytes (or the sticker pack), never its name. */
export const attachmentKind = pgEnum("attachment_kind", ["image", "file", "voice", "video", "sticker"]);

export const messages = pgTable(
  "messages",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    conversationId: uuid("conversation_id")
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    /** Gap-free, strictly increasing within the conversation; assigned in the insert's transaction. */
    seq: integer("seq").notNull(),
    senderId: uuid("sender_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Chosen by the sender's device; a retried send with the same id returns the first message. */
    clientId: uuid("client_id").notNull(),
    kind: messageKind("kind").notNull().default("text"),
    /** Null once the message is deleted: the row stays as a tombstone so seq keeps no gaps. */
    body: text("body"),
    replyToId: uuid("reply_to_id").references((): AnyPgColumn => messages.id, {
      onDelete: "set null",
    }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    editedAt: timestamp("edited_at", { withTimezone: true }),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
    /**
     * Disappearing messages: past this instant the message is gone for everyone and the sweeper
     * purges it. Set at send when the timer starts at send; when it starts at each read, set once
     * every recipient has read it (to the last of their expiries).
     */
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    /** Burn after reading: each recipient's copy expires this long after they read it. */
    expiresAfterReadSeconds: integer("expires_after_read_seconds"),
    /** A forwarded copy of another message. */
    forwarded: boolean("forwarded").notNull().default(false),
    /** Who wrote the original; null when they blocked the forwarder (or are gone). */
    forwardedFromUserId: uuid("forwarded_from_user_id").references(() => users.id, { onDelete: "set null" }),
  },
  (table) => [
    // Also the keyset index for history pages: WHERE conversation_id = $1 AND seq < $2 ORDER BY seq DESC.
    uniqueIndex("messages_conversation_seq_key").on(table.conversationId, table.seq),
    uniqueIndex("messages_sender_client_id_key").on(table.senderId, table.clientId),
    // Deleting a message (or, by cascade, a conversation or user) nulls reply_to_id in its replies:
    // without this index that is one scan of messages per deleted row.
    index("messages_reply_to_idx").on(table.replyToId).where(sql`${table.replyToId} is not null`),
    index("messages_expires_at_idx")
      .on(table.expiresAt)
      .where(sql`${table.expiresAt} is not null and ${table.deletedAt} is null`),
    // Search: words and prefixes, and the bigrams of Chinese, Japanese and Korean text (written
    // without spaces), through one tsvector (parley_search_vector, migration 0014); other substrings
    // (punctuation) through trigrams. Not partial: the planner reads an expression index's
    // statistics (how rare a word is) only from a full index, and a deleted body is null anyway.
    index("messages_body_search_idx").using("gin", sql`parley_search_vector(${table.body})`),
    index("messages_body_trigram_idx")
      .using("gin", table.body.op("gin_trgm_ops"))
      .where(sql`${table.deletedAt} is null`),
    // Search reads the newest matches first, one time window at a time: this index's bitmap for the
    // window, AND'ed with the words' or trigrams', keeps the rows read to the window's matches. (Not
    // partial: the planner does not AND two bitmaps whose indexes share a predicate.)
    index("messages_conversation_created_idx").on(table.conversationId, table.createdAt),
    check("messages_seq_positive", sql`${table.seq} > 0`),
    check("messages_expires_after_read_positive", sql`${table.expiresAfterReadSeconds} > 0`),
    check("messages_forwarded_from", sql`${table.forwarded} or ${table.forwardedFromUserId} is null`),
    check(
      "messages_body_present",
      sql`${table.deletedAt} is not null or ${table.body} is not null`,
    ),
    check("messages_body_length", sql`char_length(${table.body}) <= ${sql.raw(String(messageBodyMaxCharacters))}`),
  ],
);

/**
 * A file sent with a message. Created by `attachments.createUpload` (pending: no `ready_at`),
 * checked and processed once its bytes arrived (ready), then claimed by exactly one send
 * (`message_id`). Uploads never sent are swept after a day.
 */
export const attachments = pgTable(
  "attachments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** The only conversation it may be sent to. */
    conversationId: uuid("conversation_id")
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    /** Null between upload and the send that uses it. */
    messageId: uuid("message_id").references(() => messages.id, { onDelete: "cascade" }),
    /** Its place among the message's attachments, from 0. */
    position: integer("position").notNull().default(0),
    uploaderId: uuid("uploader_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: attachmentKind("kind").notNull().default("file"),
    /** The blob in the BlobStore; null for a sticker, whose art ships with the server. */
    storageKey: text("storage_key"),
    /** A small still (image thumbnail, video poster) in the BlobStore. */
    thumbnailKey: text("thumbnail_key"),
    stickerId: text("sticker_id"),
    fileName: text("file_name").notNull(),
    /** Declared by the uploader until the upload is checked; sniffed from the bytes after. */
    contentType: text("content_type").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    width: integer("width"),
    height: integer("height"),
    durationMs: integer("duration_ms"),
    /** Voice: loudness samples 0–255, oldest first. */
    waveform: jsonb("waveform").$type<number[]>(),
    /** A tiny placeholder of an image or poster (ThumbHash, base64). */
    thumbhash: text("thumbhash"),
    /** Set once the bytes were checked and processed; only then can it be sent. */
    readyAt: timestamp("ready_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("attachments_storage_key").on(table.storageKey),
    index("attachments_message_idx").on(table.messageId),
    // The sweeper's path: uploads never sent, oldest first.
    index("attachments_unsent_idx").on(table.createdAt).where(sql`${table.messageId} is null`),
    check("attachments_size_nonnegative", sql`${table.sizeBytes} >= 0`),
    check("attachments_blob_or_sticker", sql`(${table.storageKey} is null) = (${table.stickerId} is not null)`),
  ],
);

/**
 * Burn after reading: when each recipient's copy of a message expires, written when they read it.
 * Once every recipient has a row, the message's own `expires_at` is the last of them.
 */
export const messageExpiries = pgTable(
  "message_expiries",
  {
    messageId: uuid("message_id")
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (table) => [primaryKey({ name: "message_expiries_pkey", columns: [table.messageId, table.userId] })],
);

/** One row per user, message and emoji. */
export const reactions = pgTable(
  "reactions",
  {
    messageId: uuid("message_id")
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    emoji: text("emoji").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ name: "reactions_pkey", columns: [table.messageId, table.userId, table.emoji] }),
    check(
      "reactions_emoji_length",
      sql`char_length(${table.emoji}) between 1 and ${sql.raw(String(reactionEmojiMaxCharacters))}`,
    ),
  ],
);

export type Message = typeof messages.$inferSelect;
export type Attachment = typeof attachments.$inferSelect;
export type Reaction = typeof reactions.$inferSelect;
export type MessageExpiry = typeof messageExpiries.$inferSelect;
