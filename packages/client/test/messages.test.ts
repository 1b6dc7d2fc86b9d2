import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { ConversationView, MessageView } from "../src/index";
import { befriend, createGroup, listen, startTestServer, type TestServer, type TestUser } from "./harness";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.stop();
});

const forbidden = { data: { code: "FORBIDDEN" } };
const badRequest = { data: { code: "BAD_REQUEST" } };

async function openDirect(a: TestUser, b: TestUser): Promise<ConversationView> {
  await befriend(a, b);
  return a.client.api.conversations.openDirect.mutate({ userId: b.user.id });
}

function send(user: TestUser, conversationId: string, body: string, replyToId?: string): Promise<MessageView> {
  return user.client.api.messages.send.mutate({ conversationId, clientId: randomUUID(), body, replyToId });
}

async function bodies(user: TestUser, conversationId: string): Promise<(string | null)[]> {
  const page = await user.client.api.messages.history.query({ conversationId, limit: 100 });
  return page.messages.map((message) => message.body);
}

describe("messages.send", () => {
  it("stores the message with the next seq and delivers it to every member", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const direct = await openDirect(alice, bob);
    const [aliceEvents, bobEvents] = await Promise.all([listen(alice.client), listen(bob.client)]);

    const clientId = randomUUID();
    const sent = await alice.client.api.messages.send.mutate({ conversationId: direct.id, clientId, body: "  hello  " });
    expect(sent).toEqual({
      id: expect.any(String),
      conversationId: direct.id,
      seq: 1,
      senderId: alice.user.id,
      clientId,
      kind: "text",
      body: "hello",
      replyToId: null,
      createdAt: expect.any(String),
      editedAt: null,
      deletedAt: null,
      expiresAt: null,
      expiresAfterReadSeconds: null,
      forwardedFrom: null,
      reactions: [],
      attachments: [],
    });
    for (const events of [aliceEvents, bobEvents]) {
      expect(await events.waitFor((event) => event.type === "message.created")).toEqual({
        type: "message.created",
        conversationId: direct.id,
        message: sent,
      });
    }
    const reply = await send(bob, direct.id, "hi!", sent.id);
    expect(reply).toMatchObject({ seq: 2, replyToId: sent.id, senderId: bob.user.id });
    // Sending moves the sender's own read position to their message.
    expect(await bob.client.api.conversations.get.query({ conversationId: direct.id })).toMatchObject({
      lastReadSeq: 2,
      unreadCount: 0,
    });
    aliceEvents.stop();
    bobEvents.stop();
  });

  it("takes 1 to 4,000 characters after trimming", async () => {
    const alice = await server.signUp("alice");
    const group = await alice.client.api.conversations.createGroup.mutate({ title: "Notes" });
    for (const body of ["", "   \n\t ", "x".repeat(4_001), "nul \u0000 inside"]) {
      await expect(send(alice, group.id, body)).rejects.toMatchObject(badRequest);
    }
    expect((await send(alice, group.id, `  ${"x".repeat(4_000)}  `)).body).toHaveLength(4_000);
    // Characters, not UTF-16 units: 4,000 emoji fit.
    expect([...((await send(alice, group.id, "😀".repeat(4_000))).body ?? "")]).toHaveLength(4_000);
    await expect(
      alice.client.api.messages.send.mutate({ conversationId: group.id, clientId: "not-a-uuid", body: "x" }),
    ).rejects.toMatchObject(badRequest);
  });

  it("accepts a reply only to a message of the same conversation", async () => {
    const alice = await server.signUp("alice");
    const group = await alice.client.api.conversations.createGroup.mutate({ title: "One" });
    const other = await alice.client.api.conversations.createGroup.mutate({ title: "Two" });
    const elsewhere = await send(alice, other.id, "elsewhere");
    const message = { ...badRequest, message: "replyToId must be a message in this conversation" };
    await expect(send(alice, group.id, "reply", elsewhere.id)).rejects.toMatchObject(message);
    await expect(send(alice, group.id, "reply", randomUUID())).rejects.toMatchObject(message);
  });

  it("needs a friendship and no block either way in a direct conversation", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const carol = await server.signUp("carol");
    const withBob = await openDirect(alice, bob);
    const withCarol = await openDirect(alice, carol);

    await bob.client.api.friends.remove.mutate({ userId: alice.user.id });
    const notFriends = { ...forbidden, message: "Direct messages need an accepted friendship with this user" };
    await expect(send(alice, withBob.id, "still there?")).rejects.toMatchObject(notFriends);
    await expect(send(bob, withBob.id, "bye")).rejects.toMatchObject(notFriends);

    await carol.client.api.friends.block.mutate({ userId: alice.user.id });
    const blocked = { ...forbidden, message: "You cannot message this user: one of you has blocked the other" };
    await expect(send(alice, withCarol.id, "hello?")).rejects.toMatchObject(blocked);
    await expect(send(carol, withCarol.id, "go away")).rejects.toMatchObject(blocked);
  });

  it("is refused to non-members", async () => {
    const alice = await server.signUp("alice");
    const outsider = await server.signUp("outsider");
    const group = await alice.client.api.conversations.createGroup.mutate({ title: "Closed" });
    const refusal = { ...forbidden, message: "You are not a member of this conversation" };
    await expect(send(outsider, group.id, "let me in")).rejects.toMatchObject(refusal);
    await expect(send(outsider, randomUUID(), "anyone?")).rejects.toMatchObject(refusal);
  });
});

describe("idempotent sends", () => {
  it("stores one message for five concurrent sends of one clientId, and every call returns it", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const group = await createGroup(alice, [bob]);
    const bobEvents = await listen(bob.client);

    const clientId = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        alice.client.api.messages.send.mutate({ conversationId: group.id, clientId, body: "only once" }),
      ),
    );
    expect(new Set(results.map((message) => message.id)).size).toBe(1);
    expect(results.map((message) => message.seq)).toEqual([1, 1, 1, 1, 1]);
    for (const result of results) expect(result).toEqual(results[0]);

    // A retry with a different body returns the stored original, unchanged.
    const retry = await alice.client.api.messages.send.mutate({ conversationId: group.id, clientId, body: "changed" });
    expect(retry).toEqual(results[0]);

    // The losers rolled back their seq: the next message takes seq 2.
    expect((await send(bob, group.id, "next")).seq).toBe(2);
    expect((await bob.client.api.messages.history.query({ conversationId: group.id })).messages.map((m) => m.seq)).toEqual([
      2, 1,
    ]);
    await bobEvents.waitFor((event) => event.type === "message.created" && event.message.seq === 2);
    const delivered = bobEvents.events.flatMap((event) => (event.type === "message.created" ? [event.message.seq] : []));
    expect(delivered).toEqual([1, 2]);
    bobEvents.stop();
  });

  it("refuses a clientId already used in another conversation", async () => {
    const alice = await server.signUp("alice");
    const one = await alice.client.api.conversations.createGroup.mutate({ title: "One" });
    const two = await alice.client.api.conversations.createGroup.mutate({ title: "Two" });
    const clientId = randomUUID();
    await alice.client.api.messages.send.mutate({ conversationId: one.id, clientId, body: "first" });
    await expect(
      alice.client.api.messages.send.mutate({ conversationId: two.id, clientId, body: "second" }),
    ).rejects.toMatchObject({ data: { code: "CONFLICT" } });
    // A clientId is scoped to its sender: someone else may use the same one.
    const bob = await server.signUp("bob");
    const bobGroup = await bob.client.api.conversations.createGroup.mutate({ title: "Bob's" });
    expect((await bob.client.api.messages.send.mutate({ conversationId: bobGroup.id, clientId, body: "mine" })).seq).toBe(1);
  });
});

describe("sends stored together in one batch", () => {
  it("refuses each send that breaks a rule on its own and stores every other one with gap-free seqs", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const carol = await server.signUp("carol");
    const dave = await server.signUp("dave");
    const group = await createGroup(alice, [bob]);
    const carolsGroup = await carol.client.api.conversations.createGroup.mutate({ title: "Without Alice" });
    const otherGroup = await alice.client.api.conversations.createGroup.mutate({ title: "Elsewhere" });
    const elsewhere = await send(alice, otherGroup.id, "elsewhere");
    const withDave = await openDirect(alice, dave);
    await dave.client.api.friends.block.mutate({ userId: alice.user.id });

    type Planned = { input: Parameters<typeof alice.client.api.messages.send.mutate>[0]; refusal?: object };
    const good = (index: number): Planned => ({
      input: { conversationId: group.id, clientId: randomUUID(), body: `good #${index}` },
    });
    const goods = Array.from({ length: 20 }, (_, index) => good(index));
    // Half an emoji (a lone UTF-16 surrogate) is stored as U+FFFD, as any text is, and breaks nothing.
    const halfEmoji = goods[12] as Planned;
    halfEmoji.input.body = `good #12 \uD83D`;
    const refused: Planned[] = [
      {
        input: { conversationId: carolsGroup.id, clientId: randomUUID(), body: "not my group" },
        refusal: { ...forbidden, message: "You are not a member of this conversation" },
      },
      {
        input: { conversationId: group.id, clientId: randomUUID(), body: "reply", replyToId: elsewhere.id },
        refusal: { ...badRequest, message: "replyToId must be a message in this conversation" },
      },
      {
        input: { conversationId: withDave.id, clientId: randomUUID(), body: "blocked" },
        refusal: { ...forbidden, message: "You cannot message this user: one of you has blocked the other" },
      },
      {
        input: { conversationId: group.id, clientId: randomUUID(), body: "reply", replyToId: randomUUID() },
        refusal: { ...badRequest, message: "replyToId must be a message in this conversation" },
      },
    ];
    const duplicate: Planned = { input: { ...(goods[3] as Planned).input, body: "a retry of good #3" } };
    // The refused sends and a retry sit between good ones, none of them first: the writer sends
    // the first arrivals at once and batches what queues behind them.
    const burst = [
      ...goods.slice(0, 5),
      refused[0],
      ...goods.slice(5, 10),
      refused[1],
      duplicate,
      ...goods.slice(10, 15),
      refused[2],
      ...goods.slice(15),
      refused[3],
    ] as Planned[];

    const writerBefore = server.services.messageWriter.stats();
    // Called in one tick, the SDK carries them in one HTTP request: they reach the writer together.
    const outcomes = await Promise.allSettled(burst.map((planned) => alice.client.api.messages.send.mutate(planned.input)));
    const writerAfter = server.services.messageWriter.stats();

    burst.forEach((planned, index) => {
      const outcome = outcomes[index];
      if (planned.refusal) expect(outcome).toMatchObject({ status: "rejected", reason: planned.refusal });
      else expect(outcome, `send ${planned.input.body}`).toMatchObject({ status: "fulfilled" });
    });
    const acknowledged = new Map(
      burst.flatMap((planned, index) => {
        const outcome = outcomes[index];
        return outcome?.status === "fulfilled" && planned !== duplicate ? [[planned.input.clientId, outcome.value]] : [];
      }),
    );
    // The retry answers with the stored message, not its own body.
    const duplicateOutcome = outcomes[burst.indexOf(duplicate)];
    expect(duplicateOutcome?.status === "fulfilled" ? duplicateOutcome.value : null).toEqual(
      acknowledged.get(duplicate.input.clientId),
    );

    const history = await alice.client.api.messages.history.query({ conversationId: group.id, limit: 100 });
    const stored = [...history.messages].sort((a, b) => a.seq - b.seq);
    expect(stored.map((message) => message.seq)).toEqual(Array.from({ length: goods.length }, (_, index) => index + 1));
    expect(stored.map((message) => message.body).sort()).toEqual(
      goods.map((planned) => (planned === halfEmoji ? "good #12 \uFFFD" : planned.input.body)).sort(),
    );
    for (const message of stored) expect(acknowledged.get(message.clientId)).toEqual(message);
    // Nothing else reached the other conversations.
    expect(await bodies(alice, otherGroup.id)).toEqual(["elsewhere"]);
    expect(await bodies(carol, carolsGroup.id)).toEqual([]);

    const batches = writerAfter.batches - writerBefore.batches;
    const sends = writerAfter.sends - writerBefore.sends;
    console.info(`batched refusals: ${burst.length} sends (${refused.length} refused) stored in ${batches} batches`);
    // Each send went into exactly one batch, and no batch failed and fell back to one-by-one stores.
    expect(sends).toBe(burst.length);
    expect(writerAfter.sendsRetriedAlone - writerBefore.sendsRetriedAlone).toBe(0);
    // At most as many batches as refusals: at least one refusal shared its batch with good sends.
    expect(batches).toBeLessThanOrEqual(refused.length);
    expect(writerAfter.largestBatch).toBeGreaterThan(1);
  });
});

describe("send rate limit", () => {
  it("refuses sends past the allowance with a retry delay, but still answers retries", async () => {
    const limited = await startTestServer({ sendRate: { burst: 3, perSecond: 0.01 } });
    try {
      const alice = await limited.signUp("alice");
      const group = await alice.client.api.conversations.createGroup.mutate({ title: "Slow" });
      const sent = [];
      for (let index = 0; index < 3; index += 1) {
        sent.push(
          await alice.client.api.messages.send.mutate({ conversationId: group.id, clientId: randomUUID(), body: `${index}` }),
        );
      }
      const refusal = await alice.client.api.messages.send
        .mutate({ conversationId: group.id, clientId: randomUUID(), body: "too many" })
        .catch((error: unknown) => error);
      expect(refusal).toMatchObject({ data: { code: "TOO_MANY_REQUESTS", retryAfterSeconds: expect.any(Number) } });
      expect((refusal as { data: { retryAfterSeconds: number } }).data.retryAfterSeconds).toBeGreaterThan(0);

      // Retrying a stored message costs nothing and is never refused.
      for (const message of sent) {
        expect(
          await alice.client.api.messages.send.mutate({ conversationId: group.id, clientId: message.clientId, body: "again" }),
        ).toEqual(message);
      }
      // Each user has their own allowance.
      const bob = await limited.signUp("bob");
      const bobGroup = await bob.client.api.conversations.createGroup.mutate({ title: "Bob" });
      expect((await send(bob, bobGroup.id, "hi")).seq).toBe(1);
    } finally {
      await limited.stop();
    }
  });
});

describe("concurrent senders", () => {
  // A thousand transactions on embedded PGlite, one at a time, on a shared CI machine: allow minutes.
  it("gives 1,000 messages from four senders the seqs 1 to 1,000 exactly", { timeout: 240_000 }, async () => {
    const busy = await startTestServer({ sendRate: { burst: 10_000, perSecond: 10_000 } });
    try {
      const owner = await busy.signUp("owner");
      const others = await Promise.all([busy.signUp("a"), busy.signUp("b"), busy.signUp("c")]);
      for (const other of others) await befriend(owner, other);
      const group = await owner.client.api.conversations.createGroup.mutate({
        title: "Busy",
        memberIds: others.map((other) => other.user.id),
      });
      const senders = [owner, ...others];
      const total = 1_000;
      const sent = await Promise.all(
        Array.from({ length: total }, (_, index) =>
          send(senders[index % senders.length]!, group.id, `message ${index}`),
        ),
      );
      expect(sent.map((message) => message.seq).sort((a, b) => a - b)).toEqual(
        Array.from({ length: total }, (_, index) => index + 1),
      );

      const seqs: number[] = [];
      let beforeSeq: number | undefined;
      for (;;) {
        const page = await owner.client.api.messages.history.query({ conversationId: group.id, beforeSeq, limit: 100 });
        seqs.push(...page.messages.map((message) => message.seq));
        if (page.nextBeforeSeq === null) break;
        beforeSeq = page.nextBeforeSeq;
      }
      expect(seqs).toEqual(Array.from({ length: total }, (_, index) => total - index));
      expect(await owner.client.api.conversations.get.query({ conversationId: group.id })).toMatchObject({
        lastSeq: total,
      });
    } finally {
      await busy.stop();
    }
  });
});

describe("messages.history", () => {
  it("pages newest first by seq with nextBeforeSeq", async () => {
    const alice = await server.signUp("alice");
    const group = await alice.client.api.conversations.createGroup.mutate({ title: "Pages" });
    for (let index = 1; index <= 7; index += 1) await send(alice, group.id, `m${index}`);

    const first = await alice.client.api.messages.history.query({ conversationId: group.id, limit: 3 });
    expect(first.messages.map((message) => message.body)).toEqual(["m7", "m6", "m5"]);
    expect(first.nextBeforeSeq).toBe(5);
    const second = await alice.client.api.messages.history.query({ conversationId: group.id, limit: 3, beforeSeq: 5 });
    expect(second.messages.map((message) => message.body)).toEqual(["m4", "m3", "m2"]);
    const third = await alice.client.api.messages.history.query({ conversationId: group.id, limit: 3, beforeSeq: 2 });
    expect(third).toMatchObject({ messages: [{ body: "m1" }], nextBeforeSeq: null });
    const exact = await alice.client.api.messages.history.query({ conversationId: group.id, limit: 7 });
    expect(exact.nextBeforeSeq).toBeNull();
    expect((await alice.client.api.messages.history.query({ conversationId: group.id })).messages).toHaveLength(7);

    for (const input of [{ limit: 0 }, { limit: 101 }, { beforeSeq: 0 }, { beforeSeq: 1.5 }]) {
      await expect(
        alice.client.api.messages.history.query({ conversationId: group.id, ...input }),
      ).rejects.toMatchObject(badRequest);
    }
  });

  it("shows deleted messages as tombstones and aggregates reactions", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const group = await createGroup(alice, [bob]);
    const kept = await send(alice, group.id, "kept");
    const removed = await send(alice, group.id, "removed");
    await alice.client.api.messages.react.mutate({ messageId: kept.id, emoji: "👍" });
    await bob.client.api.messages.react.mutate({ messageId: kept.id, emoji: "👍" });
    await bob.client.api.messages.react.mutate({ messageId: kept.id, emoji: "🎉" });
    await bob.client.api.messages.react.mutate({ messageId: removed.id, emoji: "👍" });
    await alice.client.api.messages.delete.mutate({ messageId: removed.id });

    const page = await bob.client.api.messages.history.query({ conversationId: group.id });
    expect(page.messages).toMatchObject([
      { id: removed.id, seq: 2, body: null, deletedAt: expect.any(String), reactions: [] },
      {
        id: kept.id,
        seq: 1,
        body: "kept",
        deletedAt: null,
        reactions: [
          { emoji: "👍", userIds: [alice.user.id, bob.user.id] },
          { emoji: "🎉", userIds: [bob.user.id] },
        ],
      },
    ]);
  });

  it("leaves out messages from users the caller blocked, and only for the caller", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const carol = await server.signUp("carol");
    const group = await createGroup(alice, [bob, carol]);
    await send(bob, group.id, "bob 1");
    await send(carol, group.id, "carol 1");
    await send(bob, group.id, "bob 2");
    await alice.client.api.friends.block.mutate({ userId: bob.user.id });

    expect(await bodies(alice, group.id)).toEqual(["carol 1"]);
    expect(await bodies(carol, group.id)).toEqual(["bob 2", "carol 1", "bob 1"]);
    const page = await alice.client.api.messages.history.query({ conversationId: group.id, limit: 1 });
    expect(page).toMatchObject({ messages: [{ body: "carol 1" }] });
    await alice.client.api.friends.unblock.mutate({ userId: bob.user.id });
    expect(await bodies(alice, group.id)).toEqual(["bob 2", "carol 1", "bob 1"]);
  });
});

describe("reactions of blocked users", () => {
  it("are left out of the blocker's history and conversation list, and only theirs", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const carol = await server.signUp("carol");
    const group = await createGroup(alice, [bob, carol]);
    const message = await send(carol, group.id, "react to me");
    await bob.client.api.messages.react.mutate({ messageId: message.id, emoji: "👍" });
    await carol.client.api.messages.react.mutate({ messageId: message.id, emoji: "👍" });
    await alice.client.api.friends.block.mutate({ userId: bob.user.id });

    const forAlice = await alice.client.api.messages.history.query({ conversationId: group.id, limit: 10 });
    expect(forAlice.messages[0]?.reactions).toEqual([{ emoji: "👍", userIds: [carol.user.id] }]);
    const [summary] = (await alice.client.api.conversations.list.query()).filter((item) => item.id === group.id);
    expect(summary?.lastMessage?.reactions).toEqual([{ emoji: "👍", userIds: [carol.user.id] }]);
    const forCarol = await carol.client.api.messages.history.query({ conversationId: group.id, limit: 10 });
    expect(forCarol.messages[0]?.reactions).toEqual([{ emoji: "👍", userIds: [bob.user.id, carol.user.id] }]);
  });
});

describe("blocked users in a group", () => {
  it("never delivers a blocked user's messages live to the blocker", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const carol = await server.signUp("carol");
    const group = await createGroup(alice, [bob, carol]);
    await alice.client.api.friends.block.mutate({ userId: bob.user.id });
    const [aliceEvents, carolEvents] = await Promise.all([listen(alice.client), listen(carol.client)]);

    const hidden = await send(bob, group.id, "you cannot see this");
    await bob.client.api.messages.edit.mutate({ messageId: hidden.id, body: "nor this" });
    await bob.client.api.conversations.typing.mutate({ conversationId: group.id });
    await send(carol, group.id, "marker");
    // Events of one conversation arrive in order: once the marker is here, bob's would have been too.
    await aliceEvents.waitFor((event) => event.type === "message.created" && event.message.body === "marker");
    await carolEvents.waitFor((event) => event.type === "message.created" && event.message.body === "marker");
    const fromBob = aliceEvents.events.filter(
      (event) =>
        ((event.type === "message.created" || event.type === "message.edited") && event.message.senderId === bob.user.id) ||
        (event.type === "typing" && event.userId === bob.user.id),
    );
    expect(fromBob).toEqual([]);
    expect(carolEvents.events.filter((event) => event.type === "message.created")).toHaveLength(2);
    aliceEvents.stop();
    carolEvents.stop();
  });
});

describe("messages.edit", () => {
  it("changes the sender's own message and tells the conversation", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const direct = await openDirect(alice, bob);
    const sent = await send(alice, direct.id, "helo");
    const bobEvents = await listen(bob.client);

    const edited = await alice.client.api.messages.edit.mutate({ messageId: sent.id, body: " hello " });
    expect(edited).toEqual({ ...sent, body: "hello", editedAt: expect.any(String) });
    expect(await bobEvents.waitFor((event) => event.type === "message.edited")).toEqual({
      type: "message.edited",
      conversationId: direct.id,
      message: edited,
    });
    await expect(bob.client.api.messages.edit.mutate({ messageId: sent.id, body: "hijack" })).rejects.toMatchObject({
      ...forbidden,
      message: "You can only edit your own messages",
    });
    await expect(alice.client.api.messages.edit.mutate({ messageId: sent.id, body: "   " })).rejects.toMatchObject(
      badRequest,
    );
    await alice.client.api.messages.delete.mutate({ messageId: sent.id });
    await expect(alice.client.api.messages.edit.mutate({ messageId: sent.id, body: "back" })).rejects.toMatchObject({
      ...badRequest,
      message: "A deleted message cannot be edited",
    });
    bobEvents.stop();
  });
});

describe("messages.delete", () => {
  it("leaves a tombstone, drops its reactions and tells the conversation", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const direct = await openDirect(alice, bob);
    const sent = await send(alice, direct.id, "oops");
    await bob.client.api.messages.react.mutate({ messageId: sent.id, emoji: "😂" });
    const bobEvents = await listen(bob.client);

    await expect(bob.client.api.messages.delete.mutate({ messageId: sent.id })).rejects.toMatchObject({
      ...forbidden,
      message: "You can only delete your own messages",
    });
    const deleted = await alice.client.api.messages.delete.mutate({ messageId: sent.id });
    expect(deleted).toEqual({ ...sent, body: null, deletedAt: expect.any(String), reactions: [] });
    expect(await bobEvents.waitFor((event) => event.type === "message.deleted")).toEqual({
      type: "message.deleted",
      conversationId: direct.id,
      message: deleted,
    });
    // Deleting again changes nothing and announces nothing.
    expect(await alice.client.api.messages.delete.mutate({ messageId: sent.id })).toEqual(deleted);
    await send(alice, direct.id, "marker");
    await bobEvents.waitFor((event) => event.type === "message.created");
    expect(bobEvents.events.filter((event) => event.type === "message.deleted")).toHaveLength(1);
    await expect(bob.client.api.messages.react.mutate({ messageId: sent.id, emoji: "👍" })).rejects.toMatchObject({
      ...badRequest,
      message: "You cannot react to a deleted message",
    });
    bobEvents.stop();
  });

  it("lets a group's owner and admins delete anyone's message, and members only their own", async () => {
    const owner = await server.signUp("owner");
    const admin = await server.signUp("admin");
    const member = await server.signUp("member");
    const group = await createGroup(owner, [admin, member]);
    await owner.client.api.conversations.setRole.mutate({ conversationId: group.id, userId: admin.user.id, role: "admin" });
    const byMember = await send(member, group.id, "spam");
    const byOwner = await send(owner, group.id, "announcement");
    const another = await send(member, group.id, "more spam");

    await expect(member.client.api.messages.delete.mutate({ messageId: byOwner.id })).rejects.toMatchObject(forbidden);
    expect((await admin.client.api.messages.delete.mutate({ messageId: byMember.id })).deletedAt).not.toBeNull();
    expect((await owner.client.api.messages.delete.mutate({ messageId: another.id })).deletedAt).not.toBeNull();
    expect(await bodies(member, group.id)).toEqual([null, "announcement", null]);
  });
});

describe("messages.react and messages.unreact", () => {
  it("adds and removes reactions idempotently, announcing only changes", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const direct = await openDirect(alice, bob);
    const sent = await send(alice, direct.id, "react to me");
    const aliceEvents = await listen(alice.client);

    const reacted = await bob.client.api.messages.react.mutate({ messageId: sent.id, emoji: "❤️" });
    expect(reacted.reactions).toEqual([{ emoji: "❤️", userIds: [bob.user.id] }]);
    expect(await bob.client.api.messages.react.mutate({ messageId: sent.id, emoji: "❤️" })).toEqual(reacted);
    expect(await aliceEvents.waitFor((event) => event.type === "reaction.added")).toEqual({
      type: "reaction.added",
      conversationId: direct.id,
      messageId: sent.id,
      userId: bob.user.id,
      emoji: "❤️",
    });

    const unreacted = await bob.client.api.messages.unreact.mutate({ messageId: sent.id, emoji: "❤️" });
    expect(unreacted.reactions).toEqual([]);
    expect(await bob.client.api.messages.unreact.mutate({ messageId: sent.id, emoji: "❤️" })).toEqual(unreacted);
    expect(await aliceEvents.waitFor((event) => event.type === "reaction.removed")).toMatchObject({
      messageId: sent.id,
      userId: bob.user.id,
      emoji: "❤️",
    });
    await send(bob, direct.id, "marker");
    await aliceEvents.waitFor((event) => event.type === "message.created");
    expect(aliceEvents.events.filter((event) => event.type === "reaction.added")).toHaveLength(1);
    expect(aliceEvents.events.filter((event) => event.type === "reaction.removed")).toHaveLength(1);
    aliceEvents.stop();
  });

  it("takes exactly one emoji, however many code points it has", async () => {
    const alice = await server.signUp("alice");
    const group = await alice.client.api.conversations.createGroup.mutate({ title: "Emoji" });
    const sent = await send(alice, group.id, "pick one");
    for (const emoji of ["👍", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "1️⃣", "❤️"]) {
      const reacted = await alice.client.api.messages.react.mutate({ messageId: sent.id, emoji });
      expect(reacted.reactions.map((reaction) => reaction.emoji)).toContain(emoji);
    }
    for (const emoji of ["", "ok", "lol", "a", "👍👍", "👍 ", "x".repeat(33), "🙂".repeat(20)]) {
      await expect(alice.client.api.messages.react.mutate({ messageId: sent.id, emoji })).rejects.toMatchObject(badRequest);
    }
  });
});

describe("messages.markRead", () => {
  it("only moves forward, stops at the newest message, and tells the conversation when it moves", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const direct = await openDirect(alice, bob);
    for (let index = 0; index < 3; index += 1) await send(alice, direct.id, `m${index}`);
    const bobOtherDevice = await server.signIn(bob);
    const [aliceEvents, otherDeviceEvents] = await Promise.all([listen(alice.client), listen(bobOtherDevice.client)]);

    expect(await bob.client.api.messages.markRead.mutate({ conversationId: direct.id, seq: 2 })).toEqual({ lastReadSeq: 2 });
    const receipt = { type: "receipt.read", conversationId: direct.id, userId: bob.user.id, lastReadSeq: 2 };
    expect(await aliceEvents.waitFor((event) => event.type === "receipt.read")).toEqual(receipt);
    expect(await otherDeviceEvents.waitFor((event) => event.type === "receipt.read")).toEqual(receipt);
    expect((await bob.client.api.conversations.get.query({ conversationId: direct.id })).unreadCount).toBe(1);

    expect(await bob.client.api.messages.markRead.mutate({ conversationId: direct.id, seq: 1 })).toEqual({ lastReadSeq: 2 });
    expect(await bob.client.api.messages.markRead.mutate({ conversationId: direct.id, seq: 2 })).toEqual({ lastReadSeq: 2 });
    expect(await bob.client.api.messages.markRead.mutate({ conversationId: direct.id, seq: 1_000 })).toEqual({
      lastReadSeq: 3,
    });
    expect(await bob.client.api.conversations.get.query({ conversationId: direct.id })).toMatchObject({
      unreadCount: 0,
      lastReadSeq: 3,
    });
    await aliceEvents.waitFor((event) => event.type === "receipt.read" && event.lastReadSeq === 3);
    expect(
      aliceEvents.events.filter((event) => event.type === "receipt.read").map((event) => event.type === "receipt.read" && event.lastReadSeq),
    ).toEqual([2, 3]);
    await expect(bob.client.api.messages.markRead.mutate({ conversationId: direct.id, seq: -1 })).rejects.toMatchObject(
      badRequest,
    );
    aliceEvents.stop();
    otherDeviceEvents.stop();
  });
});

describe("message procedures for non-members", () => {
  it("refuses every one of them, including to members who have left", async () => {
    const owner = await server.signUp("owner");
    const leaver = await server.signUp("leaver");
    const outsider = await server.signUp("outsider");
    const group = await createGroup(owner, [leaver]);
    const message = await send(owner, group.id, "members only");
    await leaver.client.api.conversations.leave.mutate({ conversationId: group.id });

    for (const user of [outsider, leaver]) {
      const api = user.client.api.messages;
      const refusals = [
        () => api.send.mutate({ conversationId: group.id, clientId: randomUUID(), body: "hi" }),
        () => api.history.query({ conversationId: group.id }),
        () => api.markRead.mutate({ conversationId: group.id, seq: 1 }),
        () => api.edit.mutate({ messageId: message.id, body: "edited" }),
        () => api.delete.mutate({ messageId: message.id }),
        () => api.react.mutate({ messageId: message.id, emoji: "👍" }),
        () => api.unreact.mutate({ messageId: message.id, emoji: "👍" }),
      ];
      for (const refusal of refusals) await expect(refusal()).rejects.toMatchObject(forbidden);
    }
    expect(await owner.client.api.messages.history.query({ conversationId: group.id })).toMatchObject({
      messages: [{ body: "members only", reactions: [] }],
    });
  });
});
