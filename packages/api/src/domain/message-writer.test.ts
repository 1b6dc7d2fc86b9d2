import { randomUUID } from "node:crypto";

import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createDb, type DatabaseHandle } from "@parley/db/client";
import { migrate } from "@parley/db/migrate";
import { conversationMembers, conversations, messages, users } from "@parley/db/schema";

import type { StoredEvent } from "../events/types";
import { createMessageWriter, type SendOutcome, type SendRequest } from "./message-writer";

let handle: DatabaseHandle;

beforeAll(async () => {
  handle = createDb({ memory: true });
  await migrate(handle);
});

afterAll(async () => {
  await handle.close();
});

async function groupOf(size: number): Promise<{ conversationId: string; memberIds: string[] }> {
  const memberIds: string[] = [];
  for (let index = 0; index < size; index += 1) {
    const [row] = await handle.db
      .insert(users)
      .values({ username: `w_${randomUUID().replaceAll("-", "").slice(0, 20)}`, displayName: "W", passwordHash: "x" })
      .returning({ id: users.id });
    if (!row) throw new Error("no user");
    memberIds.push(row.id);
  }
  const [conversation] = await handle.db
    .insert(conversations)
    .values({ kind: "group", title: "writers" })
    .returning({ id: conversations.id });
  if (!conversation) throw new Error("no conversation");
  await handle.db
    .insert(conversationMembers)
    .values(memberIds.map((userId) => ({ conversationId: conversation.id, userId })));
  return { conversationId: conversation.id, memberIds };
}

function request(conversationId: string, senderId: string, body: string): SendRequest {
  return { conversationId, senderId, clientId: randomUUID(), body, replyToId: null };
}

describe("createMessageWriter", () => {
  it("stores concurrent sends in batches, publishing each batch's events in id order once", async () => {
    const { conversationId, memberIds } = await groupOf(3);
    const published: StoredEvent[][] = [];
    const writer = createMessageWriter({ db: handle.db, publish: (events) => published.push(events) });

    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, index) => writer.write(request(conversationId, memberIds[index % 3] ?? "", `m${index}`))),
    );
    expect(outcomes.every((outcome) => outcome.outcome === "created")).toBe(true);
    const stats = writer.stats();
    expect(stats.sends).toBe(40);
    // Forty sends at once cannot have taken forty round trips: they queued behind the first batches.
    expect(stats.batches).toBeLessThan(40);
    expect(stats.largestBatch).toBeGreaterThan(1);
    expect(published).toHaveLength(stats.batches);

    const eventIds = published.flat().map((stored) => stored.id);
    expect(eventIds).toEqual([...eventIds].sort((a, b) => a - b));
    expect(new Set(eventIds).size).toBe(40);
    const seqs = outcomes.map((outcome) => (outcome.outcome === "created" ? outcome.message.seq : 0));
    expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, index) => index + 1));
    // Sends are stored in the order they were written.
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, index) => index + 1));
  });

  it("fails a send that breaks a rule alone; the rest of its batch commits", async () => {
    const { conversationId, memberIds } = await groupOf(2);
    const outsider = (await groupOf(1)).memberIds[0] ?? "";
    const writer = createMessageWriter({ db: handle.db, publish: () => {}, maxConcurrentBatches: 1 });

    // The first send occupies the writer, so the next five wait and go out as one batch.
    const first = writer.write(request(conversationId, memberIds[0] ?? "", "first"));
    const rest = [
      writer.write(request(conversationId, memberIds[1] ?? "", "kept")),
      writer.write(request(conversationId, outsider, "not a member")),
      writer.write({ ...request(conversationId, memberIds[0] ?? "", "bad reply"), replyToId: randomUUID() }),
      writer.write(request(conversationId, memberIds[0] ?? "", "kept too")),
    ];
    const outcomes: SendOutcome[] = await Promise.all([first, ...rest]);
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(["created", "created", "not_member", "bad_reply", "created"]);
    expect(writer.stats()).toMatchObject({ batches: 2, largestBatch: 4 });

    const stored = await handle.db
      .select({ seq: messages.seq, body: messages.body })
      .from(messages)
      .where(eq(messages.conversationId, conversationId))
      .orderBy(asc(messages.seq));
    expect(stored).toEqual([
      { seq: 1, body: "first" },
      { seq: 2, body: "kept" },
      { seq: 3, body: "kept too" },
    ]);
  });

  it("answers a repeated clientId as a duplicate, inside one batch and across batches", async () => {
    const { conversationId, memberIds } = await groupOf(1);
    const writer = createMessageWriter({ db: handle.db, publish: () => {}, maxConcurrentBatches: 1 });
    const send = request(conversationId, memberIds[0] ?? "", "once");
    const outcomes = await Promise.all([writer.write(send), writer.write(send), writer.write(send)]);
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(["created", "duplicate", "duplicate"]);
    expect((await writer.write(send)).outcome).toBe("duplicate");
    const stored = await handle.db.select().from(messages).where(eq(messages.conversationId, conversationId));
    expect(stored).toHaveLength(1);
  });

  it("rejects only the send the database refuses when a batch fails as a whole", async () => {
    const { conversationId, memberIds } = await groupOf(1);
    const writer = createMessageWriter({ db: handle.db, publish: () => {}, maxConcurrentBatches: 1 });
    const sender = memberIds[0] ?? "";
    const first = writer.write(request(conversationId, sender, "first"));
    // A body the database's check constraint refuses (the API's input validation stops it first).
    const results = await Promise.allSettled([
      first,
      writer.write(request(conversationId, sender, "kept")),
      writer.write(request(conversationId, sender, "x".repeat(5_000))),
      writer.write(request(conversationId, sender, "kept too")),
    ]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    const stored = await handle.db
      .select({ seq: messages.seq, body: messages.body })
      .from(messages)
      .where(eq(messages.conversationId, conversationId))
      .orderBy(asc(messages.seq));
    expect(stored.map((row) => row.body)).toEqual(["first", "kept", "kept too"]);
    expect(stored.map((row) => row.seq)).toEqual([1, 2, 3]);
  });
});
