import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, expect, it } from "vitest";

import type { MessageView, ParleyClient, StreamEvent } from "../src/index";
import { befriend, createGroup, queryRows, startTestServer, type TestServer, type TestUser } from "./harness";
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

/** Subscribes through the SDK (from `lastEventId` when given) and keeps every event with its id, in arrival order. */
function receiveEverything(client: ParleyClient, lastEventId?: string) {
  const received: ReceivedEvent[] = [];
  const errors: unknown[] = [];
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const subscription = client.api.events.stream.subscribe(
    lastEventId ? { lastEventId } : {},
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

it("resumes exactly from a position inside or at the edge of a batch of stored sends", async () => {
  const reader = await server.signUp("reader");
  const senders = await Promise.all(["fay", "gus", "hal", "ivy"].map((name) => server.signUp(name)));
  const group = await createGroup(reader, senders, "Batches");
  const groupMessages = (stream: ReturnType<typeof receiveEverything>) =>
    stream.received.flatMap(({ id, event }) =>
      event.type === "message.created" && event.conversationId === group.id ? [{ id, message: event.message }] : [],
    );
  // All of a burst's sends leave at once, so the server's writer queues them and stores them in batches.
  const burst = (round: string, perSender: number) =>
    Promise.all(
      senders.flatMap((sender) =>
        Array.from({ length: perSender }, (_, index) =>
          sender.client.api.messages.send.mutate({
            conversationId: group.id,
            clientId: randomUUID(),
            body: `${sender.username} ${round} #${index}`,
          }),
        ),
      ),
    );
  const writerBefore = server.services.messageWriter.stats();

  const live = receiveEverything(reader.client);
  await live.ready;
  const first = await burst("first", 60);
  await waitUntil(() => groupMessages(live).length >= first.length, 30_000);
  expect(groupMessages(live).map(({ message }) => message.seq)).toEqual(first.map((_, index) => index + 1));

  // Rows stored by one transaction share its xmin, and a batch holds the conversation's row until
  // it commits, so each run of equal xmins in seq order is one batch.
  const rows = await queryRows<{ seq: number; transaction: string }>(
    server.database,
    "select seq, xmin::text as transaction from messages where conversation_id = $1 order by seq",
    [group.id],
  );
  const batches: { transaction: string; first: number; last: number }[] = [];
  for (const row of rows) {
    const current = batches.at(-1);
    if (current?.transaction === row.transaction) current.last = row.seq;
    else batches.push({ transaction: row.transaction, first: row.seq, last: row.seq });
  }
  const wide = batches.filter((batch) => batch.last - batch.first >= 2);
  expect(wide.length, "a batch of at least three messages").toBeGreaterThan(0);
  const batch = wide[Math.floor(wide.length / 2)] as (typeof wide)[number];
  // k is how many of the group's messages the device had received when it went away.
  const positions = [
    batch.first - 1,
    batch.first,
    Math.floor((batch.first + batch.last) / 2),
    batch.last - 1,
    batch.last,
    first.length,
  ].filter((k, index, all) => k > 0 && all.indexOf(k) === index);

  console.info(
    `resume across batches: the first ${first.length} messages were stored in ${batches.length} batches ` +
      `(largest ${Math.max(...batches.map((each) => each.last - each.first + 1))}); devices resume after messages ` +
      `${positions.join(", ")} (batch ${batch.first}..${batch.last})`,
  );
  // Each device resumes from the k-th message's event id while the second burst is being stored.
  // One sign-in at a time: the account's login guard refuses parallel ones.
  const devices: TestUser[] = [];
  for (const _ of positions) devices.push(await server.signIn(reader));
  const resumed = positions.map((k, index) => {
    const lastEventId = groupMessages(live)[k - 1]?.id;
    if (!lastEventId) throw new Error(`message ${k} arrived without an event id`);
    return { k, stream: receiveEverything((devices[index] as TestUser).client, lastEventId) };
  });
  const second = await burst("second", 40);
  // Anything delivered twice would come before this last message, which each stream gets last.
  const last = await (senders[0] as TestUser).client.api.messages.send.mutate({
    conversationId: group.id,
    clientId: randomUUID(),
    body: "the last one",
  });
  const history = await storedMessages(reader.client, group.id);
  expect(history.map((message) => message.seq)).toEqual(
    Array.from({ length: first.length + second.length + 1 }, (_, index) => index + 1),
  );

  for (const { k, stream } of resumed) {
    await waitUntil(() => groupMessages(stream).some(({ message }) => message.id === last.id), 30_000);
    expect(stream.errors).toEqual([]);
    expect(stream.received.find((item) => item.event.type === "stream.ready")?.event).toEqual({
      type: "stream.ready",
      resumed: true,
    });
    // Equal lists: every message after the k-th, once each, in seq order.
    expect(
      groupMessages(stream).map(({ message }) => `${message.seq}:${message.id}`),
      `the device that went away after message ${k} of batch ${batch.first}..${batch.last}`,
    ).toEqual(history.slice(k).map((message) => `${message.seq}:${message.id}`));
    stream.stop();
  }
  live.stop();

  // The bursts really were stored in batches of several sends.
  const writerAfter = server.services.messageWriter.stats();
  expect(writerAfter.batches - writerBefore.batches).toBeLessThan(writerAfter.sends - writerBefore.sends);
  expect(writerAfter.largestBatch).toBeGreaterThan(1);
});
