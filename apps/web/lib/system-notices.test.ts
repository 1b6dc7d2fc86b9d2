import { describe, expect, it } from "vitest";

import type { MessageView } from "./api-types";
import { describeCallDuration, describeSystemNotice, previewSystemNotice, systemNoticeOf } from "./system-notices";

const caller = "00000000-0000-4000-8000-00000000000a";

function systemMessage(body: string): MessageView {
  return {
    id: "00000000-0000-4000-8000-0000000000f1",
    conversationId: "00000000-0000-4000-8000-0000000000c1",
    seq: 1,
    senderId: caller,
    clientId: "00000000-0000-4000-8000-0000000000d1",
    kind: "system",
    body,
    replyToId: null,
    createdAt: "2030-01-01T00:00:00.000Z",
    editedAt: null,
    deletedAt: null,
    expiresAt: null,
    expiresAfterReadSeconds: null,
    forwardedFrom: null,
    reactions: [],
  };
}

function callNotice(outcome: string, durationSeconds: number | null = null, media = "audio") {
  return systemNoticeOf(
    systemMessage(JSON.stringify({ type: "call", actorId: caller, callId: "00000000-0000-4000-8000-0000000000e1", media, outcome, durationSeconds })),
  );
}

describe("call notices", () => {
  it("read per viewer: the caller's outgoing or cancelled call is the callee's incoming or missed one", () => {
    const completed = callNotice("completed", 185, "video");
    if (!completed) throw new Error("a call notice was not recognised");
    expect(describeSystemNotice(completed, { actor: "You" })).toBe("Outgoing video call (3 min 05 s)");
    expect(describeSystemNotice(completed, { actor: "Ada" })).toBe("Incoming video call (3 min 05 s)");
    const missed = callNotice("missed");
    if (!missed) throw new Error("a call notice was not recognised");
    expect(describeSystemNotice(missed, { actor: "You" })).toBe("Cancelled call");
    expect(describeSystemNotice(missed, { actor: "Ada" })).toBe("Missed call");
    expect(previewSystemNotice(missed)).toBe("Missed call");
    expect(previewSystemNotice(completed)).toBe("Video call (3 min 05 s)");
  });

  it("skips a call notice with an outcome this app does not know", () => {
    expect(callNotice("teleported")).toBeNull();
    expect(callNotice("declined")).toMatchObject({ type: "call", outcome: "declined" });
  });

  it("words durations in seconds, minutes and hours", () => {
    expect(describeCallDuration(42)).toBe("42 s");
    expect(describeCallDuration(60)).toBe("1 min 00 s");
    expect(describeCallDuration(3_720)).toBe("1 h 02 min");
  });
});
