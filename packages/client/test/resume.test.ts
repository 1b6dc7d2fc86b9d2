import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, expect, it } from "vitest";

import type { MessageView, ParleyClient, StreamEvent } from "../src/index";
import { befriend, startTestServer, type TestServer, type TestUser } from "./harness";
import { seededRandom } from "./seeded-random";

const messagesPerSender = 700;
const sendLanesPerSender = 3;
const minimumReconnects = 50;
const cutIntervalMs = { min: 20, max: 150 };

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ sendRate: { burst: 100_000, perSecond: 100_000 } });
});

afterAll(async () => {
  await server?.stop();
});

interface ReceivedEvent {
  /** The stream position the event carries. */
  id: string | null;
  event: StreamEvent;
}

/** Subscribes through the SDK and keeps every event with its id, in arrival order. */
function receiveEverything(client: ParleyClient) {
  const received: ReceivedEvent[] = [];
  const errors: unknown[] = [];
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const subscription = client.api.events.stream.subscribe(
    {},
    {
      onData: (envelope) => {
        const item: ReceivedEvent =
          "id" in envelope && "data" in envelope
            ? { id: envelope.id, event: envelope.data }
            : { id: null, event: envelope };
        received.push(item);
        if (item.event.type === "stream.ready") markReady();
      },
      onError: (error) => errors.push(error),
    },
  );
  return { received, errors, ready, stop: () => subscription.unsubscribe() };
}

/** Every stored message of a conversation, oldest first, read through `messages.history`. */
async function storedMessages(client: ParleyClient, conversationId: string): Promise<MessageView[]> {
  const pages: MessageView[][] = [];
  let beforeSeq: number | undefined;
  for (;;) {
    const page = await client.api.messages.history.query({ conversationId, beforeSeq, limit: 100 });
    pages.push(page.messages);
    if (page.nextBeforeSeq === null) break;
    beforeSeq = page.nextBeforeSeq;
  }
  return pages.flat().sort((a, b) => a.seq - b.seq);
}

async function sendAll(sender: TestUser, conversationIds: string[], count: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let index = next++; index < count; index = next++) {
      await sender.client.api.messages.send.mutate({
        conversationId: conversationIds[index % conversationIds.length] as string,
        clientId: randomUUID(),
        body: `${sender.username} #${index}`,
      });
    }
  };
  await Promise.all(Array.from({ length: sendLanesPerSender }, lane));
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it(
  "delivers every stored message exactly once and in order to a receiver whose connection keeps dropping",
  async () => {
    const receiver = await server.signUp("receiver");
    const senders = [await server.signUp("ann"), await server.signUp("ben"), await server.signUp("cat")];
    for (const sender of senders) await befriend(receiver, sender);
    const group = await receiver.client.api.conversations.createGroup.mutate({
      title: "Everyone",
      memberIds: senders.map((sender) => sender.user.id),
    });
    const [ann, ben, cat] = senders as [TestUser, TestUser, TestUser];
    const directWithAnn = await ann.client.api.conversations.openDirect.mutate({ userId: receiver.user.id });
    const directWithBen = await ben.client.api.conversations.openDirect.mutate({ userId: receiver.user.id });
    const conversationIds = [group.id, directWithAnn.id, directWithBen.id];

    let opens = 0;
    receiver.client.onConnectionState((state) => {
      if (state === "open") opens += 1;
    });
    const stream = receiveEverything(receiver.client);
    await stream.ready;

    let sendingDone = false;
    const sending = Promise.all([
      sendAll(ann, [group.id, directWithAnn.id], messagesPerSender),
      sendAll(ben, [group.id, directWithBen.id], messagesPerSender),
      sendAll(cat, [group.id], messagesPerSender),
    ]).finally(() => {
      sendingDone = true;
    });

    // Cut at random moments until the sending is over and the client has come back often enough.
    const random = seededRandom(20_241_124);
    let cuts = 0;
    const cutDeadline = Date.now() + 150_000;
    while ((!sendingDone || opens - 1 < minimumReconnects) && Date.now() < cutDeadline) {
      await new Promise((resolve) => setTimeout(resolve, random.integer(cutIntervalMs.min, cutIntervalMs.max)));
      server.cutConnections();
      cuts += 1;
    }
    await sending;

    const stored = new Map<string, MessageView[]>();
    for (const id of conversationIds) stored.set(id, await storedMessages(receiver.client, id));
    const totalStored = [...stored.values()].reduce((sum, messages) => sum + messages.length, 0);
    expect(totalStored).toBe(3 * messagesPerSender);

    const receivedMessages = () =>
      stream.received.flatMap(({ event }) => (event.type === "message.created" ? [event.message] : []));
    await waitUntil(() => receivedMessages().length >= totalStored, 30_000);

    const reconnects = opens - 1;
    expect(cuts).toBeGreaterThanOrEqual(minimumReconnects);
    expect(reconnects).toBeGreaterThanOrEqual(minimumReconnects);
    expect(stream.errors).toEqual([]);

    for (const id of conversationIds) {
      const expected = (stored.get(id) ?? []).map((message) => `${message.seq}:${message.id}`);
      const actual = receivedMessages()
        .filter((message) => message.conversationId === id)
        .map((message) => `${message.seq}:${message.id}`);
      // Equal lists: nothing missing, nothing twice, and in seq order.
      expect(actual).toEqual(expected);
      expect(expected.map((entry) => Number(entry.split(":")[0]))).toEqual(
        Array.from({ length: expected.length }, (_, index) => index + 1),
      );
    }

    // Across conversations too, durable events arrive once each, in log order.
    const durableIds = stream.received
      .filter((item) => item.id !== null && !["stream.ready", "typing", "presence"].includes(item.event.type))
      .map((item) => Number(item.id));
    for (let index = 1; index < durableIds.length; index += 1) {
      expect(durableIds[index]).toBeGreaterThan(durableIds[index - 1] as number);
    }
    stream.stop();
  },
  240_000,
);

it("resumes from the last position after a typing notice, missing nothing", async () => {
  const [dan, eve] = [await server.signUp("dan"), await server.signUp("eve")];
  await befriend(dan, eve);
  const chat = await dan.client.api.conversations.openDirect.mutate({ userId: eve.user.id });
  const stream = receiveEverything(eve.client);
  await stream.ready;
  const received = (body: string) =>
    stream.received.filter((item) => item.event.type === "message.created" && item.event.message.body === body);
  const waitUntil = async (condition: () => boolean) => {
    for (let waited = 0; !condition(); waited += 10) {
      if (waited > 10_000) throw new Error("timed out");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  await dan.client.api.messages.send.mutate({ conversationId: chat.id, clientId: randomUUID(), body: "before" });
  await waitUntil(() => received("before").length === 1);
  await dan.client.api.conversations.typing.mutate({ conversationId: chat.id });
  await waitUntil(() => stream.received.some((item) => item.event.type === "typing"));

  // The last thing Eve's device got is a typing notice: its resume must still start after "before".
  server.cutConnections();
  await dan.client.api.messages.send.mutate({ conversationId: chat.id, clientId: randomUUID(), body: "during" });
  await waitUntil(() => stream.received.filter((item) => item.event.type === "stream.ready").length === 2);
  await waitUntil(() => received("during").length === 1);

  const [, again] = stream.received.filter((item) => item.event.type === "stream.ready");
  expect(again?.event).toEqual({ type: "stream.ready", resumed: true });
  expect(received("before")).toHaveLength(1);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(received("during")).toHaveLength(1);
  stream.stop();
});
