import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

import { displayNameMaxCharacters, usernamePattern } from "../limits";

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    username: text("username").notNull(),
    displayName: text("display_name").notNull(),
    passwordHash: text("password_hash").notNull(),
    /** The profile picture's blob in the BlobStore (a square WebP); null without one. */
    avatarKey: text("avatar_key"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    // Usernames are unique regardless of case: "Alice" and "alice" are one account.
    uniqueIndex("users_username_lower_key").on(sql`lower(${table.username})`),
    // People search (users.search): a username prefix, in byte order so LIKE 'ali%' is a range scan,
    // and a display-name substring through trigrams (three characters or more).
    index("users_username_prefix_idx").using("btree", sql`lower(${table.username}) text_pattern_ops`),
    index("users_display_name_trigram_idx").using("gin", table.displayName.op("gin_trgm_ops")),
    check("users_username_format", sql`${table.username} ~ '${sql.raw(usernamePattern.source)}'`),
    check(
      "users_display_name_length",
      sql`char_length(${table.displayName}) between 1 and ${sql.raw(String(displayNameMaxCharacters))}`,
    ),
  ],
);

/**
 * A profile picture on its way: created by `users.createAvatarUpload`, its bytes in the BlobStore
 * under `uploads/<id>`, consumed by `users.setAvatar`; swept after a day like unsent attachments.
 */
export const avatarUploads = pgTable(
  "avatar_uploads",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    contentType: text("content_type").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("avatar_uploads_created_at_idx").on(table.createdAt)],
);

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
