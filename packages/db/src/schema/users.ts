import { sql } from "drizzle-orm";
import { check, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/** Letters, digits, `_`, `.` and `-`; 3 to 32 characters. Mirrored by the API's zod input. */
export const usernamePattern = /^[A-Za-z0-9_.-]{3,32}$/;

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    username: text("username").notNull(),
    displayName: text("display_name").notNull(),
    passwordHash: text("password_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    // Usernames are unique regardless of case: "Alice" and "alice" are one account.
    uniqueIndex("users_username_lower_key").on(sql`lower(${table.username})`),
    check("users_username_format", sql`${table.username} ~ '^[A-Za-z0-9_.-]{3,32}$'`),
    check("users_display_name_length", sql`char_length(${table.displayName}) between 1 and 64`),
  ],
);

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
