import type { ParleyClient } from "@parley/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { CallController } from "./call-controller";
import type { CallEvent, CallView } from "./signalling";

/**
 * When both sides of a direct chat call at once, the server keeps one call and tells each device
 * in `call.*` events that can reach it before or after the answer to its own `calls.start`. These
 * tests hand the controller those events in each order and read where it ends up. The microphone
 * is a stand-in stream; nothing here opens a peer connection (the side that offers is the other).
 */

const alice = "a0000000-0000-4000-8000-00000000000a";
const bob = "b0000000-0000-4000-8000-00000000000b";
const conversationId = "c0000000-0000-4000-8000-00000000000c";
const aliceCall = "20000000-0000-4000-8000-000000000002";
const bobCall = "10000000-0000-4000-8000-000000000001";

function callView(id: string, initiatorId: string, state: CallView["state"], joined: string[]): CallView {
  const now = new Date().toISOString();
  return {
    id,
    conversationId,
    initiatorId,
    media: "audio",
    state,
    endReason: state === "ended" ? "replaced" : null,
    createdAt: now,
    ringsUntil: new Date(Date.now() + 45_000).toISOString(),
    answeredAt: state === "active" ? now : null,
    endedAt: state === "ended" ? now : null,
    participants: [alice, bob].map((userId) => ({
      userId,
      state: joined.includes(userId) ? ("joined" as const) : ("invited" as const),
      joinedAt: joined.includes(userId) ? now : null,
      leftAt: null,
    })),
  };
}

interface Pending<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

function pending<T>(): Pending<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

/** Alice's device, with `calls.start` answered only when the test says so. */
function aliceDevice() {
  const started = pending<{ callId: string; call: CallView; iceServers: [] }>();
  const mutate = vi.fn(() => started.promise);
  const client = { api: { calls: { start: { mutate }, hangup: { mutate: vi.fn(async () => undefined) } } } } as unknown as ParleyClient;
  const controller = new CallController({ client, meId: () => alice });
  return {
    controller,
    /** Clicks "Voice call" and waits until the start is on its way to the server. */
    async call(): Promise<{ done: Promise<void> }> {
      const done = controller.start(conversationId, "audio");
      await vi.waitFor(() => expect(mutate).toHaveBeenCalled());
      // Wrapped, so that awaiting this does not wait for the start itself.
      return { done };
    },
    answerStart(call: CallView): void {
      started.resolve({ callId: call.id, call, iceServers: [] });
    },
  };
}

// Bob's call has the lower id, so it wins: Alice's ringing call ends as replaced by it.
const aliceRinging = callView(aliceCall, alice, "ringing", [alice]);
const aliceReplaced: CallEvent = {
  type: "call.ended",
  conversationId,
  callId: aliceCall,
  reason: "replaced",
  replacedBy: bobCall,
  call: callView(aliceCall, alice, "ended", [alice]),
};
const aliceJoinedBobs: CallEvent = {
  type: "call.accepted",
  conversationId,
  callId: bobCall,
  userId: alice,
  call: callView(bobCall, bob, "active", [alice, bob]),
};

beforeEach(() => {
  const track = { kind: "audio", stop: vi.fn(), getSettings: () => ({}) };
  const stream = { getTracks: () => [track], getVideoTracks: () => [], getAudioTracks: () => [track] };
  vi.stubGlobal("navigator", { mediaDevices: { getUserMedia: vi.fn(async () => stream) } });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("both sides call at once", () => {
  it("takes the replacing call when its end is heard after the start's answer", async () => {
    const device = aliceDevice();
    const { done } = await device.call();
    device.answerStart(aliceRinging);
    await done;
    expect(device.controller.getSnapshot()).toMatchObject({ phase: "outgoing", callId: aliceCall });

    device.controller.handleEvent(aliceReplaced);
    device.controller.handleEvent(aliceJoinedBobs);
    expect(device.controller.getSnapshot()).toMatchObject({ phase: "active", callId: bobCall, preparing: false });
  });

  it("takes the replacing call when its end overtakes the start's answer", async () => {
    const device = aliceDevice();
    const { done } = await device.call();
    // The events reach the socket before the HTTP answer that names Alice's own call.
    device.controller.handleEvent(aliceReplaced);
    device.controller.handleEvent(aliceJoinedBobs);
    expect(device.controller.getSnapshot()).toMatchObject({ phase: "outgoing", callId: null });

    device.answerStart(aliceRinging);
    await done;
    expect(device.controller.getSnapshot()).toMatchObject({ phase: "active", callId: bobCall, preparing: false });
  });

  it("joins the other side's ringing call when the server answers the start with it", async () => {
    const device = aliceDevice();
    const { done } = await device.call();
    const bobsRinging: CallEvent = { type: "call.ringing", conversationId, call: callView(bobCall, bob, "ringing", [bob]) };
    // Bob's ringing reaches Alice while her own start is on its way: she is busy, so it does not ring.
    device.controller.handleEvent(bobsRinging);
    expect(device.controller.getSnapshot().phase).toBe("outgoing");

    device.answerStart(callView(bobCall, bob, "active", [alice, bob]));
    await done;
    device.controller.handleEvent(aliceJoinedBobs);
    expect(device.controller.getSnapshot()).toMatchObject({ phase: "active", callId: bobCall });
  });

  it("an end heard for some other call does not end this one", async () => {
    const device = aliceDevice();
    const { done } = await device.call();
    device.answerStart(aliceRinging);
    await done;
    device.controller.handleEvent({ ...aliceReplaced, callId: "30000000-0000-4000-8000-000000000003", reason: "hangup", replacedBy: null });
    expect(device.controller.getSnapshot()).toMatchObject({ phase: "outgoing", callId: aliceCall });
  });
});
