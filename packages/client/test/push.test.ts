import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { callPushTtlSeconds, enqueuePush } from "@parley/api";
import { disappearingTimerSeconds, pushSubscriptionsPerUserMax } from "@parley/db/limits";

import { befriend, createGroup, createTestDatabase, listen, queryRows, startTestServer, type TestServer, type TestUser } from "./harness";
import { startTestPushService, type TestDevice, type TestPushService } from "./push-service";

let server: TestServer;
let pushService: TestPushService;

beforeAll(async () => {
  pushService = await startTestPushService();
  server = await startTestServer({ push: { ...pushService.serverOptions, retryBaseMs: 100 } });
});

afterAll(async () => {
  await server?.stop();
  await pushService?.stop();
});

async function subscribe(user: TestUser): Promise<TestDevice> {
  const device = pushService.newDevice();
  await user.client.api.push.subscribe.mutate({ endpoint: device.endpoint, keys: device.keys, userAgent: "test browser" });
  return device;
}

async function directPair(): Promise<{ alice: TestUser; bob: TestUser; conversationId: string }> {
  const alice = await server.signUp("alice");
  const bob = await server.signUp("bob");
  await befriend(alice, bob);
  const direct = await alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id });
  return { alice, bob, conversationId: direct.id };
}

function send(user: TestUser, conversationId: string, body: string) {
  return user.client.api.messages.send.mutate({ conversationId, clientId: randomUUID(), body });
}

/** Resolves once every logged event was planned and nothing is waiting to be sent (or retried). */
async function settled(target: TestServer = server, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await queryRows<{ behind: boolean; queued: number }>(
      target.database,
      `select (select last_event_id from push_cursor) < (select coalesce(max(id), 0) from events) as behind,
              (select count(*)::int from push_outbox) as queued`,
    );
    if (row && !row.behind && row.queued === 0) return;
    if (Date.now() > deadline) throw new Error(`push queue did not settle: ${JSON.stringify(row)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function waitForPushes(device: TestDevice, count: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (device.received.length < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} pushes, got ${device.received.length}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("push", () => {
  it("gives the same VAPID public key to everyone, and signs pushes with it", async () => {
    const { alice, bob, conversationId } = await directPair();
    const { publicKey } = await bob.client.api.push.publicKey.query();
    expect((await alice.client.api.push.publicKey.query()).publicKey).toBe(publicKey);
    expect(Buffer.from(publicKey, "base64url")).toHaveLength(65);
    const device = await subscribe(bob);
    await send(alice, conversationId, "hi");
    await waitForPushes(device, 1);
    const authorization = String(device.received[0]?.headers.authorization);
    expect(authorization).toContain(`k=${publicKey}`);
    expect(device.received[0]?.headers.ttl).toBe(String(24 * 60 * 60));
    expect(device.received[0]?.headers.urgency).toBe("high");
    expect(device.received[0]?.headers.topic).toBe(conversationId.replaceAll("-", ""));
  });

  it("pushes a message to a member who is away, without its text unless they allow previews", async () => {
    const { alice, bob, conversationId } = await directPair();
    const device = await subscribe(bob);
    const first = await send(alice, conversationId, "the secret plan");
    await waitForPushes(device, 1);
    expect(device.received[0]?.payload).toEqual({ type: "message", conversationId, seq: first.seq, mention: false, preview: null });
    expect(device.received[0]?.text).not.toContain("secret");
    expect(device.received[0]?.text).not.toContain(alice.user.displayName);

    expect(await bob.client.api.notifications.settings.query()).toEqual({ previews: false });
    await bob.client.api.notifications.updateSettings.mutate({ previews: true });
    expect(await bob.client.api.notifications.settings.query()).toEqual({ previews: true });
    const second = await send(alice, conversationId, "the secret plan, part two");
    await waitForPushes(device, 2);
    expect(device.received[1]?.payload).toEqual({
      type: "message",
      conversationId,
      seq: second.seq,
      mention: false,
      preview: { title: alice.user.displayName, body: "the secret plan, part two" },
    });
    // Disappearing messages are never previewed: the text would outlive them on a lock screen.
    await alice.client.api.conversations.setDisappearing.mutate({ conversationId, seconds: disappearingTimerSeconds[0], startsAt: "send" });
    const fleeting = await send(alice, conversationId, "gone soon");
    await waitForPushes(device, 3);
    expect(device.received.at(-1)?.payload).toEqual({ type: "message", conversationId, seq: fleeting.seq, mention: false, preview: null });
    expect(device.received.at(-1)?.text).not.toContain("gone soon");
    // The sender is never pushed their own message.
    expect(await queryRows(server.database, "select 1 from push_shown where user_id = $1", [alice.user.id])).toEqual([]);
  });

  it("does not push while another device of the member shows the conversation, and does again once it is hidden", async () => {
    const { alice, bob, conversationId } = await directPair();
    const phone = await subscribe(bob);
    const laptop = await server.signIn(bob);
    await laptop.client.api.notifications.viewing.mutate({ conversationId });
    await send(alice, conversationId, "you are looking at this");
    await settled();
    expect(phone.received).toEqual([]);

    await laptop.client.api.notifications.viewing.mutate({ conversationId: null });
    const later = await send(alice, conversationId, "now you are not");
    await waitForPushes(phone, 1);
    expect(phone.received[0]?.payload).toMatchObject({ type: "message", seq: later.seq });
  });

  it("refuses to report viewing a conversation the caller is not in", async () => {
    const { conversationId } = await directPair();
    const stranger = await server.signUp("stranger");
    await expect(stranger.client.api.notifications.viewing.mutate({ conversationId })).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
  });

  it("honours mutes: a timed mute lets @mentions through, muted forever is silent, unmuting restores pushes", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const carol = await server.signUp("carol");
    const group = await createGroup(alice, [bob, carol]);
    const device = await subscribe(bob);
    const carolDevice = await subscribe(carol);
    const bobsLaptop = await listen((await server.signIn(bob)).client);

    const mute = await bob.client.api.notifications.mute.mutate({ conversationId: group.id, duration: "1h" });
    // The member's other devices hear of it; no one else does.
    await bobsLaptop.waitFor((event) => event.type === "mute.changed" && event.conversationId === group.id && event.mute?.mutedUntil === mute?.mutedUntil);
    expect(mute?.mutedUntil).not.toBeNull();
    expect(await bob.client.api.notifications.mutes.query()).toEqual([{ conversationId: group.id, mutedUntil: mute?.mutedUntil }]);
    await send(alice, group.id, "hello team");
    await waitForPushes(carolDevice, 1);
    await settled();
    expect(device.received).toEqual([]);

    const mention = await send(alice, group.id, `@${bob.username}, can you look?`);
    await waitForPushes(device, 1);
    await waitForPushes(carolDevice, 2);
    expect(device.received[0]?.payload).toMatchObject({ type: "message", seq: mention.seq, mention: true });
    expect(carolDevice.received.at(-1)?.payload).toMatchObject({ seq: mention.seq, mention: false });

    await bob.client.api.notifications.mute.mutate({ conversationId: group.id, duration: "forever" });
    expect(await bob.client.api.notifications.mutes.query()).toEqual([{ conversationId: group.id, mutedUntil: null }]);
    await send(alice, group.id, `@${bob.username} again`);
    await settled();
    expect(device.received).toHaveLength(1);

    await bob.client.api.notifications.unmute.mutate({ conversationId: group.id });
    expect(await bob.client.api.notifications.mutes.query()).toEqual([]);
    const after = await send(alice, group.id, "back to normal");
    await waitForPushes(device, 2);
    expect(device.received[1]?.payload).toMatchObject({ seq: after.seq, mention: false });
  });

  it("refuses to mute a conversation the caller is not in, or for an unknown length", async () => {
    const { conversationId, alice } = await directPair();
    const stranger = await server.signUp("stranger");
    await expect(stranger.client.api.notifications.mute.mutate({ conversationId, duration: "1h" })).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    await expect(
      alice.client.api.notifications.mute.mutate({ conversationId, duration: "2d" as "1h" }),
    ).rejects.toMatchObject({ data: { code: "BAD_REQUEST" } });
  });

  it("removes a subscription whose push service answers 410 Gone", async () => {
    const { alice, bob, conversationId } = await directPair();
    const device = await subscribe(bob);
    pushService.respondWith(device, 410);
    await send(alice, conversationId, "anyone there?");
    await settled();
    expect(pushService.requests.filter((request) => device.endpoint.endsWith(request.endpoint))).toEqual([
      { endpoint: new URL(device.endpoint).pathname, status: 410 },
    ]);
    expect(await queryRows(server.database, "select 1 from push_subscriptions where endpoint = $1", [device.endpoint])).toEqual([]);
  });

  it("retries a failing push service with backoff until it takes the push", async () => {
    const { alice, bob, conversationId } = await directPair();
    const device = await subscribe(bob);
    pushService.respondWith(device, 503);
    await send(alice, conversationId, "retry me");
    const path = new URL(device.endpoint).pathname;
    const deadline = Date.now() + 5_000;
    while (pushService.requests.filter((request) => request.endpoint === path).length < 2) {
      if (Date.now() > deadline) throw new Error("no retry");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    pushService.respondWith(device, 201);
    await waitForPushes(device, 1);
    await settled();
    expect(device.received).toHaveLength(1);
    expect(await queryRows<{ status: number }>(server.database, "select 1 from push_subscriptions where endpoint = $1", [device.endpoint])).toHaveLength(1);
  });

  it("ends a device's subscription with its session", async () => {
    const { alice, bob, conversationId } = await directPair();
    const tablet = await server.signIn(bob);
    const device = await subscribe(tablet);
    const sessions = await bob.client.api.auth.sessions.query();
    const tabletSession = sessions.find((session) => !session.current && session.id !== undefined);
    if (!tabletSession) throw new Error("the tablet's session is not listed");
    await bob.client.api.auth.revokeSession.mutate({ sessionId: tabletSession.id });
    expect(await queryRows(server.database, "select 1 from push_subscriptions where endpoint = $1", [device.endpoint])).toEqual([]);
    await send(alice, conversationId, "the tablet is gone");
    await settled();
    expect(device.received).toEqual([]);
  });

  it("unsubscribes this device only", async () => {
    const { alice, bob, conversationId } = await directPair();
    const phone = await subscribe(bob);
    const laptop = await server.signIn(bob);
    const laptopDevice = await subscribe(laptop);
    expect(await laptop.client.api.push.unsubscribe.mutate({})).toEqual({ removed: 1 });
    await send(alice, conversationId, "only the phone");
    await waitForPushes(phone, 1);
    await settled();
    expect(laptopDevice.received).toEqual([]);
  });

  it("withdraws a notification when the conversation is read on any device", async () => {
    const { alice, bob, conversationId } = await directPair();
    const device = await subscribe(bob);
    const message = await send(alice, conversationId, "read me");
    await waitForPushes(device, 1);
    const laptop = await server.signIn(bob);
    await laptop.client.api.messages.markRead.mutate({ conversationId, seq: message.seq });
    await waitForPushes(device, 2);
    expect(device.received[1]?.payload).toEqual({ type: "close", conversationId, seq: message.seq });
    expect(device.received[1]?.headers.topic).toBe(conversationId.replaceAll("-", ""));
    // Read again with nothing new shown: no second withdrawal.
    await laptop.client.api.messages.markRead.mutate({ conversationId, seq: message.seq });
    await settled();
    expect(device.received).toHaveLength(2);
  });

  it("refuses an endpoint on a host that is not a push service in PUSH_SERVICE_HOSTS, and never posts there", async () => {
    const bob = await server.signUp("bob");
    const device = pushService.newDevice();
    for (const endpoint of [
      device.endpoint.replace("127.0.0.1", "localhost"),
      "https://169.254.169.254/latest/meta-data/",
      "https://fcm.googleapis.com.attacker.example/fcm/send/x",
      `https://user:secret@127.0.0.1${new URL(device.endpoint).pathname}`,
    ]) {
      await expect(bob.client.api.push.subscribe.mutate({ endpoint, keys: device.keys })).rejects.toMatchObject({
        data: { code: "BAD_REQUEST" },
        message: expect.stringContaining("endpoint must be on a push service this server sends to (127.0.0.1)") as unknown,
      });
    }
    expect(await queryRows(server.database, `select 1 from push_subscriptions where user_id = '${bob.user.id}'`)).toHaveLength(0);

  });

  it("pushes to a user's newest devices only, up to the cap", async () => {
    const carol = await server.signUp("carol");
    const devices: TestDevice[] = [];
    for (let index = 0; index < pushSubscriptionsPerUserMax + 2; index += 1) {
      const session = index === 0 ? carol : await server.signIn(carol);
      devices.push(await subscribe(session));
    }
    const stored = await queryRows<{ endpoint: string }>(server.database, `select endpoint from push_subscriptions where user_id = '${carol.user.id}'`);
    expect(stored.map((row) => row.endpoint).sort()).toEqual(devices.slice(2).map((device) => device.endpoint).sort());
  });

  it("rejects subscriptions that are not a browser's: plain http, wrong key sizes", async () => {
    const bob = await server.signUp("bob");
    const device = pushService.newDevice();
    const http = device.endpoint.replace("https:", "http:");
    await expect(bob.client.api.push.subscribe.mutate({ endpoint: http, keys: device.keys })).rejects.toMatchObject({ data: { code: "BAD_REQUEST" } });
    await expect(
      bob.client.api.push.subscribe.mutate({ endpoint: device.endpoint, keys: { p256dh: device.keys.p256dh, auth: "c2hvcnQ" } }),
    ).rejects.toMatchObject({ data: { code: "BAD_REQUEST" } });
    await expect(
      bob.client.api.push.subscribe.mutate({ endpoint: device.endpoint, keys: { p256dh: device.keys.auth, auth: device.keys.auth } }),
    ).rejects.toMatchObject({ data: { code: "BAD_REQUEST" } });
  });
});

describe("the push hook for other notifications", () => {
  it("queues a call for every device of the user inside the caller's transaction, and only if it commits", async () => {
    const { bob, conversationId } = await directPair();
    const phone = await subscribe(bob);
    const laptopDevice = await subscribe(await server.signIn(bob));
    const payload = { type: "call" as const, conversationId, callId: "call-1", preview: null };
    await server.services.db
      .transaction(async (tx) => {
        await enqueuePush(tx, { userId: bob.user.id, payload, ttlSeconds: callPushTtlSeconds, urgency: "high", now: new Date() });
        throw new Error("the call was not placed after all");
      })
      .catch(() => undefined);
    const queued = await server.services.db.transaction((tx) =>
      enqueuePush(tx, { userId: bob.user.id, payload: { ...payload, callId: "call-2" }, ttlSeconds: callPushTtlSeconds, urgency: "high", now: new Date() }),
    );
    expect(queued).toBe(2);
    await waitForPushes(phone, 1);
    await waitForPushes(laptopDevice, 1);
    await settled();
    expect(phone.received.map((push) => push.payload)).toEqual([{ ...payload, callId: "call-2" }]);
    expect(phone.received[0]?.headers.ttl).toBe(String(callPushTtlSeconds));
    expect(phone.received[0]?.headers.urgency).toBe("high");
    expect(phone.received[0]?.headers.topic).toBeUndefined();
    expect(laptopDevice.received).toHaveLength(1);
  });
});

describe("incoming calls", () => {
  it("ring a callee who is away through push, naming the caller only with previews, and not one muted for good", async () => {
    const { alice, bob, conversationId } = await directPair();
    const device = await subscribe(bob);
    const first = await alice.client.api.calls.start.mutate({ conversationId, media: "video" });
    await waitForPushes(device, 1);
    expect(device.received[0]?.payload).toEqual({ type: "call", conversationId, callId: first.callId, preview: null });
    expect(device.received[0]?.text).not.toContain(alice.user.displayName);
    expect(device.received[0]?.headers.urgency).toBe("high");
    expect(device.received[0]?.headers.ttl).toBe(String(callPushTtlSeconds));
    await alice.client.api.calls.hangup.mutate({ callId: first.callId });

    await bob.client.api.notifications.updateSettings.mutate({ previews: true });
    const second = await alice.client.api.calls.start.mutate({ conversationId, media: "audio" });
    await waitForPushes(device, 2);
    expect(device.received[1]?.payload).toEqual({ type: "call", conversationId, callId: second.callId, preview: { title: alice.user.displayName } });
    await alice.client.api.calls.hangup.mutate({ callId: second.callId });

    await bob.client.api.notifications.mute.mutate({ conversationId, duration: "forever" });
    const third = await alice.client.api.calls.start.mutate({ conversationId, media: "audio" });
    await alice.client.api.calls.hangup.mutate({ callId: third.callId });
    await settled();
    expect(device.received.filter((push) => (push.payload as { type: string }).type === "call")).toHaveLength(2);
  });
});

describe("a push service taken off PUSH_SERVICE_HOSTS", () => {
  it("is never posted to again: its subscriptions are removed, unsent, after a restart", async () => {
    const database = await createTestDatabase();
    try {
      const before = await startTestServer({ database, push: { ...pushService.serverOptions } });
      const alice = await before.signUp("alice");
      const bob = await before.signUp("bob");
      await befriend(alice, bob);
      const { id: conversationId } = await alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id });
      const device = pushService.newDevice();
      await bob.client.api.push.subscribe.mutate({ endpoint: device.endpoint, keys: device.keys });
      await before.stop();

      // Restarted with the default list, which does not name the local service.
      const after = await startTestServer({ database, push: { agent: pushService.agent } });
      try {
        await send(await after.signIn(alice), conversationId, "hello");
        await settled(after);
        expect(await queryRows(database, `select 1 from push_subscriptions where user_id = '${bob.user.id}'`)).toHaveLength(0);
        expect(pushService.requests.filter((request) => device.endpoint.endsWith(request.endpoint))).toHaveLength(0);
        expect(device.received).toHaveLength(0);
      } finally {
        await after.stop();
      }
    } finally {
      await database.drop();
    }
  });
});

describe("the push queue across a restart", () => {
  it("loses nothing and sends nothing twice when the server stops in the middle of a queue", async () => {
    const database = await createTestDatabase();
    try {
      // Five pushes a round: the stop below lands between rounds, with most of the queue unsent.
      const first = await startTestServer({ database, push: { ...pushService.serverOptions, batchSize: 5 } });
      const alice = await first.signUp("alice");
      const bob = await first.signUp("bob");
      await befriend(alice, bob);
      const { id: conversationId } = await alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id });
      const device = pushService.newDevice();
      await bob.client.api.push.subscribe.mutate({ endpoint: device.endpoint, keys: device.keys });
      // A slow push service keeps the queue long enough to stop in its middle.
      pushService.respondWith(device, 201, 100);
      const count = 25;
      const sentSeqs: number[] = [];
      for (let index = 0; index < count; index += 1) sentSeqs.push((await send(alice, conversationId, `message ${index + 1}`)).seq);
      await waitForPushes(device, 3);
      await first.stop();
      const receivedBeforeRestart = device.received.length;
      expect(receivedBeforeRestart).toBeLessThan(count);

      const second = await startTestServer({ database, push: { ...pushService.serverOptions } });
      try {
        await waitForPushes(device, count, 20_000);
        await settled(second);
        const seqs = device.received.map((push) => push.payload.seq as number);
        expect(seqs).toHaveLength(count);
        expect(new Set(seqs).size).toBe(count);
        expect([...seqs].sort((a, b) => a - b)).toEqual(sentSeqs);
      } finally {
        await second.stop();
      }
    } finally {
      await database.drop();
    }
  }, 60_000);
});

const twoNodes = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
if (!twoNodes) console.info("push across two nodes skipped: it needs DATABASE_URL and REDIS_URL (the nodes share Postgres and Redis)");

describe.skipIf(!twoNodes)("push across two nodes sharing Postgres and Redis", () => {
  it("does not push a member whose device, connected to the other node, shows the conversation", async () => {
    const database = await createTestDatabase();
    const nodeA = await startTestServer({ database, redisUrl: process.env.REDIS_URL, push: { ...pushService.serverOptions } });
    const nodeB = await startTestServer({ database, redisUrl: process.env.REDIS_URL, push: { ...pushService.serverOptions } });
    try {
      const alice = await nodeA.signUp("alice");
      const bob = await nodeA.signUp("bob");
      await befriend(alice, bob);
      const { id: conversationId } = await alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id });
      const phone = pushService.newDevice();
      await bob.client.api.push.subscribe.mutate({ endpoint: phone.endpoint, keys: phone.keys });
      const laptop = await nodeB.signIn(bob);
      await laptop.client.api.notifications.viewing.mutate({ conversationId });

      for (let index = 0; index < 3; index += 1) await send(alice, conversationId, `seen on the laptop ${index}`);
      await settled(nodeA);
      expect(phone.received).toEqual([]);

      await laptop.client.api.notifications.viewing.mutate({ conversationId: null });
      const away = await send(alice, conversationId, "now bob is away");
      await waitForPushes(phone, 1);
      await settled(nodeA);
      expect(phone.received.map((push) => push.payload.seq)).toEqual([away.seq]);
    } finally {
      await nodeB.stop();
      await nodeA.stop();
      await database.drop();
    }
  }, 60_000);
});

