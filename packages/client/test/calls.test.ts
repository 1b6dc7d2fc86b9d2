import { createHmac } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { callMaxParticipants, callRingSeconds, callSdpMaxCharacters, callSignalMaxCandidates } from "@parley/db/limits";

import { TRPCClientError, type CallView, type ParleyClient, type StreamEvent, type SystemNotice } from "../src/index";
import { befriend, createGroup, listen, startTestServer, waitUntil, type EventRecorder, type TestServer, type TestUser } from "./harness";

/** The test's clock: calls ring out only when a test moves it past the deadline. */
function createManualClock(start = new Date("2031-03-01T12:00:00Z")) {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advanceSeconds: (seconds: number) => {
      current += seconds * 1_000;
    },
  };
}

const clock = createManualClock();
const turnSecret = "calls-test-turn-secret";
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    clock,
    config: {
      calls: {
        iceServers: [{ urls: ["stun:stun.parley.test:3478"] }],
        turn: { secret: turnSecret, urls: ["turn:turn.parley.test:3478?transport=udp"], credentialTtlSeconds: 600 },
      },
    },
  });
});

afterAll(async () => {
  await server?.stop();
});

async function directPair(): Promise<{ alice: TestUser; bob: TestUser; conversationId: string }> {
  const alice = await server.signUp("alice");
  const bob = await server.signUp("bob");
  await befriend(alice, bob);
  const conversation = await alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id });
  return { alice, bob, conversationId: conversation.id };
}

type CallEvent = Extract<StreamEvent, { type: `call.${string}` }>;

function waitForCall(recorder: EventRecorder, type: CallEvent["type"], callId: string, match: (event: CallEvent) => boolean = () => true) {
  return recorder.waitFor(
    (event) =>
      event.type === type &&
      ((event.type === "call.ringing" && event.call.id === callId) || ("callId" in event && event.callId === callId)) &&
      match(event as CallEvent),
  ) as Promise<CallEvent>;
}

async function expectError(call: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const error = await call.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  const clientError = error as TRPCClientError<never>;
  expect((clientError.data as { code?: string } | undefined)?.code).toBe(code);
  if (message) expect(clientError.message).toMatch(message);
}

async function callNotices(client: ParleyClient, conversationId: string): Promise<Extract<SystemNotice, { type: "call" }>[]> {
  const page = await client.api.messages.history.query({ conversationId, limit: 100 });
  return page.messages.flatMap((message) => {
    if (message.kind !== "system" || !message.body) return [];
    const notice = JSON.parse(message.body) as SystemNotice;
    return notice.type === "call" ? [notice] : [];
  });
}

/** Lets the bus deliver anything still in flight, so that "got nothing" means nothing was sent. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 300));
}

describe("a direct call", () => {
  it("rings the callee, connects on answer, and leaves its duration in the timeline", async () => {
    const { alice, bob, conversationId } = await directPair();
    const [aliceEvents, bobEvents] = await Promise.all([listen(alice.client), listen(bob.client)]);

    const started = await alice.client.api.calls.start.mutate({ conversationId, media: "video" });
    expect(started.call).toMatchObject({ conversationId, initiatorId: alice.user.id, media: "video", state: "ringing" });
    expect(Date.parse(started.call.ringsUntil) - clock.now().getTime()).toBe(callRingSeconds * 1_000);
    const ringing = await waitForCall(bobEvents, "call.ringing", started.callId);
    expect(ringing.type === "call.ringing" && ringing.call.participants.map((p) => [p.userId, p.state]).sort()).toEqual(
      [
        [alice.user.id, "joined"],
        [bob.user.id, "invited"],
      ].sort(),
    );

    const answered = await bob.client.api.calls.answer.mutate({ callId: started.callId });
    expect(answered.call.state).toBe("active");
    await waitForCall(aliceEvents, "call.accepted", started.callId, (event) => event.type === "call.accepted" && event.userId === bob.user.id);

    clock.advanceSeconds(95);
    const ended = await bob.client.api.calls.hangup.mutate({ callId: started.callId });
    expect(ended).toMatchObject({ state: "ended", endReason: "hangup" });
    for (const recorder of [aliceEvents, bobEvents]) {
      await waitForCall(recorder, "call.ended", started.callId, (event) => event.type === "call.ended" && event.reason === "hangup");
    }
    expect(await callNotices(alice.client, conversationId)).toEqual([
      { type: "call", actorId: alice.user.id, callId: started.callId, media: "video", outcome: "completed", durationSeconds: 95 },
    ]);
    expect(await alice.client.api.calls.current.query()).toEqual([]);
  });

  it.each(["caller", "callee"] as const)("ends for both when the %s hangs up", async (who) => {
    const { alice, bob, conversationId } = await directPair();
    const [aliceEvents, bobEvents] = await Promise.all([listen(alice.client), listen(bob.client)]);
    const { callId } = await alice.client.api.calls.start.mutate({ conversationId, media: "audio" });
    await bob.client.api.calls.answer.mutate({ callId });
    await (who === "caller" ? alice : bob).client.api.calls.hangup.mutate({ callId });
    for (const recorder of [aliceEvents, bobEvents]) {
      await waitForCall(recorder, "call.ended", callId, (event) => event.type === "call.ended" && event.reason === "hangup");
    }
    // Hanging up again (a second click, a race with the other side) changes nothing.
    const again = await (who === "caller" ? bob : alice).client.api.calls.hangup.mutate({ callId });
    expect(again).toMatchObject({ state: "ended", endReason: "hangup" });
    expect((await callNotices(bob.client, conversationId)).map((notice) => notice.outcome)).toEqual(["completed"]);
  });

  it("is declined: ends for both, and the timeline says so", async () => {
    const { alice, bob, conversationId } = await directPair();
    const aliceEvents = await listen(alice.client);
    const { callId } = await alice.client.api.calls.start.mutate({ conversationId, media: "audio" });
    const declined = await bob.client.api.calls.decline.mutate({ callId });
    expect(declined).toMatchObject({ state: "ended", endReason: "declined" });
    await waitForCall(aliceEvents, "call.ended", callId, (event) => event.type === "call.ended" && event.reason === "declined");
    await expectError(bob.client.api.calls.answer.mutate({ callId }), "CONFLICT", /ended/);
    expect((await callNotices(alice.client, conversationId)).map((notice) => notice.outcome)).toEqual(["declined"]);
  });

  it("rings out after 45 s on the sweeper's clock, as a missed call", async () => {
    const { alice, bob, conversationId } = await directPair();
    const [aliceEvents, bobEvents] = await Promise.all([listen(alice.client), listen(bob.client)]);
    const { callId } = await alice.client.api.calls.start.mutate({ conversationId, media: "audio" });

    clock.advanceSeconds(callRingSeconds - 1);
    await server.services.callSweeper.sweep();
    expect((await bob.client.api.calls.current.query()).map((call) => call.id)).toEqual([callId]);

    clock.advanceSeconds(1);
    // The server's own sweep may run first on its timer: either way the call ends as timed out.
    await server.services.callSweeper.sweep();
    for (const recorder of [aliceEvents, bobEvents]) {
      await waitForCall(recorder, "call.ended", callId, (event) => event.type === "call.ended" && event.reason === "timeout");
    }
    expect(await server.services.callSweeper.sweep()).toBe(0);
    expect(await callNotices(bob.client, conversationId)).toEqual([
      { type: "call", actorId: alice.user.id, callId, media: "audio", outcome: "missed", durationSeconds: null },
    ]);
    await expectError(bob.client.api.calls.answer.mutate({ callId }), "CONFLICT");
  });

  it("answers busy when the callee is in another call, without ringing them", async () => {
    const { alice, bob, conversationId } = await directPair();
    const carol = await server.signUp("carol");
    await befriend(carol, bob);
    const carolWithBob = await carol.client.api.conversations.openDirect.mutate({ userId: bob.user.id });
    const { callId: ongoing } = await alice.client.api.calls.start.mutate({ conversationId, media: "audio" });
    await bob.client.api.calls.answer.mutate({ callId: ongoing });
    const [bobEvents, carolEvents] = await Promise.all([listen(bob.client), listen(carol.client)]);

    const attempt = await carol.client.api.calls.start.mutate({ conversationId: carolWithBob.id, media: "video" });
    expect(attempt.call).toMatchObject({ state: "ended", endReason: "busy" });
    await waitForCall(carolEvents, "call.ended", attempt.callId, (event) => event.type === "call.ended" && event.reason === "busy");
    await settle();
    expect(bobEvents.events.some((event) => event.type === "call.ringing" && event.call.id === attempt.callId)).toBe(false);
    expect((await callNotices(carol.client, carolWithBob.id)).map((notice) => notice.outcome)).toEqual(["busy"]);
    // Someone in a call cannot start another one either.
    await expectError(bob.client.api.calls.start.mutate({ conversationId: carolWithBob.id, media: "audio" }), "CONFLICT", /already in a call/);
  });

  it("survives as one call when both sides call each other at once (glare): the lower call id wins", async () => {
    for (let round = 0; round < 4; round += 1) {
      const { alice, bob, conversationId } = await directPair();
      const [aliceEvents, bobEvents] = await Promise.all([listen(alice.client), listen(bob.client)]);
      const [fromAlice, fromBob] = await Promise.all([
        alice.client.api.calls.start.mutate({ conversationId, media: "audio" }),
        bob.client.api.calls.start.mutate({ conversationId, media: "audio" }),
      ]);
      const live = await alice.client.api.calls.current.query();
      expect(live).toHaveLength(1);
      const [survivor] = live as [CallView];
      expect(survivor.state).toBe("active");
      expect(survivor.participants.map((p) => p.state)).toEqual(["joined", "joined"]);
      // The second start either answered the first call, or replaced it with its own lower id.
      if (fromAlice.callId === fromBob.callId) {
        expect(survivor.id).toBe(fromAlice.callId);
      } else {
        const loser = [fromAlice.callId, fromBob.callId].find((id) => id !== survivor.id) ?? "";
        expect(survivor.id < loser).toBe(true);
        for (const recorder of [aliceEvents, bobEvents]) {
          const ended = await waitForCall(recorder, "call.ended", loser);
          expect(ended).toMatchObject({ reason: "replaced", replacedBy: survivor.id });
        }
      }
      for (const recorder of [aliceEvents, bobEvents]) await waitForCall(recorder, "call.accepted", survivor.id);
      await alice.client.api.calls.hangup.mutate({ callId: survivor.id });
      expect((await callNotices(alice.client, conversationId)).map((notice) => notice.callId)).toEqual([survivor.id]);
    }
  });

  it("stops ringing on the callee's other device when one device answers (answered elsewhere)", async () => {
    const { alice, bob, conversationId } = await directPair();
    const bobPhone = await server.signIn(bob);
    const [laptopEvents, phoneEvents] = await Promise.all([listen(bob.client), listen(bobPhone.client)]);
    const { callId } = await alice.client.api.calls.start.mutate({ conversationId, media: "video" });
    await Promise.all([waitForCall(laptopEvents, "call.ringing", callId), waitForCall(phoneEvents, "call.ringing", callId)]);

    await bobPhone.client.api.calls.answer.mutate({ callId });
    const elsewhere = await waitForCall(laptopEvents, "call.ended", callId, (event) => event.type === "call.ended" && event.reason === "answered_elsewhere");
    expect(elsewhere.conversationId).toBe(conversationId);
    await waitForCall(phoneEvents, "call.accepted", callId);
    await settle();
    expect(phoneEvents.events.some((event) => event.type === "call.ended")).toBe(false);
    // The laptop cannot take the call over.
    await expectError(bob.client.api.calls.answer.mutate({ callId }), "CONFLICT", /another device/);

    // A device that opens now learns of the call from calls.current.
    const tablet = await server.signIn(bob);
    expect((await tablet.client.api.calls.current.query()).map((call) => [call.id, call.state])).toEqual([[callId, "active"]]);
  });
});

describe("devices that vanish", () => {
  it("take their user out of the call after 45 s without a stream, so they are not busy forever", async () => {
    const { alice, bob, conversationId } = await directPair();
    const carol = await server.signUp("carol");
    await befriend(carol, bob);
    const aliceEvents = await listen(alice.client);
    const bobLaptop = await server.signIn(bob);
    await listen(bobLaptop.client);
    const { callId } = await alice.client.api.calls.start.mutate({ conversationId, media: "audio" });
    await bobLaptop.client.api.calls.answer.mutate({ callId });

    // Both devices hold streams: a long call stays up.
    clock.advanceSeconds(60);
    await server.services.callSweeper.sweep();
    expect((await alice.client.api.calls.current.query()).map((call) => call.state)).toEqual(["active"]);

    // The laptop is closed without hanging up.
    await bobLaptop.client.close();
    await settle();
    clock.advanceSeconds(46);
    await server.services.callSweeper.sweep();
    const ended = await waitForCall(aliceEvents, "call.ended", callId);
    expect(ended).toMatchObject({ reason: "failed" });
    expect((await callNotices(alice.client, conversationId)).map((notice) => [notice.outcome, notice.durationSeconds])).toEqual([["completed", 106]]);
    const carolWithBob = await carol.client.api.conversations.openDirect.mutate({ userId: bob.user.id });
    const next = await carol.client.api.calls.start.mutate({ conversationId: carolWithBob.id, media: "audio" });
    expect(next.call.state).toBe("ringing");
    await carol.client.api.calls.hangup.mutate({ callId: next.callId });
  });
});

describe("who may call", () => {
  it("refuses a non-member: they can neither start, answer, decline nor signal", async () => {
    const { alice, conversationId } = await directPair();
    const mallory = await server.signUp("mallory");
    await expectError(mallory.client.api.calls.start.mutate({ conversationId, media: "audio" }), "FORBIDDEN");
    const { callId } = await alice.client.api.calls.start.mutate({ conversationId, media: "audio" });
    await expectError(mallory.client.api.calls.answer.mutate({ callId }), "NOT_FOUND");
    await expectError(mallory.client.api.calls.decline.mutate({ callId }), "NOT_FOUND");
    await expectError(mallory.client.api.calls.hangup.mutate({ callId }), "NOT_FOUND");
    await expectError(mallory.client.api.calls.signal.mutate({ callId, endOfCandidates: true }), "NOT_FOUND");
    expect(await mallory.client.api.calls.current.query()).toEqual([]);
  });

  it("refuses to ring across a block, in either direction", async () => {
    const { alice, bob, conversationId } = await directPair();
    await bob.client.api.friends.block.mutate({ userId: alice.user.id });
    await expectError(alice.client.api.calls.start.mutate({ conversationId, media: "audio" }), "FORBIDDEN", /blocked/);
    await expectError(bob.client.api.calls.start.mutate({ conversationId, media: "audio" }), "FORBIDDEN", /blocked/);
    expect(await bob.client.api.calls.current.query()).toEqual([]);
  });

  it("refuses a second call in a conversation that has one going", async () => {
    const { alice, bob, conversationId } = await directPair();
    const { callId } = await alice.client.api.calls.start.mutate({ conversationId, media: "audio" });
    await bob.client.api.calls.answer.mutate({ callId });
    const alicePhone = await server.signIn(alice);
    await expectError(alicePhone.client.api.calls.start.mutate({ conversationId, media: "audio" }), "CONFLICT");
  });
});

describe("signals", () => {
  it("reach only the other call device: not a third user, not the callee's other devices, not the caller's", async () => {
    const { alice, bob, conversationId } = await directPair();
    const alicePhone = await server.signIn(alice);
    const bobPhone = await server.signIn(bob);
    const carol = await server.signUp("carol");
    await befriend(carol, alice);
    await befriend(carol, bob);
    const [aliceEvents, alicePhoneEvents, bobEvents, bobPhoneEvents, carolEvents] = await Promise.all(
      [alice, alicePhone, bob, bobPhone, carol].map((user) => listen(user.client)),
    ) as [EventRecorder, EventRecorder, EventRecorder, EventRecorder, EventRecorder];
    const { callId } = await alice.client.api.calls.start.mutate({ conversationId, media: "video" });
    await expectError(
      alice.client.api.calls.signal.mutate({ callId, description: { type: "offer", sdp: "v=0" } }),
      "CONFLICT",
      /Nobody else/,
    );
    await bob.client.api.calls.answer.mutate({ callId });

    const candidate = { candidate: "candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host", sdpMid: "0", sdpMLineIndex: 0 };
    await alice.client.api.calls.signal.mutate({ callId, description: { type: "offer", sdp: "v=0 offer" }, candidates: [candidate] });
    const offer = await bobEvents.waitFor((event) => event.type === "call.signal" && event.callId === callId);
    expect(offer).toMatchObject({
      type: "call.signal",
      fromUserId: alice.user.id,
      description: { type: "offer", sdp: "v=0 offer" },
      candidates: [{ ...candidate, usernameFragment: null }],
      endOfCandidates: false,
    });
    await bob.client.api.calls.signal.mutate({ callId, description: { type: "answer", sdp: "v=0 answer" }, endOfCandidates: true });
    await aliceEvents.waitFor((event) => event.type === "call.signal" && event.description?.type === "answer" && event.endOfCandidates);

    // The devices that did not start or answer cannot signal either.
    await expectError(bobPhone.client.api.calls.signal.mutate({ callId, endOfCandidates: true }), "FORBIDDEN");
    await expectError(alicePhone.client.api.calls.signal.mutate({ callId, endOfCandidates: true }), "FORBIDDEN");
    await settle();
    for (const recorder of [alicePhoneEvents, bobPhoneEvents, carolEvents]) {
      expect(recorder.events.some((event) => event.type === "call.signal")).toBe(false);
    }
    expect(aliceEvents.events.filter((event) => event.type === "call.signal")).toHaveLength(1);
    expect(bobEvents.events.filter((event) => event.type === "call.signal")).toHaveLength(1);

    await alice.client.api.calls.hangup.mutate({ callId });
    await expectError(alice.client.api.calls.signal.mutate({ callId, endOfCandidates: true }), "CONFLICT", /ended/);
  });

  it("refuses oversize SDP, too many candidates and empty signals with typed errors", async () => {
    const { alice, bob, conversationId } = await directPair();
    const { callId } = await alice.client.api.calls.start.mutate({ conversationId, media: "audio" });
    await bob.client.api.calls.answer.mutate({ callId });
    const candidate = { candidate: "candidate:1 1 udp 1 192.0.2.1 9 typ host", sdpMid: "0", sdpMLineIndex: 0 };

    await expectError(
      alice.client.api.calls.signal.mutate({ callId, description: { type: "offer", sdp: "x".repeat(callSdpMaxCharacters + 1) } }),
      "BAD_REQUEST",
      /SDP description can be at most/,
    );
    await expectError(
      alice.client.api.calls.signal.mutate({ callId, candidates: Array.from({ length: callSignalMaxCandidates + 1 }, () => candidate) }),
      "BAD_REQUEST",
      /at most 32 ICE candidates/,
    );
    await expectError(alice.client.api.calls.signal.mutate({ callId }), "BAD_REQUEST", /needs a description/);
    await expectError(
      alice.client.api.calls.signal.mutate({ callId, description: { type: "bogus" as "offer", sdp: "v=0" } }),
      "BAD_REQUEST",
    );
    await expectError(alice.client.api.calls.answer.mutate({ callId: "not-a-uuid" }), "BAD_REQUEST");
    await expectError(alice.client.api.calls.start.mutate({ conversationId, media: "hologram" as "audio" }), "BAD_REQUEST");
    await expectError(alice.client.api.calls.answer.mutate({ callId: "00000000-0000-4000-8000-000000000000" }), "NOT_FOUND");
    // The limits leave room for a real exchange.
    await alice.client.api.calls.signal.mutate({
      callId,
      description: { type: "offer", sdp: "x".repeat(callSdpMaxCharacters) },
      candidates: Array.from({ length: callSignalMaxCandidates }, () => candidate),
    });
  });
});

describe("group calls", () => {
  it("rings every member, lets each join, addresses signals per participant, and ends when one is left", async () => {
    const owner = await server.signUp("owner");
    const members = [await server.signUp("ann"), await server.signUp("ben"), await server.signUp("cat")];
    const group = await createGroup(owner, members, "Mesh");
    const [ann, ben, cat] = members as [TestUser, TestUser, TestUser];
    const [ownerEvents, annEvents, benEvents, catEvents] = (await Promise.all([owner, ann, ben, cat].map((user) => listen(user.client)))) as [
      EventRecorder,
      EventRecorder,
      EventRecorder,
      EventRecorder,
    ];

    const { callId } = await owner.client.api.calls.start.mutate({ conversationId: group.id, media: "video" });
    for (const recorder of [annEvents, benEvents, catEvents]) await waitForCall(recorder, "call.ringing", callId);
    await ann.client.api.calls.answer.mutate({ callId });
    await ben.client.api.calls.answer.mutate({ callId });
    await cat.client.api.calls.decline.mutate({ callId });
    await waitForCall(catEvents, "call.ended", callId, (event) => event.type === "call.ended" && event.reason === "declined");

    await expectError(owner.client.api.calls.signal.mutate({ callId, endOfCandidates: true }), "BAD_REQUEST", /toUserId/);
    await expectError(owner.client.api.calls.signal.mutate({ callId, toUserId: cat.user.id, endOfCandidates: true }), "CONFLICT");
    await owner.client.api.calls.signal.mutate({ callId, toUserId: ben.user.id, description: { type: "offer", sdp: "v=0 to ben" } });
    await benEvents.waitFor((event) => event.type === "call.signal" && event.fromUserId === owner.user.id);
    await settle();
    expect(annEvents.events.some((event) => event.type === "call.signal")).toBe(false);

    await ann.client.api.calls.hangup.mutate({ callId });
    const left = await waitForCall(ownerEvents, "call.left", callId);
    expect(left).toMatchObject({ userId: ann.user.id });
    expect((await owner.client.api.calls.current.query()).map((call) => call.state)).toEqual(["active"]);
    // Ann may come back while it goes on.
    await ann.client.api.calls.answer.mutate({ callId });
    await ann.client.api.calls.hangup.mutate({ callId });
    await ben.client.api.calls.hangup.mutate({ callId });
    for (const recorder of [ownerEvents, annEvents, benEvents]) {
      await waitForCall(recorder, "call.ended", callId, (event) => event.type === "call.ended" && event.reason === "hangup");
    }
    expect((await callNotices(cat.client, group.id)).map((notice) => notice.outcome)).toEqual(["completed"]);
  });

  it(`takes groups of up to ${callMaxParticipants} people only`, async () => {
    const owner = await server.signUp("owner");
    const members = await Promise.all(Array.from({ length: callMaxParticipants }, (_, index) => server.signUp(`m${index}`)));
    const group = await createGroup(owner, members, "Too big");
    await expectError(owner.client.api.calls.start.mutate({ conversationId: group.id, media: "audio" }), "BAD_REQUEST", /at most 4 people/);
  });

  it("does not ring a member who blocked the caller", async () => {
    const owner = await server.signUp("owner");
    const members = [await server.signUp("fay"), await server.signUp("gus")];
    const group = await createGroup(owner, members, "Blocked");
    const [fay, gus] = members as [TestUser, TestUser];
    await gus.client.api.friends.block.mutate({ userId: owner.user.id });
    const [fayEvents, gusEvents] = await Promise.all([listen(fay.client), listen(gus.client)]);
    const { callId, call } = await owner.client.api.calls.start.mutate({ conversationId: group.id, media: "audio" });
    expect(call.participants.map((participant) => participant.userId).sort()).toEqual([owner.user.id, fay.user.id].sort());
    await waitForCall(fayEvents, "call.ringing", callId);
    await settle();
    expect(gusEvents.events.some((event) => event.type === "call.ringing")).toBe(false);
    await owner.client.api.calls.hangup.mutate({ callId });
  });

  it("ends as declined when every invitee declines before anyone answers", async () => {
    const owner = await server.signUp("owner");
    const members = [await server.signUp("dee"), await server.signUp("eve")];
    const group = await createGroup(owner, members, "Nobody home");
    const ownerEvents = await listen(owner.client);
    const { callId } = await owner.client.api.calls.start.mutate({ conversationId: group.id, media: "audio" });
    await members[0]?.client.api.calls.decline.mutate({ callId });
    expect((await owner.client.api.calls.current.query()).map((call) => call.state)).toEqual(["ringing"]);
    await members[1]?.client.api.calls.decline.mutate({ callId });
    await waitForCall(ownerEvents, "call.ended", callId, (event) => event.type === "call.ended" && event.reason === "declined");
  });
});

describe("ICE servers", () => {
  it("gives each device the configured servers and a TURN credential that expires, computed from the shared secret", async () => {
    const { alice, bob, conversationId } = await directPair();
    const started = await alice.client.api.calls.start.mutate({ conversationId, media: "audio" });
    const answered = await bob.client.api.calls.answer.mutate({ callId: started.callId });
    for (const [join, user] of [
      [started, alice],
      [answered, bob],
    ] as const) {
      const [stun, turn] = join.iceServers;
      expect(stun).toEqual({ urls: ["stun:stun.parley.test:3478"] });
      expect(turn?.urls).toEqual(["turn:turn.parley.test:3478?transport=udp"]);
      expect(turn?.username).toBe(`${Math.floor(clock.now().getTime() / 1_000) + 600}:${user.user.id}`);
      expect(turn?.credential).toBe(createHmac("sha1", turnSecret).update(turn?.username ?? "").digest("base64"));
    }
  });
});

describe("reconnecting", () => {
  it("replays the ringing to a device that resumes during it, and lists it for one that opens fresh", async () => {
    const { alice, bob, conversationId } = await directPair();
    // Bob's position in the stream before the call starts.
    const ids: string[] = [];
    const first = bob.client.api.events.stream.subscribe(
      {},
      { onData: (envelope) => ids.push((envelope as { id: string }).id) },
    );
    await waitUntil(() => ids.length > 0, 5_000, "the ready marker");
    first.unsubscribe();
    const lastEventId = ids[ids.length - 1] ?? null;

    const { callId } = await alice.client.api.calls.start.mutate({ conversationId, media: "audio" });
    const resumed: StreamEvent[] = [];
    const second = bob.client.api.events.stream.subscribe(
      { lastEventId },
      { onData: (envelope) => resumed.push((envelope as { data: StreamEvent }).data) },
    );
    await waitUntil(() => resumed.some((event) => event.type === "stream.ready"), 5_000, "the resumed stream");
    expect(resumed.some((event) => event.type === "call.ringing" && event.call.id === callId)).toBe(true);
    second.unsubscribe();

    const tablet = await server.signIn(bob);
    expect((await tablet.client.api.calls.current.query()).map((call) => [call.id, call.state])).toEqual([[callId, "ringing"]]);
    await alice.client.api.calls.hangup.mutate({ callId });
    expect((await callNotices(bob.client, conversationId)).map((notice) => notice.outcome)).toEqual(["missed"]);
  });
});
