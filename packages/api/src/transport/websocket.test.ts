import { describe, expect, it, vi } from "vitest";

import { subscriptionEncoder } from "./websocket";

const message = {
  type: "message.created",
  conversationId: "c1",
  message: { id: "m1", body: "quote \" and emoji 🎉", seq: 3, editedAt: null },
};

describe("subscriptionEncoder", () => {
  it("writes exactly what JSON.stringify would, for every kind of reply", () => {
    const replies = [
      { id: 1, result: { type: "data", id: "42", data: { id: "42", data: message } } },
      { id: "sub-7", jsonrpc: "2.0", result: { type: "data", id: "43", data: { id: "43", data: message } } },
      { id: 1, result: { type: "data", data: { type: "typing", conversationId: "c1", userId: "u1", expiresAt: "x" } } },
      { id: 1, result: { type: "started" } },
      { id: 1, result: { type: "stopped" } },
      { id: 2, result: { type: "data", data: [1, 2] } },
      { id: 3, error: { code: -32600, message: "bad" } },
      { id: null, method: "reconnect" },
    ];
    for (const reply of replies) {
      expect(JSON.parse(subscriptionEncoder.encode(reply))).toEqual(reply);
    }
  });

  it("serialises an event shared by many subscribers once", () => {
    const event = { ...message };
    const stringify = vi.spyOn(JSON, "stringify");
    for (let subscriber = 1; subscriber <= 100; subscriber += 1) {
      subscriptionEncoder.encode({ id: subscriber, result: { type: "data", id: "9", data: { id: "9", data: event } } });
    }
    expect(stringify.mock.calls.filter(([value]) => value === event)).toHaveLength(1);
    stringify.mockRestore();
  });
});
