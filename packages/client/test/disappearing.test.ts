import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Clock } from "@parley/auth";

import type { ConversationView, MessageView, ParleyClient, StreamEvent, SystemNotice } from "../src/index";
import {
  befriend,
  createGroup,
  createTestDatabase,
  listen,
  queryRows,
  startTestServer,
  type TestServer,
  type TestUser,
} from "./harness";

/** A clock the test moves by hand; it starts at the real time so sessions and messages agree. */
function manualClock(): Clock & { advance: (seconds: number) => void } {
  let nowMs = Date.now();
  return {
    now: () => new Date(nowMs),
    advance: (seconds) => {
      nowMs += seconds * 1_000;
    },
  };
}

const clock = manualClock();
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ clock });
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

function send(user: Pick<TestUser, "client">, conversationId: string, body: string): Promise<MessageView> {
  return user.client.api.messages.send.mutate({ conversationId, clientId: randomUUID(), body });
}

async function bodies(client: ParleyClient, conversationId: string): Promise<(string | null)[]> {
  const page = await client.api.messages.history.query({ conversationId, limit: 100 });
  return page.messages.filter((message) => message.kind !== "system").map((message) => message.body);
}

async function markAllRead(user: TestUser, conversationId: string): Promise<void> {
  await user.client.api.messages.markRead.mutate({ conversationId, seq: 2_147_483_647 });
}

/** Everything the database still holds of a message's content, read from the tables directly. */
async function tracesOf(target: TestServer, message: MessageView, secret: string) {
  const [row] = await queryRows<{ body: string | null; deleted_at: unknown }>(
    target.database,
    "select body, deleted_at from messages where id = $1",
    [message.id],
  );
  const events = await queryRows<{ count: number | string }>(
    target.database,
    "select count(*) as count from events where payload::text like $1",
    [`%${secret}%`],
  );
  const reactions = await queryRows<{ count: number | string }>(
    target.database,
    "select count(*) as count from reactions where message_id = $1",
    [message.id],
  );
  return { body: row?.body ?? null, purged: row?.deleted_at != null, events: Number(events[0]?.count), reactions: Number(reactions[0]?.count) };
}

describe("conversations.setDisappearing", () => {
  it("lets either member of a direct chat set the timer, shown as a system message and live to both", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const direct = await openDirect(alice, bob);
    const bobEvents = await listen(bob.client);

    const updated = await bob.client.api.conversations.setDisappearing.mutate({ conversationId: direct.id, seconds: 300, startsAt: "read" });
    expect(updated.disappearing).toEqual({ seconds: 300, startsAt: "read" });
    const live = await bobEvents.waitFor((event) => event.type === "conversation.updated" && event.change === "disappearing_changed");
    expect(live).toMatchObject({ conversation: { disappearing: { seconds: 300, startsAt: "read" } }, actorId: bob.user.id });

    const history = await alice.client.api.messages.history.query({ conversationId: direct.id });
    const notice = history.messages[0];
    expect(notice).toMatchObject({ kind: "system", senderId: bob.user.id, seq: 1 });
    expect(JSON.parse(notice?.body ?? "null") as SystemNotice).toEqual({
      type: "disappearing",
      actorId: bob.user.id,
      disappearing: { seconds: 300, startsAt: "read" },
    });
    expect((await alice.client.api.conversations.get.query({ conversationId: direct.id })).disappearing).toEqual({
      seconds: 300,
      startsAt: "read",
    });

    await alice.client.api.conversations.setDisappearing.mutate({ conversationId: direct.id, seconds: null, startsAt: "send" });
    expect((await alice.client.api.conversations.get.query({ conversationId: direct.id })).disappearing).toBeNull();
    bobEvents.stop();
  });

  it("lets only the owner and admins set it in a group, and only to the offered timers", async () => {
    const owner = await server.signUp("owner");
    const member = await server.signUp("member");
    const group = await createGroup(owner, [member]);
    await expect(
      member.client.api.conversations.setDisappearing.mutate({ conversationId: group.id, seconds: 30, startsAt: "send" }),
    ).rejects.toMatchObject(forbidden);
    await owner.client.api.conversations.setRole.mutate({ conversationId: group.id, userId: member.user.id, role: "admin" });
    await member.client.api.conversations.setDisappearing.mutate({ conversationId: group.id, seconds: 30, startsAt: "send" });
    for (const seconds of [0, 31, -30, 1.5]) {
      await expect(
        owner.client.api.conversations.setDisappearing.mutate({ conversationId: group.id, seconds, startsAt: "send" }),
      ).rejects.toMatchObject(badRequest);
    }
    const outsider = await server.signUp("outsider");
    await expect(
      outsider.client.api.conversations.setDisappearing.mutate({ conversationId: group.id, seconds: 30, startsAt: "send" }),
    ).rejects.toMatchObject(forbidden);
  });

  it("applies the timer in force at each send: a change mid-conversation leaves earlier messages as they were", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const direct = await openDirect(alice, bob);
    const before = await send(alice, direct.id, "stays");
    await alice.client.api.conversations.setDisappearing.mutate({ conversationId: direct.id, seconds: 30, startsAt: "send" });
    const during = await send(alice, direct.id, "goes in 30 s");
    await alice.client.api.conversations.setDisappearing.mutate({ conversationId: direct.id, seconds: 3_600, startsAt: "send" });
    const later = await send(bob, direct.id, "goes in an hour");
    await alice.client.api.conversations.setDisappearing.mutate({ conversationId: direct.id, seconds: null, startsAt: "send" });
    const after = await send(bob, direct.id, "stays too");

    expect(before.expiresAt).toBeNull();
    expect(after.expiresAt).toBeNull();
    expect(Date.parse(during.expiresAt ?? "") - clock.now().getTime()).toBe(30_000);
    expect(Date.parse(later.expiresAt ?? "") - clock.now().getTime()).toBe(3_600_000);

    clock.advance(31);
    expect(await bodies(bob.client, direct.id)).toEqual(["stays too", "goes in an hour", "stays"]);
    clock.advance(3_600);
    expect(await bodies(alice.client, direct.id)).toEqual(["stays too", "stays"]);
  });
});

describe("disappearing messages", () => {
  it("from the send: gone for everyone at send + timer, before the sweeper runs, then purged from every table", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const direct = await openDirect(alice, bob);
    await alice.client.api.conversations.setDisappearing.mutate({ conversationId: direct.id, seconds: 30, startsAt: "send" });
    const secret = `crane-${randomUUID()}`;
    const message = await send(alice, direct.id, `the ${secret} is here`);
    await bob.client.api.messages.react.mutate({ messageId: message.id, emoji: "👍" });
    clock.advance(10);
    const reply = await bob.client.api.messages.send.mutate({ conversationId: direct.id, clientId: randomUUID(), body: "ok", replyToId: message.id });
    const bobEvents = await listen(bob.client);

    clock.advance(19);
    expect(await bodies(bob.client, direct.id)).toContain(`the ${secret} is here`);
    clock.advance(1);
    // The very instant it expires, whether or not the sweeper has run yet.
    for (const user of [alice, bob]) {
      expect(await bodies(user.client, direct.id)).toEqual(["ok"]);
      const summary = await user.client.api.conversations.get.query({ conversationId: direct.id });
      expect(summary.lastMessage?.id).toBe(reply.id);
      expect((await user.client.api.messages.search.query({ query: secret })).results).toEqual([]);
    }
    await expect(alice.client.api.messages.edit.mutate({ messageId: message.id, body: "changed" })).rejects.toMatchObject(forbidden);
    await expect(bob.client.api.messages.react.mutate({ messageId: message.id, emoji: "🎉" })).rejects.toMatchObject(forbidden);
    await expect(
      bob.client.api.messages.forward.mutate({ messageId: message.id, toConversationIds: [direct.id] }),
    ).rejects.toMatchObject(forbidden);

    expect(await bobEvents.waitFor((event) => event.type === "message.expired")).toEqual({
      type: "message.expired",
      conversationId: direct.id,
      messageId: message.id,
      seq: message.seq,
    });
    expect(await tracesOf(server, message, secret)).toEqual({ body: null, purged: true, events: 0, reactions: 0 });
    const [replyRow] = await queryRows<{ reply_to_id: string | null }>(server.database, "select reply_to_id from messages where id = $1", [reply.id]);
    expect(replyRow?.reply_to_id).toBeNull();
    bobEvents.stop();
  });

  it("from the read: each recipient's copy burns after they read it, the sender's once everyone has", async () => {
    const owner = await server.signUp("owner");
    const reader = await server.signUp("reader");
    const slowReader = await server.signUp("slow");
    const group = await createGroup(owner, [reader, slowReader]);
    await owner.client.api.conversations.setDisappearing.mutate({ conversationId: group.id, seconds: 30, startsAt: "read" });
    const secret = `burn-${randomUUID()}`;
    const message = await send(owner, group.id, secret);
    expect(message).toMatchObject({ expiresAt: null, expiresAfterReadSeconds: 30 });
    const ownerEvents = await listen(owner.client);

    // Unread, it waits however long it takes.
    clock.advance(3_600);
    expect(await bodies(reader.client, group.id)).toEqual([secret]);

    await markAllRead(reader, group.id);
    const readAt = clock.now().getTime();
    const readerView = (await reader.client.api.messages.history.query({ conversationId: group.id })).messages[0];
    expect(Date.parse(readerView?.expiresAt ?? "")).toBe(readAt + 30_000);
    expect((await owner.client.api.messages.history.query({ conversationId: group.id })).messages[0]?.expiresAt).toBeNull();

    clock.advance(30);
    expect(await bodies(reader.client, group.id)).toEqual([]);
    expect(await bodies(slowReader.client, group.id)).toEqual([secret]);
    expect(await bodies(owner.client, group.id)).toEqual([secret]);
    // An edit would reach the reader whose copy already burned.
    await expect(owner.client.api.messages.edit.mutate({ messageId: message.id, body: "new" })).rejects.toMatchObject(badRequest);

    await markAllRead(slowReader, group.id);
    const ownerView = (await owner.client.api.messages.history.query({ conversationId: group.id })).messages[0];
    expect(Date.parse(ownerView?.expiresAt ?? "")).toBe(clock.now().getTime() + 30_000);
    clock.advance(30);
    expect(await bodies(owner.client, group.id)).toEqual([]);
    await ownerEvents.waitFor((event) => event.type === "message.expired");
    expect(await tracesOf(server, message, secret)).toMatchObject({ body: null, purged: true, events: 0 });
    const expiries = await queryRows(server.database, "select * from message_expiries where message_id = $1", [message.id]);
    expect(expiries).toEqual([]);
    ownerEvents.stop();
  });

  it("never replays expired content on resume, purged or not", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const direct = await openDirect(alice, bob);
    await alice.client.api.conversations.setDisappearing.mutate({ conversationId: direct.id, seconds: 30, startsAt: "read" });
    const bobEvents = await listen(bob.client);
    const marker = await send(alice, direct.id, "before");
    await bobEvents.waitFor((event) => event.type === "message.created" && event.message.id === marker.id);
    bobEvents.stop();
    const resumeFrom = await lastEventIdOf(bob.client);

    const secret = `resume-${randomUUID()}`;
    const sent = await send(alice, direct.id, secret);
    // Bob reads on another device; his copy burns 30 s later; Alice's lives until the purge.
    await markAllRead(bob, direct.id);
    clock.advance(30);

    const replay = await resumeAndCollect(bob.client, resumeFrom);
    const replayed = replay.filter((event) => event.type === "message.created").map((event) => event.message.id);
    expect(replayed).not.toContain(sent.id);
    expect(JSON.stringify(replay)).not.toContain(secret);

    const afterPurge = await resumeAndCollect(bob.client, resumeFrom, (events) => events.some((event) => event.type === "message.expired"));
    expect(JSON.stringify(afterPurge)).not.toContain(secret);
    expect(afterPurge).toContainEqual({ type: "message.expired", conversationId: direct.id, messageId: sent.id, seq: sent.seq });
  });

  it("purges after a restart what expired while no server ran", async () => {
    const database = await createTestDatabase();
    const restartClock = manualClock();
    const first = await startTestServer({ clock: restartClock, database });
    let message: MessageView;
    const secret = `restart-${randomUUID()}`;
    try {
      const alice = await first.signUp("alice");
      const group = await alice.client.api.conversations.createGroup.mutate({ title: "Notes" });
      await alice.client.api.conversations.setDisappearing.mutate({ conversationId: group.id, seconds: 300, startsAt: "send" });
      message = await send(alice, group.id, secret);
    } finally {
      await first.stop();
    }
    restartClock.advance(301);
    const second = await startTestServer({ clock: restartClock, database });
    try {
      let traces = await tracesOf(second, message, secret);
      for (let attempt = 0; attempt < 40 && !traces.purged; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        traces = await tracesOf(second, message, secret);
      }
      expect(traces).toEqual({ body: null, purged: true, events: 0, reactions: 0 });
      const expired = await queryRows(second.database, "select id from events where type = 'message.expired' and payload->>'messageId' = $1", [message.id]);
      expect(expired).toHaveLength(1);
    } finally {
      await second.stop();
      await database.drop();
    }
  });
});

/** The id of the newest event the user's stream would start after. */
async function lastEventIdOf(client: ParleyClient): Promise<string> {
  return new Promise((resolve, reject) => {
    const subscription = client.api.events.stream.subscribe(
      {},
      {
        onData: (envelope) => {
          if (envelope.data.type === "stream.ready") {
            subscription.unsubscribe();
            resolve(envelope.id);
          }
        },
        onError: reject,
      },
    );
  });
}

/** Resumes from `lastEventId` and collects what the stream yields until it is live (and `until` holds). */
async function resumeAndCollect(
  client: ParleyClient,
  lastEventId: string,
  until: (events: StreamEvent[]) => boolean = () => true,
): Promise<StreamEvent[]> {
  for (let attempt = 0; ; attempt += 1) {
    const events = await new Promise<StreamEvent[]>((resolve, reject) => {
      const collected: StreamEvent[] = [];
      const subscription = client.api.events.stream.subscribe(
        { lastEventId },
        {
          onData: (envelope) => {
            if (envelope.data.type === "stream.ready") {
              subscription.unsubscribe();
              resolve(collected);
            } else {
              collected.push(envelope.data);
            }
          },
          onError: reject,
        },
      );
    });
    if (until(events) || attempt >= 40) return events;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
