import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, expect, it } from "vitest";

import type { ParleyClient, StreamEvent } from "../src/index";
import { befriend, listen, startTestServer, type TestServer } from "./harness";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ sendRate: { burst: 100_000, perSecond: 100_000 } });
});

afterAll(async () => {
  await server?.stop();
});

function createdIn(events: StreamEvent[], conversationId: string): string[] {
  return events.flatMap((event) =>
    event.type === "message.created" && event.conversationId === conversationId ? [event.message.id] : [],
  );
}

async function unreadCount(client: ParleyClient, conversationId: string): Promise<number | undefined> {
  const conversations = await client.api.conversations.list.query();
  return conversations.find((conversation) => conversation.id === conversationId)?.unreadCount;
}

it("delivers every message to both of a user's sessions and syncs read state between them", async () => {
  const alice = await server.signUp("alice");
  const alicePhone = await server.signIn(alice);
  expect(alicePhone.token).not.toBe(alice.token);
  const bob = await server.signUp("bob");
  const carol = await server.signUp("carol");
  await befriend(alice, bob);
  await befriend(alice, carol);
  await befriend(carol, bob);

  const [laptop, phone] = await Promise.all([listen(alice.client), listen(alicePhone.client)]);
  const direct = await bob.client.api.conversations.openDirect.mutate({ userId: alice.user.id });
  const group = await carol.client.api.conversations.createGroup.mutate({
    title: "Weekend",
    memberIds: [alice.user.id, bob.user.id],
  });

  // Alice writes from her laptop first (sending reads everything before it): her phone shows it too.
  const own = await alice.client.api.messages.send.mutate({ conversationId: direct.id, clientId: randomUUID(), body: "from my laptop" });
  const sent: Record<string, string[]> = { [direct.id]: [own.id], [group.id]: [] };
  for (let index = 0; index < 30; index += 1) {
    const [sender, conversationId] = index % 3 === 0 ? [carol, group.id] : [bob, index % 2 === 0 ? group.id : direct.id];
    const message = await sender.client.api.messages.send.mutate({
      conversationId,
      clientId: randomUUID(),
      body: `message ${index}`,
    });
    sent[conversationId]?.push(message.id);
  }

  for (const device of [laptop, phone]) {
    for (const conversationId of [direct.id, group.id]) {
      const expected = sent[conversationId] ?? [];
      await device.waitFor(
        () => createdIn(device.events, conversationId).length >= expected.length,
        10_000,
      );
      expect(createdIn(device.events, conversationId)).toEqual(expected);
    }
  }

  const directCount = sent[direct.id]?.length ?? 0;
  // Bob's messages after Alice's own are unread on both devices.
  expect(await unreadCount(alice.client, direct.id)).toBe(directCount - 1);
  expect(await unreadCount(alicePhone.client, direct.id)).toBe(directCount - 1);

  // Reading part of the direct conversation on the phone reaches the laptop.
  const readUpTo = 5;
  await alicePhone.client.api.messages.markRead.mutate({ conversationId: direct.id, seq: readUpTo });
  const receipt = await laptop.waitFor(
    (event) =>
      event.type === "receipt.read" &&
      event.conversationId === direct.id &&
      event.userId === alice.user.id &&
      event.lastReadSeq === readUpTo,
  );
  expect(receipt).toMatchObject({ type: "receipt.read", lastReadSeq: readUpTo });
  expect(await unreadCount(alice.client, direct.id)).toBe(directCount - readUpTo);
  expect(await unreadCount(alicePhone.client, direct.id)).toBe(directCount - readUpTo);

  // Reading the whole group on the laptop reaches the phone.
  const groupCount = sent[group.id]?.length ?? 0;
  expect(await unreadCount(alicePhone.client, group.id)).toBe(groupCount);
  await alice.client.api.messages.markRead.mutate({ conversationId: group.id, seq: groupCount });
  await phone.waitFor(
    (event) =>
      event.type === "receipt.read" &&
      event.conversationId === group.id &&
      event.userId === alice.user.id &&
      event.lastReadSeq === groupCount,
  );
  expect(await unreadCount(alicePhone.client, group.id)).toBe(0);
  expect(await unreadCount(alice.client, group.id)).toBe(0);

  laptop.stop();
  phone.stop();
});
