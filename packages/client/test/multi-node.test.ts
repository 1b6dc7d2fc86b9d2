import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer, type AddressInfo } from "node:net";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { TRPCClientError, type MessageView, type ParleyClient, type StreamEvent } from "../src/index";
import { befriend, createTestDatabase, recordEvents, waitUntil, type EventRecorder, type TestDatabase } from "./harness";
import { createNodeClients, startNode, type NodeUser, type ParleyNode } from "./node-process";

/*
 * Two Parley processes (the standalone node entry: the same transports as apps/web's server)
 * share one fresh Postgres database and one Redis. The nodes poll the event log only once a
 * minute, so anything that crosses between them within a test's few seconds came over Redis,
 * or from the log read that follows Redis coming back.
 *
 * Redis here is a private redis-server on a free port, started and restarted by this file, so
 * stopping it never disturbs the machine's shared Redis or another test using it.
 */

const redisServerAvailable = spawnSync("redis-server", ["--version"]).status === 0;
const enabled = Boolean(process.env.REDIS_URL && process.env.DATABASE_URL && redisServerAvailable);
if (!enabled) {
  console.info(
    "multi-node tests skipped: they need DATABASE_URL (two processes cannot share an in-memory PGlite), " +
      "REDIS_URL (Redis is part of the environment) and the redis-server binary (to run and restart a private Redis)",
  );
}

const feedPollIntervalMs = 60_000;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A redis-server of our own, in the foreground so it dies with this process. */
class PrivateRedis {
  #process: ChildProcess | null = null;
  readonly port: number;

  constructor(port: number) {
    this.port = port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.#process && this.#process.exitCode === null) return;
    const child = spawn(
      "redis-server",
      ["--bind", "127.0.0.1", "--port", String(this.port), "--save", "", "--appendonly", "no", "--daemonize", "no"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.#process = child;
    // Even if this test process is killed, the private Redis does not outlive it.
    process.once("exit", () => child.kill("SIGKILL"));
    await new Promise<void>((resolve, reject) => {
      let output = "";
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
      child.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
  }

  /** As an operator would: `redis-cli shutdown nosave`. */
  async shutdown(): Promise<void> {
    const child = this.#process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    spawnSync("redis-cli", ["-p", String(this.port), "shutdown", "nosave"]);
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
    this.#process = null;
  }

  kill(): void {
    this.#process?.kill("SIGKILL");
    this.#process = null;
  }
}

let redis: PrivateRedis;
let database: TestDatabase;
let nodeA: ParleyNode;
let nodeB: ParleyNode;
let nodeEnv: Record<string, string>;
const nodeClients = createNodeClients();
const { connect, signUp } = nodeClients;
const recorders: EventRecorder[] = [];

/** Records a client's stream once the server says it is live. */
async function listen(client: ParleyClient): Promise<EventRecorder> {
  const recorder = recordEvents(client);
  recorders.push(recorder);
  await recorder.waitFor((event) => event.type === "stream.ready", 10_000);
  return recorder;
}

function createdMessages(recorder: EventRecorder, conversationId: string): MessageView[] {
  return recorder.events.flatMap((event: StreamEvent) =>
    event.type === "message.created" && event.conversationId === conversationId ? [event.message] : [],
  );
}

async function send(sender: NodeUser, conversationId: string, body: string): Promise<MessageView> {
  return sender.client.api.messages.send.mutate({ conversationId, clientId: randomUUID(), body });
}

/** Every message of a conversation, oldest first, through `messages.history`. */
async function fullHistory(reader: NodeUser, conversationId: string): Promise<MessageView[]> {
  const pages: MessageView[] = [];
  let beforeSeq: number | undefined;
  for (;;) {
    const page = await reader.client.api.messages.history.query({ conversationId, beforeSeq, limit: 100 });
    pages.push(...page.messages);
    if (page.nextBeforeSeq === null) break;
    beforeSeq = page.nextBeforeSeq;
  }
  return pages.sort((a, b) => a.seq - b.seq);
}

/** How soon an ended session must be refused everywhere: the session cache's promise. */
const sessionEndsWithinMs = 1_000;

interface SessionEnding {
  name: string;
  /** Ends session B through the first node, as the user would. */
  end: (on: {
    /** Session A's client on the first node. */
    otherDevice: ParleyClient;
    /** A client of session B on the first node. */
    sameDevice: ParleyClient;
    sessionId: string;
    password: string;
  }) => Promise<unknown>;
}

const sessionEndings: SessionEnding[] = [
  {
    name: "auth.revokeSession from the other device",
    end: ({ otherDevice, sessionId }) => otherDevice.api.auth.revokeSession.mutate({ sessionId }),
  },
  { name: "auth.logout on the device itself", end: ({ sameDevice }) => sameDevice.api.auth.logout.mutate() },
  {
    name: "auth.changePassword on the other device",
    end: ({ otherDevice, password }) =>
      otherDevice.api.auth.changePassword.mutate({ currentPassword: password, newPassword: `pw-${randomUUID()}` }),
  },
];

/** Milliseconds from `since` until a call with `client` comes back UNAUTHORIZED; throws after 10 s. */
async function msUntilRefused(client: ParleyClient, since: number): Promise<number> {
  for (;;) {
    try {
      await client.api.auth.me.query();
    } catch (error) {
      if (error instanceof TRPCClientError && error.data?.code === "UNAUTHORIZED") return Date.now() - since;
      throw error;
    }
    if (Date.now() - since > 10_000) throw new Error("the ended session still works 10 s later");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Signs a user in twice (session A through `first`, session B through `second`), has both nodes
 * cache session B, ends it through `first`, and returns how long each node went on accepting it.
 */
async function msUntilEndedSessionRefused(first: ParleyNode, second: ParleyNode, ending: SessionEnding): Promise<number[]> {
  const owner = await signUp(first, "owner");
  const onSecond = connect(second);
  await onSecond.api.auth.login.mutate({ username: owner.username, password: owner.password });
  const tokenB = onSecond.token ?? undefined;
  const onFirst = connect(first, tokenB);
  for (const client of [onSecond, onFirst, onSecond, onFirst]) {
    expect(await client.api.auth.me.query()).toMatchObject({ id: owner.user.id });
  }
  const sessionB = (await owner.client.api.auth.sessions.query()).find((session) => !session.current);
  if (!sessionB) throw new Error("the second sign-in made no session");

  await ending.end({
    otherDevice: owner.client,
    // Its own client: logging out clears the SDK's token, and the pollers must keep theirs.
    sameDevice: connect(first, tokenB),
    sessionId: sessionB.id,
    password: owner.password,
  });
  const endedAt = Date.now();
  const elapsed = await Promise.all([msUntilRefused(onSecond, endedAt), msUntilRefused(onFirst, endedAt)]);
  // Session A goes on working.
  expect(await owner.client.api.auth.me.query()).toMatchObject({ id: owner.user.id });
  return elapsed;
}

describe.skipIf(!enabled)("several Parley processes sharing Postgres and Redis", () => {
  beforeAll(async () => {
    redis = new PrivateRedis(await freePort());
    await redis.start();
    database = await createTestDatabase();
    nodeEnv = {
      DATABASE_URL: database.url ?? "",
      REDIS_URL: redis.url,
      // Each node takes any free port.
      PORT: "0",
      FEED_POLL_INTERVAL_MS: String(feedPollIntervalMs),
      // A node silent for 1.5 s counts as crashed, so the crash test need not wait 30 s.
      PRESENCE_HEARTBEAT_MS: "250",
      PRESENCE_NODE_TTL_MS: "1500",
      SEND_RATE_BURST: "100000",
      SEND_RATE_PER_SECOND: "100000",
      LOG_LEVEL: "error",
    };
    [nodeA, nodeB] = await Promise.all([startNode(nodeEnv), startNode(nodeEnv)]);
  });

  afterAll(async () => {
    for (const recorder of recorders) recorder.stop();
    await nodeClients.closeAll();
    await Promise.all([nodeA?.stop(), nodeB?.stop()]);
    redis?.kill();
    await database?.drop();
  });

  it("delivers a direct conversation both ways between clients on different nodes", async () => {
    const alice = await signUp(nodeA, "alice");
    const bob = await signUp(nodeB, "bob");
    await befriend(alice, bob);
    const conversation = await alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id });
    const [aliceEvents, bobEvents] = await Promise.all([listen(alice.client), listen(bob.client)]);

    const fromAlice = await send(alice, conversation.id, "hello from node A");
    expect(await bobEvents.waitFor((event) => event.type === "message.created" && event.message.id === fromAlice.id)).toMatchObject({
      message: { body: "hello from node A", senderId: alice.user.id },
    });
    const fromBob = await send(bob, conversation.id, "hello back from node B");
    await aliceEvents.waitFor((event) => event.type === "message.created" && event.message.id === fromBob.id);

    expect(createdMessages(aliceEvents, conversation.id).map((message) => message.seq)).toEqual([1, 2]);
    expect(createdMessages(bobEvents, conversation.id).map((message) => message.seq)).toEqual([1, 2]);
  });

  it("delivers every message of a group spanning both nodes to every member once, in order", async () => {
    const owner = await signUp(nodeA, "owner");
    const members = [await signUp(nodeB, "member1"), await signUp(nodeA, "member2"), await signUp(nodeB, "member3")];
    for (const member of members) await befriend(owner, member);
    const group = await owner.client.api.conversations.createGroup.mutate({
      title: "Across nodes",
      memberIds: members.map((member) => member.user.id),
    });
    // The owner also reads on a second device, attached to the other node.
    const ownerSecondDevice = connect(nodeB, owner.client.token ?? undefined);
    const everyone = [owner, ...members];
    const streams = await Promise.all([...everyone.map((member) => listen(member.client)), listen(ownerSecondDevice)]);

    const sent: MessageView[] = [];
    for (let round = 0; round < 5; round += 1) {
      const batch = await Promise.all(everyone.map((member) => send(member, group.id, `round ${round} from ${member.username}`)));
      sent.push(...batch);
    }
    for (const stream of streams) {
      await waitUntil(() => createdMessages(stream, group.id).length >= sent.length, 5_000, "every group message");
      const seqs = createdMessages(stream, group.id).map((message) => message.seq);
      expect(seqs).toEqual(Array.from({ length: sent.length }, (_, index) => index + 1));
    }
  });

  it("carries typing and presence across nodes, and answers friends.list from either node", async () => {
    const alice = await signUp(nodeA, "alice");
    const bob = await signUp(nodeB, "bob");
    await befriend(alice, bob);
    const conversation = await bob.client.api.conversations.openDirect.mutate({ userId: alice.user.id });
    const bobEvents = await listen(bob.client);

    // Alice comes online on node A: Bob, on node B, hears it, and node B knows it.
    const aliceEvents = await listen(alice.client);
    await bobEvents.waitFor((event) => event.type === "presence" && event.userId === alice.user.id && event.online);
    const bobsView = await bob.client.api.friends.list.query();
    expect(bobsView.find((friend) => friend.user.id === alice.user.id)?.online).toBe(true);

    await alice.client.api.conversations.typing.mutate({ conversationId: conversation.id });
    expect(await bobEvents.waitFor((event) => event.type === "typing" && event.userId === alice.user.id)).toMatchObject({
      conversationId: conversation.id,
    });

    // A second device on node B keeps her online when the node A one leaves.
    const aliceOnB = connect(nodeB, alice.client.token ?? undefined);
    await listen(aliceOnB);
    aliceEvents.stop();
    await alice.client.close();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(bobEvents.events.some((event) => event.type === "presence" && event.userId === alice.user.id && !event.online)).toBe(false);
    expect((await bob.client.api.friends.list.query()).find((friend) => friend.user.id === alice.user.id)?.online).toBe(true);

    // The last device goes: now she is offline everywhere.
    await aliceOnB.close();
    await bobEvents.waitFor((event) => event.type === "presence" && event.userId === alice.user.id && !event.online);
    const fromNodeA = connect(nodeA, bob.client.token ?? undefined);
    expect((await fromNodeA.api.friends.list.query()).find((friend) => friend.user.id === alice.user.id)?.online).toBe(false);
  });

  it("takes a crashed node's users offline once its heartbeat expires, and tells their friends", async () => {
    const nodeC = await startNode(nodeEnv);
    try {
      const alice = await signUp(nodeC, "alice");
      const bob = await signUp(nodeB, "bob");
      await befriend(alice, bob);
      const bobEvents = await listen(bob.client);
      await listen(alice.client);
      await bobEvents.waitFor((event) => event.type === "presence" && event.userId === alice.user.id && event.online);

      nodeC.kill();
      await bobEvents.waitFor((event) => event.type === "presence" && event.userId === alice.user.id && !event.online, 10_000);
      expect((await bob.client.api.friends.list.query()).find((friend) => friend.user.id === alice.user.id)?.online).toBe(false);
    } finally {
      nodeC.kill();
    }
  });

  it("loses nothing while Redis restarts: sends keep succeeding and every receiver gets each message exactly once", async () => {
    const alice = await signUp(nodeA, "alice");
    const bob = await signUp(nodeB, "bob");
    const carol = await signUp(nodeA, "carol");
    const dave = await signUp(nodeB, "dave");
    const people = [alice, bob, carol, dave];
    for (const other of people.slice(1)) await befriend(alice, other);
    const group = await alice.client.api.conversations.createGroup.mutate({
      title: "Through a Redis restart",
      memberIds: people.slice(1).map((person) => person.user.id),
    });
    const streams = await Promise.all(people.map((person) => listen(person.client)));

    type Phase = "before" | "down";
    let phase = "before" as Phase;
    const sendTimesMs: Record<Phase, number[]> = { before: [], down: [] };
    let sending = true;
    const sendUntilStopped = async (sender: NodeUser) => {
      let count = 0;
      while (sending) {
        const startedAt = Date.now();
        const current = phase;
        await send(sender, group.id, `${sender.username} #${count++} (${current})`);
        sendTimesMs[current].push(Date.now() - startedAt);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const expectEveryoneHasHistory = async (what: string) => {
      const history = await fullHistory(alice, group.id);
      expect(history.map((message) => message.seq)).toEqual(Array.from({ length: history.length }, (_, index) => index + 1));
      for (const stream of streams) {
        await waitUntil(() => createdMessages(stream, group.id).length >= history.length, 10_000, what);
        // Exactly once and in order: the received list is the history itself.
        expect(createdMessages(stream, group.id).map((message) => message.id)).toEqual(history.map((message) => message.id));
      }
    };

    try {
      const senders = [alice, bob].map(sendUntilStopped);
      await new Promise((resolve) => setTimeout(resolve, 700));
      phase = "down";
      await redis.shutdown();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      sending = false;
      await Promise.all(senders);
      // Nothing is sent after Redis returns: what the other node missed must come from the log
      // read that follows the reconnect (the nodes' own poll is a minute away).
      await redis.start();
      await expectEveryoneHasHistory("the messages sent while Redis was down");
    } finally {
      sending = false;
      // Whatever happened above, Redis is running again when this test ends.
      await redis.start().catch(() => {});
    }

    // Sends went on while Redis was away, and none of them waited on it.
    expect(sendTimesMs.down.length).toBeGreaterThan(10);
    expect(Math.max(...sendTimesMs.down)).toBeLessThan(2_000);

    // Both nodes send again over the restarted Redis; still exactly once, still in order.
    await Promise.all([alice, bob, carol, dave].map((person) => send(person, group.id, `after the restart from ${person.username}`)));
    await expectEveryoneHasHistory("the messages sent after the restart");
  });

  describe("an ended session", () => {
    for (const ending of sessionEndings) {
      it(`is refused on every node within a second of ${ending.name}`, async () => {
        // The nodes poll the log once a minute: the news must come over Redis.
        const [onSecond, onFirst] = await msUntilEndedSessionRefused(nodeA, nodeB, ending);
        console.info(`${ending.name}: refused after ${onSecond} ms on the other node, ${onFirst} ms on the node that ended it`);
        expect(Math.max(onSecond as number, onFirst as number)).toBeLessThanOrEqual(sessionEndsWithinMs);
      });
    }

    it("is refused on every node within a second while Redis is down, through the nodes' 500 ms log poll", async () => {
      const pollingEnv = { ...nodeEnv, FEED_POLL_INTERVAL_MS: "500" };
      const [nodeC, nodeD] = await Promise.all([startNode(pollingEnv), startNode(pollingEnv)]);
      try {
        await redis.shutdown();
        for (const ending of sessionEndings) {
          const [onSecond, onFirst] = await msUntilEndedSessionRefused(nodeC, nodeD, ending);
          console.info(
            `${ending.name}, Redis down: refused after ${onSecond} ms on the other node, ${onFirst} ms on the node that ended it`,
          );
          expect(Math.max(onSecond as number, onFirst as number), ending.name).toBeLessThanOrEqual(sessionEndsWithinMs);
        }
      } finally {
        await redis.start();
        await Promise.all([nodeC.stop(), nodeD.stop()]);
      }
    });
  });
});
