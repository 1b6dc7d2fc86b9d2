import { randomBytes, randomUUID } from "node:crypto";

import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Database } from "./client";
import { usernamePattern } from "./limits";
import {
  attachments,
  blocks,
  callParticipants,
  calls,
  conversationMembers,
  conversationMutes,
  conversations,
  eventCounter,
  events,
  friendships,
  loginThrottles,
  messageExpiries,
  messages,
  notificationSettings,
  pushCursor,
  pushOutbox,
  pushShown,
  pushSubscriptions,
  pushVapidKeys,
  reactions,
  sessions,
  users,
} from "./schema/index";
import type { Conversation, Message, User } from "./schema/index";
import type { TestDatabase } from "./testing";
import { createMigratedDatabase, databaseErrorOf, onPostgres, selectRows } from "./testing";

const uniqueViolation = "23505";
const checkViolation = "23514";
const foreignKeyViolation = "23503";

// Every constraint that guards data and the SQLSTATE it raises. The catalogue test at the end
// compares this list with the database, so a constraint added without a test here fails the run.
const guardedConstraints = {
  users_username_lower_key: uniqueViolation,
  users_username_format: checkViolation,
  users_display_name_length: checkViolation,
  login_throttles_pkey: uniqueViolation,
  sessions_secret_hash_length: checkViolation,
  friendships_pkey: uniqueViolation,
  friendships_pair_key: uniqueViolation,
  friendships_not_self: checkViolation,
  friendships_accepted_at: checkViolation,
  blocks_pkey: uniqueViolation,
  blocks_not_self: checkViolation,
  conversations_direct_key: uniqueViolation,
  conversations_direct_key_iff_direct: checkViolation,
  conversations_group_title: checkViolation,
  conversations_last_seq_nonnegative: checkViolation,
  conversations_disappearing_timer: checkViolation,
  conversation_members_pkey: uniqueViolation,
  conversation_members_last_read_nonnegative: checkViolation,
  messages_conversation_seq_key: uniqueViolation,
  messages_sender_client_id_key: uniqueViolation,
  messages_seq_positive: checkViolation,
  messages_body_present: checkViolation,
  messages_body_length: checkViolation,
  messages_expires_after_read_positive: checkViolation,
  messages_forwarded_from: checkViolation,
  message_expiries_pkey: uniqueViolation,
  reactions_pkey: uniqueViolation,
  reactions_emoji_length: checkViolation,
  attachments_storage_key: uniqueViolation,
  attachments_size_nonnegative: checkViolation,
  attachments_blob_or_sticker: checkViolation,
  events_one_audience: checkViolation,
  event_counter_single_row: checkViolation,
  calls_one_live_per_conversation: uniqueViolation,
  calls_end_reason_iff_ended: checkViolation,
  calls_answered_unless_ringing: checkViolation,
  call_participants_pkey: uniqueViolation,
  call_participants_one_call_per_user: uniqueViolation,
  call_participants_joined_has_device: checkViolation,
  push_vapid_keys_single_row: checkViolation,
  push_subscriptions_endpoint_key: uniqueViolation,
  push_outbox_urgency: checkViolation,
  push_cursor_single_row: checkViolation,
  push_shown_pkey: uniqueViolation,
  conversation_mutes_pkey: uniqueViolation,
  notification_settings_pkey: uniqueViolation,
} as const;

type GuardedConstraint = keyof typeof guardedConstraints;

// One migrated database for the file; every test creates its own users, conversations and
// messages (random names and ids), so no test sees another's rows.
let database: TestDatabase;
let db: Database;

beforeAll(async () => {
  database = await createMigratedDatabase();
  db = database.db;
});

afterAll(async () => {
  await database?.dispose();
});

/** Asserts that the query fails on exactly this constraint, with the SQLSTATE it must raise. */
async function expectViolation(query: PromiseLike<unknown>, constraint: GuardedConstraint): Promise<void> {
  const error = await databaseErrorOf(query);
  expect({ code: error.code, constraint: error.constraint }).toEqual({
    code: guardedConstraints[constraint],
    constraint,
  });
}

function randomName(prefix = "u"): string {
  return `${prefix}_${randomBytes(5).toString("hex")}`;
}

async function createUser(overrides: Partial<typeof users.$inferInsert> = {}): Promise<User> {
  const [user] = await db
    .insert(users)
    .values({ username: randomName(), displayName: "Test", passwordHash: "not-a-hash", ...overrides })
    .returning();
  if (!user) throw new Error("insert returned no user");
  return user;
}

async function createGroup(
  overrides: Partial<typeof conversations.$inferInsert> = {},
): Promise<Conversation> {
  const [conversation] = await db
    .insert(conversations)
    .values({ kind: "group", title: "Test group", ...overrides })
    .returning();
  if (!conversation) throw new Error("insert returned no conversation");
  return conversation;
}

function directKeyOf(first: User, second: User): string {
  return [first.id, second.id].sort().join(":");
}

async function createMessage(
  values: Pick<typeof messages.$inferInsert, "conversationId" | "senderId" | "seq"> &
    Partial<typeof messages.$inferInsert>,
): Promise<Message> {
  const [message] = await db
    .insert(messages)
    .values({ clientId: randomUUID(), body: "hello", ...values })
    .returning();
  if (!message) throw new Error("insert returned no message");
  return message;
}

/** A group with one member and one message in it: the scaffolding most message tests need. */
async function createConversationWithMessage(): Promise<{
  sender: User;
  conversation: Conversation;
  message: Message;
}> {
  const sender = await createUser();
  const conversation = await createGroup({ creatorId: sender.id });
  const message = await createMessage({ conversationId: conversation.id, senderId: sender.id, seq: 1 });
  return { sender, conversation, message };
}

describe("users", () => {
  it("treats usernames that differ only in case as the same username", async () => {
    const name = randomName("Alice");
    await createUser({ username: name });
    await expectViolation(createUser({ username: name.toLowerCase() }), "users_username_lower_key");
    await expectViolation(createUser({ username: name.toUpperCase() }), "users_username_lower_key");
  });

  it.each([
    ["2 characters", "ab"],
    ["33 characters", "a".repeat(33)],
    ["a space", "has space"],
    ["an @", "alice@home"],
    ["an emoji", "smile😀"],
    ["a non-ASCII letter", "zoë_123"],
    ["a trailing newline", "alice\n"],
  ])("rejects a username with %s", async (_label, username) => {
    expect(usernamePattern.test(username)).toBe(false);
    await expectViolation(createUser({ username }), "users_username_format");
  });

  it.each([
    ["3 characters", () => `${randomBytes(1).toString("hex")}-`],
    ["32 characters with _ . -", () => `a_b.c-${randomBytes(13).toString("hex")}`],
  ])("accepts a username of %s", async (_label, makeName) => {
    const username = makeName();
    expect(usernamePattern.test(username)).toBe(true);
    const user = await createUser({ username });
    expect(user.username).toBe(username);
  });

  it("requires a display name of 1 to 64 characters, counted as characters rather than bytes", async () => {
    await expectViolation(createUser({ displayName: "" }), "users_display_name_length");
    await expectViolation(createUser({ displayName: "x".repeat(65) }), "users_display_name_length");
    expect((await createUser({ displayName: "x" })).displayName).toBe("x");
    expect((await createUser({ displayName: "é".repeat(64) })).displayName).toBe("é".repeat(64));
  });
});

describe("sessions and login throttles", () => {
  const sessionFor = (userId: string, secretHash: Uint8Array) =>
    db
      .insert(sessions)
      .values({ id: randomName("s"), userId, secretHash, expiresAt: new Date(Date.now() + 86_400_000) });

  it("stores only a 32-byte secret hash", async () => {
    const user = await createUser();
    await expectViolation(sessionFor(user.id, new Uint8Array(31)), "sessions_secret_hash_length");
    await expectViolation(sessionFor(user.id, new Uint8Array(33)), "sessions_secret_hash_length");
    await sessionFor(user.id, new Uint8Array(32));
    expect(await db.$count(sessions, eq(sessions.userId, user.id))).toBe(1);
  });

  it("belongs to an existing user and disappears with them", async () => {
    const error = await databaseErrorOf(sessionFor(randomUUID(), new Uint8Array(32)));
    expect(error).toMatchObject({ code: foreignKeyViolation, constraint: "sessions_user_id_users_id_fk" });

    const user = await createUser();
    await sessionFor(user.id, new Uint8Array(32));
    await sessionFor(user.id, new Uint8Array(32));
    await db.delete(users).where(eq(users.id, user.id));
    expect(await db.$count(sessions, eq(sessions.userId, user.id))).toBe(0);
  });

  it("keeps one throttle row per key", async () => {
    const key = randomName("addr");
    await db.insert(loginThrottles).values({ key, failures: 1 });
    await expectViolation(db.insert(loginThrottles).values({ key, failures: 2 }), "login_throttles_pkey");
  });
});

describe("friendships", () => {
  it("allows one relation per pair of users, whichever way it was requested", async () => {
    const alice = await createUser();
    const bob = await createUser();
    await db.insert(friendships).values({ requesterId: alice.id, addresseeId: bob.id });

    await expectViolation(
      db.insert(friendships).values({ requesterId: bob.id, addresseeId: alice.id }),
      "friendships_pair_key",
    );
    const repeated = await databaseErrorOf(
      db.insert(friendships).values({ requesterId: alice.id, addresseeId: bob.id }),
    );
    expect(repeated.code).toBe(uniqueViolation);
    expect(["friendships_pkey", "friendships_pair_key"]).toContain(repeated.constraint);
  });

  it("lets each user have relations with other users", async () => {
    const alice = await createUser();
    const bob = await createUser();
    const carol = await createUser();
    await db.insert(friendships).values([
      { requesterId: alice.id, addresseeId: bob.id },
      { requesterId: carol.id, addresseeId: alice.id },
      { requesterId: bob.id, addresseeId: carol.id },
    ]);
    expect(await db.$count(friendships, eq(friendships.requesterId, alice.id))).toBe(1);
  });

  it("rejects a request to oneself", async () => {
    const alice = await createUser();
    await expectViolation(
      db.insert(friendships).values({ requesterId: alice.id, addresseeId: alice.id }),
      "friendships_not_self",
    );
  });

  it("has accepted_at exactly when the friendship is accepted", async () => {
    const alice = await createUser();
    const bob = await createUser();
    await expectViolation(
      db.insert(friendships).values({ requesterId: alice.id, addresseeId: bob.id, status: "accepted" }),
      "friendships_accepted_at",
    );
    await expectViolation(
      db.insert(friendships).values({ requesterId: alice.id, addresseeId: bob.id, acceptedAt: new Date() }),
      "friendships_accepted_at",
    );

    await db.insert(friendships).values({ requesterId: alice.id, addresseeId: bob.id });
    const pendingPair = eq(friendships.requesterId, alice.id);
    await expectViolation(
      db.update(friendships).set({ status: "accepted" }).where(pendingPair),
      "friendships_accepted_at",
    );
    await db.update(friendships).set({ status: "accepted", acceptedAt: new Date() }).where(pendingPair);
    const [accepted] = await db.select().from(friendships).where(pendingPair);
    expect(accepted?.status).toBe("accepted");
  });
});

describe("blocks", () => {
  it("rejects blocking oneself", async () => {
    const alice = await createUser();
    await expectViolation(
      db.insert(blocks).values({ blockerId: alice.id, blockedId: alice.id }),
      "blocks_not_self",
    );
  });

  it("keeps one block per blocker and blocked user, and allows blocks in both directions", async () => {
    const alice = await createUser();
    const bob = await createUser();
    await db.insert(blocks).values({ blockerId: alice.id, blockedId: bob.id });
    await expectViolation(
      db.insert(blocks).values({ blockerId: alice.id, blockedId: bob.id }),
      "blocks_pkey",
    );

    await db.insert(blocks).values({ blockerId: bob.id, blockedId: alice.id });
    expect(await db.$count(blocks, eq(blocks.blockedId, alice.id))).toBe(1);
    expect(await db.$count(blocks, eq(blocks.blockedId, bob.id))).toBe(1);
  });
});

describe("conversations", () => {
  it("allows one direct conversation per pair of users", async () => {
    const alice = await createUser();
    const bob = await createUser();
    const directKey = directKeyOf(alice, bob);
    await db.insert(conversations).values({ kind: "direct", directKey });
    await expectViolation(
      db.insert(conversations).values({ kind: "direct", directKey }),
      "conversations_direct_key",
    );

    const carol = await createUser();
    await db.insert(conversations).values({ kind: "direct", directKey: directKeyOf(alice, carol) });
  });

  it("has a direct_key exactly when the conversation is direct", async () => {
    const alice = await createUser();
    const bob = await createUser();
    await expectViolation(
      db.insert(conversations).values({ kind: "direct" }),
      "conversations_direct_key_iff_direct",
    );
    await expectViolation(
      createGroup({ directKey: directKeyOf(alice, bob) }),
      "conversations_direct_key_iff_direct",
    );
  });

  it("requires a group title of 1 to 100 characters", async () => {
    await expectViolation(createGroup({ title: null }), "conversations_group_title");
    await expectViolation(createGroup({ title: "" }), "conversations_group_title");
    await expectViolation(createGroup({ title: "t".repeat(101) }), "conversations_group_title");
    expect((await createGroup({ title: "t" })).title).toBe("t");
    expect((await createGroup({ title: "t".repeat(100) })).title).toBe("t".repeat(100));
  });

  it("never lets last_seq go below zero", async () => {
    await expectViolation(createGroup({ lastSeq: -1 }), "conversations_last_seq_nonnegative");
    await expectViolation(createGroup({ disappearingSeconds: 31 }), "conversations_disappearing_timer");
    expect((await createGroup({ disappearingSeconds: 300, disappearingStartsAt: "read" })).disappearingSeconds).toBe(300);
    expect((await createGroup()).lastSeq).toBe(0);
  });
});

describe("conversation members", () => {
  it("keeps one row per conversation and user", async () => {
    const alice = await createUser();
    const group = await createGroup();
    await db
      .insert(conversationMembers)
      .values({ conversationId: group.id, userId: alice.id, role: "owner" });
    await expectViolation(
      db.insert(conversationMembers).values({ conversationId: group.id, userId: alice.id }),
      "conversation_members_pkey",
    );
  });

  it("never lets last_read_seq go below zero", async () => {
    const alice = await createUser();
    const group = await createGroup();
    await expectViolation(
      db.insert(conversationMembers).values({ conversationId: group.id, userId: alice.id, lastReadSeq: -1 }),
      "conversation_members_last_read_nonnegative",
    );
  });

  it("only joins an existing conversation", async () => {
    const alice = await createUser();
    const error = await databaseErrorOf(
      db.insert(conversationMembers).values({ conversationId: randomUUID(), userId: alice.id }),
    );
    expect(error).toMatchObject({
      code: foreignKeyViolation,
      constraint: "conversation_members_conversation_id_conversations_id_fk",
    });
  });
});

describe("messages", () => {
  it("gives each seq to one message per conversation", async () => {
    const { sender, conversation } = await createConversationWithMessage();
    await expectViolation(
      createMessage({ conversationId: conversation.id, senderId: sender.id, seq: 1 }),
      "messages_conversation_seq_key",
    );

    const other = await createGroup();
    const sameSeqElsewhere = await createMessage({ conversationId: other.id, senderId: sender.id, seq: 1 });
    expect(sameSeqElsewhere.seq).toBe(1);
  });

  it("keeps one message per sender and client id, while another sender may reuse the client id", async () => {
    const { sender, conversation, message } = await createConversationWithMessage();
    await expectViolation(
      createMessage({
        conversationId: conversation.id,
        senderId: sender.id,
        seq: 2,
        clientId: message.clientId,
      }),
      "messages_sender_client_id_key",
    );

    const otherSender = await createUser();
    const reused = await createMessage({
      conversationId: conversation.id,
      senderId: otherSender.id,
      seq: 2,
      clientId: message.clientId,
    });
    expect(reused.clientId).toBe(message.clientId);
  });

  it("numbers messages from 1", async () => {
    const sender = await createUser();
    const group = await createGroup();
    await expectViolation(
      createMessage({ conversationId: group.id, senderId: sender.id, seq: 0 }),
      "messages_seq_positive",
    );
    await expectViolation(
      createMessage({ conversationId: group.id, senderId: sender.id, seq: -5 }),
      "messages_seq_positive",
    );
  });

  it("requires a body unless the message is deleted", async () => {
    const sender = await createUser();
    const group = await createGroup();
    await expectViolation(
      createMessage({ conversationId: group.id, senderId: sender.id, seq: 1, body: null }),
      "messages_body_present",
    );
    const tombstone = await createMessage({
      conversationId: group.id,
      senderId: sender.id,
      seq: 1,
      body: null,
      deletedAt: new Date(),
    });
    expect(tombstone.body).toBeNull();

    await expectViolation(
      db.update(messages).set({ deletedAt: null }).where(eq(messages.id, tombstone.id)),
      "messages_body_present",
    );
  });

  it("limits the body to 4000 characters", async () => {
    const sender = await createUser();
    const group = await createGroup();
    await expectViolation(
      createMessage({ conversationId: group.id, senderId: sender.id, seq: 1, body: "b".repeat(4001) }),
      "messages_body_length",
    );
    const longest = await createMessage({
      conversationId: group.id,
      senderId: sender.id,
      seq: 1,
      body: "😀".repeat(4000),
    });
    expect(longest.body).toHaveLength(8000);
  });

  it("takes a burn-after-reading timer only when positive, and an original author only when forwarded", async () => {
    const sender = await createUser();
    const group = await createGroup();
    await expectViolation(
      createMessage({ conversationId: group.id, senderId: sender.id, seq: 1, expiresAfterReadSeconds: 0 }),
      "messages_expires_after_read_positive",
    );
    await expectViolation(
      createMessage({ conversationId: group.id, senderId: sender.id, seq: 1, forwardedFromUserId: sender.id }),
      "messages_forwarded_from",
    );
    const copy = await createMessage({ conversationId: group.id, senderId: sender.id, seq: 1, forwarded: true, forwardedFromUserId: sender.id });
    expect(copy.forwarded).toBe(true);
  });

  it("keeps one burn-after-reading expiry per message and reader", async () => {
    const { sender, message } = await createConversationWithMessage();
    const expiresAt = new Date();
    await db.insert(messageExpiries).values({ messageId: message.id, userId: sender.id, expiresAt });
    await expectViolation(db.insert(messageExpiries).values({ messageId: message.id, userId: sender.id, expiresAt }), "message_expiries_pkey");
  });

  it("belongs to an existing conversation and disappears with it", async () => {
    const sender = await createUser();
    const error = await databaseErrorOf(
      createMessage({ conversationId: randomUUID(), senderId: sender.id, seq: 1 }),
    );
    expect(error).toMatchObject({
      code: foreignKeyViolation,
      constraint: "messages_conversation_id_conversations_id_fk",
    });

    const { conversation } = await createConversationWithMessage();
    await db.delete(conversations).where(eq(conversations.id, conversation.id));
    expect(await db.$count(messages, eq(messages.conversationId, conversation.id))).toBe(0);
  });

  it("keeps a reply when the message it replied to is removed", async () => {
    const { sender, conversation, message } = await createConversationWithMessage();
    const reply = await createMessage({
      conversationId: conversation.id,
      senderId: sender.id,
      seq: 2,
      replyToId: message.id,
    });
    expect(reply.replyToId).toBe(message.id);

    await db.delete(messages).where(eq(messages.id, message.id));
    const [kept] = await db.select().from(messages).where(eq(messages.id, reply.id));
    expect(kept?.replyToId).toBeNull();
  });
});

describe("reactions", () => {
  it("allows one reaction per message, user and emoji, and different emoji side by side", async () => {
    const { sender, message } = await createConversationWithMessage();
    await db.insert(reactions).values({ messageId: message.id, userId: sender.id, emoji: "👍" });
    await expectViolation(
      db.insert(reactions).values({ messageId: message.id, userId: sender.id, emoji: "👍" }),
      "reactions_pkey",
    );
    await db.insert(reactions).values({ messageId: message.id, userId: sender.id, emoji: "🎉" });
    expect(await db.$count(reactions, eq(reactions.messageId, message.id))).toBe(2);
  });

  it("requires an emoji of 1 to 32 characters", async () => {
    const { sender, message } = await createConversationWithMessage();
    await expectViolation(
      db.insert(reactions).values({ messageId: message.id, userId: sender.id, emoji: "" }),
      "reactions_emoji_length",
    );
    await expectViolation(
      db.insert(reactions).values({ messageId: message.id, userId: sender.id, emoji: "x".repeat(33) }),
      "reactions_emoji_length",
    );
    // A family emoji is several code points joined into one glyph.
    await db.insert(reactions).values({ messageId: message.id, userId: sender.id, emoji: "👨‍👩‍👧‍👦" });
  });
});

describe("attachments", () => {
  const attachmentFor = async (uploaderId: string, values: Partial<typeof attachments.$inferInsert> = {}) =>
    db.insert(attachments).values({
      uploaderId,
      conversationId: (await createGroup()).id,
      storageKey: randomName("blob"),
      fileName: "photo.jpg",
      contentType: "image/jpeg",
      sizeBytes: 1024,
      ...values,
    });

  it("stores each blob under its own storage key", async () => {
    const uploader = await createUser();
    const storageKey = randomName("blob");
    await attachmentFor(uploader.id, { storageKey });
    await expectViolation(attachmentFor(uploader.id, { storageKey }), "attachments_storage_key");
  });

  it("never has a negative size", async () => {
    const uploader = await createUser();
    await expectViolation(attachmentFor(uploader.id, { sizeBytes: -1 }), "attachments_size_nonnegative");
    await attachmentFor(uploader.id, { sizeBytes: 0 });
    expect(await db.$count(attachments, eq(attachments.uploaderId, uploader.id))).toBe(1);
  });

  it("has a blob in storage or is a sticker from the pack, never both or neither", async () => {
    const uploader = await createUser();
    await expectViolation(attachmentFor(uploader.id, { stickerId: "wave" }), "attachments_blob_or_sticker");
    await expectViolation(attachmentFor(uploader.id, { storageKey: null }), "attachments_blob_or_sticker");
    await attachmentFor(uploader.id, { storageKey: null, stickerId: "wave", kind: "sticker" });
    expect(await db.$count(attachments, eq(attachments.uploaderId, uploader.id))).toBe(1);
  });
});

describe("events", () => {
  // Event ids normally come from event_counter; these tests only need distinct ones.
  const eventId = () => Number.parseInt(randomBytes(6).toString("hex"), 16);

  it("is addressed to exactly one audience: a conversation or a user", async () => {
    const alice = await createUser();
    const group = await createGroup();
    const event = { type: "test", payload: { ok: true } };
    await expectViolation(db.insert(events).values({ id: eventId(), ...event }), "events_one_audience");
    await expectViolation(
      db.insert(events).values({ id: eventId(), conversationId: group.id, userId: alice.id, ...event }),
      "events_one_audience",
    );
    await db.insert(events).values({ id: eventId(), conversationId: group.id, ...event });
    await db.insert(events).values({ id: eventId(), userId: alice.id, ...event });
    expect(await db.$count(events, eq(events.userId, alice.id))).toBe(1);
  });

  it("keeps the event counter to a single row", async () => {
    await expectViolation(db.insert(eventCounter).values({ id: 2 }), "event_counter_single_row");
  });
});

describe("calls", () => {
  async function createCall(overrides: Partial<typeof calls.$inferInsert> = {}) {
    const caller = await createUser();
    const conversation = await createGroup({ creatorId: caller.id });
    const now = new Date();
    const values = { id: randomUUID(), conversationId: conversation.id, initiatorId: caller.id, media: "audio" as const, createdAt: now, ringDeadline: now };
    const [call] = await db.insert(calls).values({ ...values, ...overrides }).returning();
    if (!call) throw new Error("insert returned no call");
    return { call, caller, conversation, values };
  }

  it("keeps one live call per conversation, and any number of ended ones", async () => {
    const { values } = await createCall();
    await expectViolation(db.insert(calls).values({ ...values, id: randomUUID() }), "calls_one_live_per_conversation");
    const ended = { ...values, state: "ended" as const, endReason: "hangup" as const, endedAt: new Date() };
    await db.insert(calls).values([{ ...ended, id: randomUUID() }, { ...ended, id: randomUUID() }]);
  });

  it("has an end reason and time exactly when ended, and an answer time once active", async () => {
    const caller = await createUser();
    const conversation = await createGroup({ creatorId: caller.id });
    const now = new Date();
    const base = { conversationId: conversation.id, initiatorId: caller.id, media: "video" as const, createdAt: now, ringDeadline: now };
    await expectViolation(db.insert(calls).values({ ...base, id: randomUUID(), state: "ended" }), "calls_end_reason_iff_ended");
    await expectViolation(db.insert(calls).values({ ...base, id: randomUUID(), endReason: "timeout", endedAt: now }), "calls_end_reason_iff_ended");
    await expectViolation(db.insert(calls).values({ ...base, id: randomUUID(), state: "active" }), "calls_answered_unless_ringing");
  });

  it("lists a user once per call, in one joined call at a time, always with a device", async () => {
    const { call, caller } = await createCall();
    const joined = { callId: call.id, userId: caller.id, state: "joined" as const, sessionId: "device-1", joinedAt: new Date() };
    await db.insert(callParticipants).values(joined);
    await expectViolation(db.insert(callParticipants).values({ ...joined, state: "invited" }), "call_participants_pkey");
    const other = await createCall();
    await expectViolation(db.insert(callParticipants).values({ ...joined, callId: other.call.id }), "call_participants_one_call_per_user");
    await expectViolation(
      db.insert(callParticipants).values({ callId: other.call.id, userId: other.caller.id, state: "joined", joinedAt: new Date() }),
      "call_participants_joined_has_device",
    );
  });
});

describe("push notifications and mutes", () => {
  async function subscriptionFor(userId: string, endpoint = `https://push.example/${randomUUID()}`) {
    const sessionId = randomName("s");
    await db.insert(sessions).values({ id: sessionId, userId, secretHash: new Uint8Array(32), expiresAt: new Date(Date.now() + 86_400_000) });
    const [subscription] = await db.insert(pushSubscriptions).values({ sessionId, userId, endpoint, p256dh: "key", auth: "auth" }).returning();
    if (!subscription) throw new Error("insert returned no subscription");
    return subscription;
  }

  it("keeps one VAPID key pair and one planner cursor", async () => {
    await expectViolation(db.insert(pushVapidKeys).values({ id: 2, publicKey: "p", privateKey: "k" }), "push_vapid_keys_single_row");
    await expectViolation(db.insert(pushCursor).values({ id: 2, lastEventId: 0 }), "push_cursor_single_row");
  });

  it("takes each push endpoint once, whoever subscribes it", async () => {
    const endpoint = `https://push.example/${randomUUID()}`;
    await subscriptionFor((await createUser()).id, endpoint);
    await expectViolation(subscriptionFor((await createUser()).id, endpoint), "push_subscriptions_endpoint_key");
  });

  it("queues a push only with an urgency push services know", async () => {
    const user = await createUser();
    const subscription = await subscriptionFor(user.id);
    const push = { subscriptionId: subscription.id, userId: user.id, payload: {}, ttlSeconds: 60 };
    await expectViolation(db.insert(pushOutbox).values({ ...push, urgency: "urgent" }), "push_outbox_urgency");
    await db.insert(pushOutbox).values({ ...push, urgency: "high" });
  });

  it("remembers one shown notification, one mute and one settings row per user and conversation", async () => {
    const user = await createUser();
    const group = await createGroup();
    await db.insert(pushShown).values({ userId: user.id, conversationId: group.id, seq: 1 });
    await expectViolation(db.insert(pushShown).values({ userId: user.id, conversationId: group.id, seq: 2 }), "push_shown_pkey");
    await db.insert(conversationMutes).values({ userId: user.id, conversationId: group.id, mutedUntil: null });
    await expectViolation(db.insert(conversationMutes).values({ userId: user.id, conversationId: group.id, mutedUntil: new Date() }), "conversation_mutes_pkey");
    await db.insert(notificationSettings).values({ userId: user.id, previews: true });
    await expectViolation(db.insert(notificationSettings).values({ userId: user.id, previews: false }), "notification_settings_pkey");
  });
});

describe("the constraint catalogue", () => {
  // Surrogate `id` primary keys are left out: nothing a user does can collide on them.
  it("lists every check, unique index and natural key the database enforces", async () => {
    const rows = await selectRows<{ name: string }>(
      db,
      sql`select c.conname as name from pg_constraint c
            join pg_namespace n on n.oid = c.connamespace
          where n.nspname = 'public'
            and (c.contype in ('c', 'u')
                 or (c.contype = 'p' and pg_get_constraintdef(c.oid) <> 'PRIMARY KEY (id)'))
          union
          select i.relname from pg_index x
            join pg_class i on i.oid = x.indexrelid
            join pg_namespace n on n.oid = i.relnamespace
          where n.nspname = 'public' and x.indisunique and not x.indisprimary
          order by name`,
    );
    expect(rows.map((row) => row.name)).toEqual(Object.keys(guardedConstraints).sort());
  });
});

describe("indexes for the access paths", () => {
  async function indexDefinition(name: string): Promise<string | undefined> {
    const rows = await selectRows<{ indexdef: string }>(
      db,
      sql`select indexdef from pg_indexes where schemaname = 'public' and indexname = ${name}`,
    );
    return rows[0]?.indexdef;
  }

  it.each([
    ["messages_conversation_seq_key", /^CREATE UNIQUE INDEX .* USING btree \(conversation_id, seq\)$/],
    ["messages_sender_client_id_key", /^CREATE UNIQUE INDEX .* \(sender_id, client_id\)$/],
    ["messages_reply_to_idx", /ON public\.messages .*\(reply_to_id\) WHERE \(reply_to_id IS NOT NULL\)$/],
    ["conversation_members_user_idx", /ON public\.conversation_members .*\(user_id, conversation_id\)$/],
    ["events_conversation_id_idx", /ON public\.events USING btree \(conversation_id, id\)$/],
    ["events_user_id_idx", /ON public\.events USING btree \(user_id, id\)$/],
    ["sessions_user_id_idx", /ON public\.sessions USING btree \(user_id\)$/],
    ["friendships_addressee_idx", /ON public\.friendships USING btree \(addressee_id\)$/],
    ["blocks_blocked_idx", /ON public\.blocks USING btree \(blocked_id\)$/],
    ["attachments_message_idx", /ON public\.attachments USING btree \(message_id\)$/],
    ["messages_expires_at_idx", /ON public\.messages USING btree \(expires_at\) WHERE/],
    ["messages_body_search_idx", /ON public\.messages USING gin \(parley_search_vector\(body\)\)$/],
    ["users_username_prefix_idx", /ON public\.users USING btree \(lower\(username\) text_pattern_ops\)$/],
    ["users_display_name_trigram_idx", /ON public\.users USING gin \(display_name gin_trgm_ops\)$/],
    ["messages_conversation_created_idx", /ON public\.messages USING btree \(conversation_id, created_at\)$/],
    ["messages_body_trigram_idx", /ON public\.messages USING gin \(body gin_trgm_ops\) WHERE \(deleted_at IS NULL\)$/],
    ["events_message_id_idx", /ON public\.events USING btree \(\(\(\(payload -> 'message'::text\) ->> 'id'::text\)\)\) WHERE/],
  ])("has %s", async (name, definition) => {
    expect(await indexDefinition(name)).toMatch(definition);
  });

  it.runIf(onPostgres)("reads a page of history with an index scan, not a sequential scan", async () => {
    // A few thousand messages spread over twenty conversations, so the planner has real statistics.
    const sender = await createUser();
    const batch = randomName("history");
    const groups: Conversation[] = [];
    for (let index = 0; index < 20; index += 1) groups.push(await createGroup({ title: batch }));
    await db.execute(sql`
      insert into messages (conversation_id, seq, sender_id, client_id, body)
      select c.id, s.seq, ${sender.id}, gen_random_uuid(), 'message ' || s.seq
      from conversations c cross join generate_series(1, 250) as s(seq)
      where c.title = ${batch}`);
    await db.execute(sql`analyze messages`);
    const target = groups[10] as Conversation;

    const plan = await selectRows<{ "QUERY PLAN": string }>(
      db,
      sql`explain select * from messages where conversation_id = ${target.id} and seq < ${200}
          order by seq desc limit 50`,
    );
    const planText = plan.map((row) => row["QUERY PLAN"]).join("\n");
    expect(planText).toMatch(/Index Scan( Backward)? using messages_conversation_seq_key on messages/);
    expect(planText).not.toMatch(/Seq Scan/);
  });

  it.runIf(onPostgres)("finds the replies to a removed message with an index scan", async () => {
    // What the reply_to_id foreign key runs for every message deleted, cascades included.
    const { sender, conversation, message } = await createConversationWithMessage();
    await db.execute(sql`
      insert into messages (conversation_id, seq, sender_id, client_id, body, reply_to_id)
      select ${conversation.id}, s.seq, ${sender.id}, gen_random_uuid(), 'message ' || s.seq,
             case when s.seq % 10 = 0 then ${message.id}::uuid end
      from generate_series(2, 3000) as s(seq)`);
    await db.execute(sql`analyze messages`);

    const plan = await selectRows<{ "QUERY PLAN": string }>(
      db,
      sql`explain update messages set reply_to_id = null where reply_to_id = ${message.id}`,
    );
    const planText = plan.map((row) => row["QUERY PLAN"]).join("\n");
    expect(planText).toMatch(/(Index|Bitmap Index) Scan (using|on) messages_reply_to_idx/);
    expect(planText).not.toMatch(/Seq Scan/);
  });
});
