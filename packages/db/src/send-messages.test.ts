import { randomUUID } from "node:crypto";

import { asc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Database } from "./client";
import { blocks, conversationMembers, conversations, eventCounter, events, friendships, messages, users } from "./schema/index";
import type { TestDatabase } from "./testing";
import { createMigratedDatabase, selectRows } from "./testing";

// parley_send_messages (migration 0002): the whole send path in one statement.

let database: TestDatabase;
let db: Database;

beforeAll(async () => {
  database = await createMigratedDatabase();
  db = database.db;
});

afterAll(async () => {
  await database?.dispose();
});

interface Send {
  conversationId: string;
  senderId: string;
  clientId?: string;
  body?: string;
  replyToId?: string | null;
}

interface Outcome {
  item_position: number;
  item_outcome: string;
  item_message: { id: string; seq: number; body: string; clientId: string; conversationId: string } | null;
  item_event_id: number | string | null;
}

async function sendBatch(sends: Send[]): Promise<Outcome[]> {
  const batch = sends.map((send) => ({
    conversationId: send.conversationId,
    senderId: send.senderId,
    clientId: send.clientId ?? randomUUID(),
    body: send.body ?? "hello",
    replyToId: send.replyToId ?? null,
  }));
  return selectRows<Outcome>(db, sql`select * from parley_send_messages(${JSON.stringify(batch)}::jsonb, now())`);
}

async function createUser(): Promise<string> {
  const [row] = await db
    .insert(users)
    .values({ username: `u_${randomUUID().replaceAll("-", "").slice(0, 20)}`, displayName: "U", passwordHash: "x" })
    .returning({ id: users.id });
  if (!row) throw new Error("no user");
  return row.id;
}

async function createGroup(memberIds: string[]): Promise<string> {
  const [row] = await db.insert(conversations).values({ kind: "group", title: "g" }).returning({ id: conversations.id });
  if (!row) throw new Error("no conversation");
  await db.insert(conversationMembers).values(memberIds.map((userId) => ({ conversationId: row.id, userId })));
  return row.id;
}

async function createDirect(first: string, second: string, relation: "friends" | "strangers"): Promise<string> {
  const directKey = first < second ? `${first}:${second}` : `${second}:${first}`;
  const [row] = await db.insert(conversations).values({ kind: "direct", directKey }).returning({ id: conversations.id });
  if (!row) throw new Error("no conversation");
  await db.insert(conversationMembers).values([
    { conversationId: row.id, userId: first },
    { conversationId: row.id, userId: second },
  ]);
  if (relation === "friends") {
    await db.insert(friendships).values({ requesterId: first, addresseeId: second, status: "accepted", acceptedAt: new Date() });
  }
  return row.id;
}

async function counterValue(): Promise<number> {
  const [row] = await db.select({ value: eventCounter.value }).from(eventCounter);
  return Number(row?.value ?? 0);
}

describe("parley_send_messages", () => {
  it("stores a batch with gap-free seqs, consecutive event ids and one counter bump", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const group = await createGroup([alice, bob]);
    const before = await counterValue();
    const outcomes = await sendBatch(
      Array.from({ length: 5 }, (_, index) => ({ conversationId: group, senderId: index % 2 ? bob : alice, body: `m${index}` })),
    );
    expect(outcomes.map((row) => row.item_outcome)).toEqual(Array(5).fill("created"));
    expect(outcomes.map((row) => row.item_message?.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(outcomes.map((row) => Number(row.item_event_id))).toEqual([1, 2, 3, 4, 5].map((offset) => before + offset));
    expect(await counterValue()).toBe(before + 5);

    const stored = await db.select().from(messages).where(eq(messages.conversationId, group)).orderBy(asc(messages.seq));
    expect(stored.map((row) => row.body)).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    const [conversation] = await db.select().from(conversations).where(eq(conversations.id, group));
    expect(conversation?.lastSeq).toBe(5);
    const logged = await db.select().from(events).where(eq(events.conversationId, group)).orderBy(asc(events.id));
    expect(logged.map((row) => (row.payload as { message: { seq: number } }).message.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(logged[0]?.payload).toMatchObject({ type: "message.created", conversationId: group, message: outcomes[0]?.item_message });
  });

  it("fails a send that breaks a rule alone; the rest of its batch commits", async () => {
    const [alice, bob, stranger] = [await createUser(), await createUser(), await createUser()];
    const group = await createGroup([alice, bob]);
    const otherGroup = await createGroup([bob]);
    const [first] = await sendBatch([{ conversationId: group, senderId: alice }]);
    const foreignReply = (await sendBatch([{ conversationId: otherGroup, senderId: bob }]))[0]?.item_message?.id;
    const repeated = randomUUID();

    const outcomes = await sendBatch([
      { conversationId: group, senderId: alice, body: "kept 1" },
      { conversationId: group, senderId: stranger, body: "not a member" },
      { conversationId: group, senderId: bob, replyToId: foreignReply, body: "reply to another conversation" },
      { conversationId: group, senderId: bob, replyToId: first?.item_message?.id, body: "kept 2" },
      { conversationId: group, senderId: alice, clientId: repeated, body: "kept 3" },
      { conversationId: group, senderId: alice, clientId: repeated, body: "same clientId" },
    ]);
    expect(outcomes.map((row) => row.item_outcome)).toEqual([
      "created",
      "not_member",
      "bad_reply",
      "created",
      "created",
      "duplicate",
    ]);
    expect(outcomes.filter((row) => row.item_message).map((row) => row.item_message?.seq)).toEqual([2, 3, 4]);
    const stored = await db.select().from(messages).where(eq(messages.conversationId, group)).orderBy(asc(messages.seq));
    expect(stored.map((row) => row.seq)).toEqual([1, 2, 3, 4]);
    expect(stored.map((row) => row.body).slice(1)).toEqual(["kept 1", "kept 2", "kept 3"]);
  });

  it("applies the direct-message rules: friendship needed, no block either way", async () => {
    const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
    const friends = await createDirect(alice, bob, "friends");
    const strangers = await createDirect(alice, carol, "strangers");
    expect((await sendBatch([{ conversationId: friends, senderId: alice }]))[0]?.item_outcome).toBe("created");
    expect((await sendBatch([{ conversationId: strangers, senderId: alice }]))[0]?.item_outcome).toBe("not_friends");

    await db.insert(blocks).values({ blockerId: bob, blockedId: alice });
    const outcomes = await sendBatch([
      { conversationId: friends, senderId: alice },
      { conversationId: friends, senderId: bob },
    ]);
    expect(outcomes.map((row) => row.item_outcome)).toEqual(["blocked", "blocked"]);
  });

  it("refuses a member who has left, and moves the sender's read position", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const group = await createGroup([alice, bob]);
    await db
      .update(conversationMembers)
      .set({ leftAt: new Date() })
      .where(sql`${conversationMembers.conversationId} = ${group} and ${conversationMembers.userId} = ${bob}`);
    const outcomes = await sendBatch([
      { conversationId: group, senderId: bob },
      { conversationId: group, senderId: alice },
    ]);
    expect(outcomes.map((row) => row.item_outcome)).toEqual(["not_member", "created"]);
    const [member] = await db
      .select({ lastReadSeq: conversationMembers.lastReadSeq })
      .from(conversationMembers)
      .where(sql`${conversationMembers.conversationId} = ${group} and ${conversationMembers.userId} = ${alice}`);
    expect(member?.lastReadSeq).toBe(1);
  });

  it("bumps nothing when no send in the batch is stored", async () => {
    const [alice, stranger] = [await createUser(), await createUser()];
    const group = await createGroup([alice]);
    const before = await counterValue();
    const outcomes = await sendBatch([{ conversationId: group, senderId: stranger }]);
    expect(outcomes).toEqual([{ item_position: 1, item_outcome: "not_member", item_message: null, item_event_id: null }]);
    expect(await counterValue()).toBe(before);
  });
});
