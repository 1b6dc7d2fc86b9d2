import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";

import { createNodeRequestListener, createWebSocketTransport, type WebSocketTransport } from "@parley/api";

import { createParleyClient, type MessageView, type ParleyClient, type StreamEvent } from "../src/index";
import { createGroup, listen, startTestServer, type TestServer, type TestUser } from "./harness";

/*
 * What one WebSocket may ask of a server: a socket that stops reading is closed once its unsent
 * frames pass the limit (and its client resumes), and subscriptions, calls per frame and calls
 * running at once are capped per socket.
 */

/** The limits these tests run under: small, so that a test reaches them quickly. */
const limits = { maxSubscriptionsPerSocket: 3, maxBatchCalls: 5, maxCallsInFlightPerSocket: 8 };

/** ws's WebSocket with a handle on its TCP socket, so that a test can stop reading from it. */
class PausableWebSocket extends WebSocket {
  static last: PausableWebSocket | null = null;
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    PausableWebSocket.last = this;
  }
  get tcp(): { pause: () => void; resume: () => void } {
    return (this as unknown as { _socket: { pause: () => void; resume: () => void } })._socket;
  }
}

/** A raw socket signed in by bearer header, speaking tRPC's wire protocol by hand. */
async function rawSocket(server: TestServer, token: string): Promise<{ socket: WebSocket; replies: unknown[] }> {
  const socket = new WebSocket(`${server.url.replace("http", "ws")}/api/trpc`, { headers: { authorization: `Bearer ${token}` } });
  const replies: unknown[] = [];
  socket.on("message", (data: Buffer) => replies.push(JSON.parse(data.toString()) as unknown));
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  return { socket, replies };
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const startedAt = Date.now();
  while (!condition()) {
    if (Date.now() - startedAt > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function percentile(values: number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? Number.NaN;
}

describe("a WebSocket whose client stops reading", () => {
  let server: TestServer;
  const extraClients: ParleyClient[] = [];

  beforeAll(async () => {
    server = await startTestServer({ sendRate: { burst: 100_000, perSecond: 100_000 }, config: { transportLimits: { maxSocketBufferedBytes: 64 * 1024 } } });
  });

  afterAll(async () => {
    await Promise.all(extraClients.map((client) => client.close()));
    await server?.stop();
  });

  it("is closed with 1013 once its unsent frames pass the limit; the SDK reconnects and resumes with every message once", async () => {
    const sender = await server.signUp("sender");
    const reader = await server.signUp("reader");
    const slow = await server.signUp("slow");
    const conversation = await createGroup(sender, [reader, slow]);

    const slowClient = createParleyClient({
      url: server.url,
      token: slow.token,
      WebSocket: PausableWebSocket as unknown as typeof globalThis.WebSocket,
      retryDelayMs: () => 50,
    });
    extraClients.push(slowClient);
    const slowEvents = await listen(slowClient);
    const slowSocket = PausableWebSocket.last;
    if (!slowSocket) throw new Error("the SDK opened no socket");
    const closeCodes: number[] = [];
    slowSocket.on("close", (code: number) => closeCodes.push(code));
    const readerEvents = await listen(reader.client);

    // Emoji are 4 bytes each in the frame: about 8 KB per message.created event.
    const body = "🎉".repeat(2_000);
    const sentAt = new Map<string, number>();
    const readerLatencies: number[] = [];
    const onReader = (event: StreamEvent) => {
      if (event.type !== "message.created") return;
      const at = sentAt.get(event.message.clientId);
      if (at !== undefined) readerLatencies.push(performance.now() - at);
    };
    let seen = 0;
    const watchReader = setInterval(() => {
      for (; seen < readerEvents.events.length; seen += 1) onReader(readerEvents.events[seen] as StreamEvent);
    }, 5);

    const send = async (phase: string, index: number) => {
      const clientId = randomUUID();
      sentAt.set(clientId, performance.now());
      await sender.client.api.messages.send.mutate({ conversationId: conversation.id, clientId, body: `${phase} ${index} ${body}` });
    };
    const flood = async (phase: string, count: number) => {
      for (let index = 0; index < count; index += 20) {
        await Promise.all(Array.from({ length: Math.min(20, count - index) }, (_, offset) => send(phase, index + offset)));
      }
    };

    // The same load with every client reading, for comparison.
    await flood("baseline", 200);
    const baselineLatencies = readerLatencies.splice(0);

    slowSocket.tcp.pause();
    // Enough to fill the kernel's buffers on both ends and then the server's limit.
    const floodCount = 900;
    await flood("flood", floodCount);
    const floodLatencies = readerLatencies.splice(0);
    slowSocket.tcp.resume();
    clearInterval(watchReader);

    await until(() => closeCodes.length > 0, 15_000, "the slow socket to close");
    expect(closeCodes[0]).toBe(1013);

    // Resumed from its last event id: every message exactly once, in seq order.
    const total = 200 + floodCount;
    await until(
      () => slowEvents.events.filter((event) => event.type === "message.created").length >= total,
      30_000,
      "the slow client to catch up",
    );
    const messages = slowEvents.events
      .filter((event): event is Extract<StreamEvent, { type: "message.created" }> => event.type === "message.created")
      .map((event) => event.message as MessageView);
    expect(messages).toHaveLength(total);
    expect(messages.map((message) => message.seq)).toEqual(Array.from({ length: total }, (_, index) => index + 1));

    console.info(
      `slow consumer cut: the reading client's send→receive p50/p99 ${percentile(baselineLatencies, 0.5).toFixed(1)}/` +
        `${percentile(baselineLatencies, 0.99).toFixed(1)} ms with every client reading, ` +
        `${percentile(floodLatencies, 0.5).toFixed(1)}/${percentile(floodLatencies, 0.99).toFixed(1)} ms while the slow one was being cut`,
    );
  }, 120_000);
});

describe("per-socket caps", () => {
  let server: TestServer;
  let alice: TestUser;

  beforeAll(async () => {
    server = await startTestServer({ config: { transportLimits: limits } });
    alice = await server.signUp("alice");
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("refuses a subscription past the cap with TOO_MANY_REQUESTS and keeps the others", async () => {
    const { socket, replies } = await rawSocket(server, alice.token);
    for (let id = 1; id <= 4; id += 1) {
      socket.send(JSON.stringify({ id, method: "subscription", params: { path: "events.stream", input: {} } }));
    }
    await until(() => replies.filter((reply) => (reply as { result?: { type?: string } }).result?.type === "started").length === 3, 5_000, "three subscriptions");
    await until(() => replies.some((reply) => (reply as { id?: number }).id === 4), 5_000, "the fourth answer");
    expect(replies.find((reply) => (reply as { id?: number }).id === 4)).toMatchObject({
      error: { data: { code: "TOO_MANY_REQUESTS" } },
    });
    socket.close();
  });

  it("answers every call of a frame past the batch cap with BAD_REQUEST, and serves one at the cap", async () => {
    const { socket, replies } = await rawSocket(server, alice.token);
    const batch = (first: number, count: number) =>
      Array.from({ length: count }, (_, index) => ({ id: first + index, method: "query", params: { path: "auth.me", input: {} } }));
    socket.send(JSON.stringify(batch(1, 6)));
    await until(() => replies.length === 6, 5_000, "six refusals");
    for (const reply of replies) expect(reply).toMatchObject({ error: { message: "A batch may hold at most 5 calls" } });

    socket.send(JSON.stringify(batch(100, 5)));
    await until(() => replies.length === 11, 5_000, "five answers");
    for (const reply of replies.slice(6)) expect(reply).toMatchObject({ result: { type: "data", data: { id: alice.user.id } } });
    socket.close();
  });

  it("refuses calls past the number running at once on one socket", async () => {
    const { socket, replies } = await rawSocket(server, alice.token);
    // Frames of five calls each, sent at once: more than eight are running before any ends.
    for (let frame = 0; frame < 4; frame += 1) {
      const calls = Array.from({ length: 5 }, (_, index) => ({
        id: frame * 5 + index + 1,
        method: "query",
        params: { path: "auth.me", input: {} },
      }));
      socket.send(JSON.stringify(calls));
    }
    await until(() => replies.length === 20, 10_000, "twenty answers");
    const refused = replies.filter((reply) => (reply as { error?: { data?: { code?: string } } }).error?.data?.code === "TOO_MANY_REQUESTS");
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toMatchObject({ error: { data: { retryAfterSeconds: 1 } } });
    socket.close();
  });
});

describe("a WebSocket closed for a restart", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("closes with 1012, and the SDK reconnects and resumes with every message once", async () => {
    // A front on the same services whose WebSocket side is shut down (as SIGTERM does) and
    // replaced, as a restarted node would be.
    const listener = createNodeRequestListener(server.services);
    let transport: WebSocketTransport = createWebSocketTransport(server.services);
    const front = createServer((request, response) => void listener(request, response));
    front.on("upgrade", (request, socket, head) => transport.handleUpgrade(request, socket, head));
    await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
    const frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;

    const sender = await server.signUp("sender");
    const member = await server.signUp("member");
    const conversation = await createGroup(sender, [member]);
    const client = createParleyClient({
      url: frontUrl,
      token: member.token,
      WebSocket: PausableWebSocket as unknown as typeof globalThis.WebSocket,
      retryDelayMs: () => 50,
    });
    try {
      const events = await listen(client);
      const socket = PausableWebSocket.last;
      const closed = new Promise<number>((resolve) => socket?.once("close", (code: number) => resolve(code)));
      const send = (index: number) =>
        sender.client.api.messages.send.mutate({ conversationId: conversation.id, clientId: randomUUID(), body: `m${index}` });
      for (let index = 1; index <= 5; index += 1) await send(index);
      await transport.close();
      expect(await closed).toBe(1012);
      transport = createWebSocketTransport(server.services);
      for (let index = 6; index <= 10; index += 1) await send(index);
      await until(() => events.events.filter((event) => event.type === "message.created").length >= 10, 10_000, "ten messages");
      const bodies = events.events
        .filter((event): event is Extract<StreamEvent, { type: "message.created" }> => event.type === "message.created")
        .map((event) => event.message.body);
      expect(bodies).toEqual(Array.from({ length: 10 }, (_, index) => `m${index + 1}`));
    } finally {
      await client.close();
      await transport.close();
      await new Promise<void>((resolve) => front.close(() => resolve()));
    }
  });
});
