import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { callRingSeconds } from "@parley/db/limits";

import type { CallView, StreamEvent } from "../src/index";
import {
  befriend,
  createTestDatabase,
  listen,
  queryRows,
  startTestServer,
  type EventRecorder,
  type TestDatabase,
  type TestServer,
  type TestUser,
} from "./harness";

/*
 * Two Parley nodes in this process, sharing one database and Redis (REDIS_URL) and nothing
 * else: each has its own event feed, bus connection and call sweeper. What one node's client
 * hears of a call that another node's client moved came over Redis or from the shared log.
 */

const enabled = Boolean(process.env.REDIS_URL);
if (!enabled) console.info("two-node call tests skipped: they need REDIS_URL (the bus between the nodes)");

function createManualClock(start = new Date("2032-06-01T08:00:00Z")) {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advanceSeconds: (seconds: number) => {
      current += seconds * 1_000;
    },
  };
}

const clock = createManualClock();
let database: TestDatabase;
let nodeA: TestServer;
let nodeB: TestServer;

beforeAll(async () => {
  if (!enabled) return;
  database = await createTestDatabase();
  const redisUrl = process.env.REDIS_URL;
  nodeA = await startTestServer({ database, redisUrl, clock });
  nodeB = await startTestServer({ database, redisUrl, clock });
});

afterAll(async () => {
  await nodeA?.stop();
  await nodeB?.stop();
  await database?.drop();
});

/** Alice signed in on node A; Bob on node B, and on node A from a second device. */
async function pairAcrossNodes(on: { alice: TestServer }): Promise<{ alice: TestUser; bob: TestUser; bobOnA: TestUser; conversationId: string }> {
  const alice = await on.alice.signUp("alice");
  const bobOnA = await nodeA.signUp("bob");
  const bob = await nodeB.signIn(bobOnA);
  await befriend(alice, bob);
  const conversation = await alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id });
  return { alice, bob, bobOnA, conversationId: conversation.id };
}

function waitForCall(recorder: EventRecorder, type: StreamEvent["type"], callId: string, timeoutMs = 5_000) {
  return recorder.waitFor(
    (event) =>
      event.type === type && ((event.type === "call.ringing" && event.call.id === callId) || ("callId" in event && event.callId === callId)),
    timeoutMs,
  );
}

describe.skipIf(!enabled)("calls across two nodes", () => {
  it("rings, answers elsewhere and signals device to device from one node to the other", async () => {
    const { alice, bob, bobOnA, conversationId } = await pairAcrossNodes({ alice: nodeA });
    const aliceOnB = await nodeB.signIn(alice);
    const [aliceEvents, aliceOnBEvents, bobEvents, bobOnAEvents] = (await Promise.all([alice, aliceOnB, bob, bobOnA].map((user) => listen(user.client)))) as [
      EventRecorder,
      EventRecorder,
      EventRecorder,
      EventRecorder,
    ];

    const { callId } = await alice.client.api.calls.start.mutate({ conversationId, media: "video" });
    await Promise.all([waitForCall(bobEvents, "call.ringing", callId), waitForCall(bobOnAEvents, "call.ringing", callId)]);
    await bob.client.api.calls.answer.mutate({ callId });
    await waitForCall(aliceEvents, "call.accepted", callId);
    const elsewhere = await waitForCall(bobOnAEvents, "call.ended", callId);
    expect(elsewhere).toMatchObject({ reason: "answered_elsewhere" });

    await alice.client.api.calls.signal.mutate({ callId, description: { type: "offer", sdp: "v=0 across nodes" } });
    const offer = await bobEvents.waitFor((event) => event.type === "call.signal" && event.callId === callId);
    expect(offer).toMatchObject({ fromUserId: alice.user.id, description: { type: "offer", sdp: "v=0 across nodes" } });
    await bob.client.api.calls.signal.mutate({ callId, description: { type: "answer", sdp: "v=0 back" }, endOfCandidates: true });
    await aliceEvents.waitFor((event) => event.type === "call.signal" && event.description?.type === "answer");
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const recorder of [aliceOnBEvents, bobOnAEvents]) {
      expect(recorder.events.some((event) => event.type === "call.signal")).toBe(false);
    }

    await bobOnA.client.api.calls.hangup.mutate({ callId });
    await Promise.all([waitForCall(aliceEvents, "call.ended", callId), waitForCall(bobEvents, "call.ended", callId)]);
  });

  it("keeps one call when both sides call each other at once through different nodes", async () => {
    for (let round = 0; round < 3; round += 1) {
      const { alice, bob, conversationId } = await pairAcrossNodes({ alice: nodeA });
      const [fromAlice, fromBob] = await Promise.all([
        alice.client.api.calls.start.mutate({ conversationId, media: "audio" }),
        bob.client.api.calls.start.mutate({ conversationId, media: "audio" }),
      ]);
      const live = await bob.client.api.calls.current.query();
      expect(live).toHaveLength(1);
      const [survivor] = live as [CallView];
      expect(survivor.participants.map((participant) => participant.state)).toEqual(["joined", "joined"]);
      expect([fromAlice.callId, fromBob.callId]).toContain(survivor.id);
      await alice.client.api.calls.hangup.mutate({ callId: survivor.id });
    }
  });

  it("times out a call whose node is gone: the other node's sweeper ends it once, with its notice", async () => {
    const doomed = await startTestServer({ database, redisUrl: process.env.REDIS_URL, clock });
    const { alice, bob, conversationId } = await pairAcrossNodes({ alice: doomed });
    const bobEvents = await listen(bob.client);
    const { callId } = await alice.client.api.calls.start.mutate({ conversationId, media: "audio" });
    await waitForCall(bobEvents, "call.ringing", callId);
    await doomed.stop();

    clock.advanceSeconds(callRingSeconds);
    // Both survivors sweep at once (their own timers may have beaten these calls to it).
    await Promise.all([nodeA.services.callSweeper.sweep(), nodeB.services.callSweeper.sweep()]);
    const timedOut = await waitForCall(bobEvents, "call.ended", callId);
    expect(timedOut).toMatchObject({ reason: "timeout" });
    const notices = await queryRows<{ body: string }>(
      database,
      "select body from messages where conversation_id = $1 and kind = 'system'",
      [conversationId],
    );
    expect(notices.map((row) => JSON.parse(row.body) as { outcome: string })).toEqual([expect.objectContaining({ type: "call", callId, outcome: "missed" })]);
    expect(bobEvents.events.filter((event) => event.type === "call.ended" && event.callId === callId)).toHaveLength(1);
  });
});
