import { randomUUID } from "node:crypto";

import { TRPCClientError, type ParleyClient } from "@parley/client";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { MessageView } from "./api-types";
import { initialChatState, type ChatState, type ChatStateHandle } from "./chat-state";
import { Outbox } from "./outbox";

const me = "00000000-0000-4000-8000-00000000000a";
const conversationId = "00000000-0000-4000-8000-0000000000c1";
const retryDelayMs = 3_000;

type SendInput = { conversationId: string; clientId: string; body: string; replyToId?: string };

function serverError(code: string, message: string, retryAfterSeconds: number | null = null) {
  return TRPCClientError.from({
    error: { code: -32_000, message, data: { code, httpStatus: 400, path: "messages.send", zodError: null, retryAfterSeconds } },
  });
}

function networkError() {
  return TRPCClientError.from(new TypeError("fetch failed"));
}

/**
 * A server that stores each (sender, clientId) once, as the real one does. `failures` are
 * thrown by the next sends in turn; "after-store" stores the message and then loses the answer.
 */
function fakeServer() {
  const stored = new Map<string, MessageView>();
  const sent: SendInput[] = [];
  const failures: (Error | "after-store")[] = [];
  let inFlight = 0;
  let mostInFlight = 0;

  const store = (input: SendInput): MessageView => {
    const existing = stored.get(input.clientId);
    if (existing) return existing;
    const message: MessageView = {
      id: randomUUID(),
      conversationId: input.conversationId,
      seq: stored.size + 1,
      senderId: me,
      clientId: input.clientId,
      kind: "text",
      body: input.body,
      replyToId: input.replyToId ?? null,
      createdAt: new Date(0).toISOString(),
      editedAt: null,
      deletedAt: null,
      expiresAt: null,
      expiresAfterReadSeconds: null,
      forwardedFrom: null,
      reactions: [],
      attachments: [],
    };
    stored.set(input.clientId, message);
    return message;
  };

  const mutate = async (input: SendInput): Promise<MessageView> => {
    sent.push(input);
    inFlight += 1;
    mostInFlight = Math.max(mostInFlight, inFlight);
    try {
      await Promise.resolve();
      const failure = failures.shift();
      if (failure === "after-store") {
        store(input);
        throw networkError();
      }
      if (failure) throw failure;
      return store(input);
    } finally {
      inFlight -= 1;
    }
  };

  const client = { api: { messages: { send: { mutate } } } } as unknown as ParleyClient;
  return { client, stored, sent, failures, mostInFlight: () => mostInFlight };
}

function stateCell(change: Partial<ChatState> = {}): ChatStateHandle {
  let state: ChatState = {
    ...initialChatState,
    me: { id: me, username: "ada", displayName: "Ada", createdAt: new Date(0).toISOString(), avatarUrl: null },
    connection: "open",
    timelines: { [conversationId]: { messages: [], hasOlder: false, loadingOlder: false, loaded: true } },
    ...change,
  };
  return {
    get: () => state,
    update: (next) => {
      state = next(state);
    },
  };
}

function setUp(change: Partial<ChatState> = {}) {
  const server = fakeServer();
  const state = stateCell(change);
  const onSignedOut = vi.fn();
  const outbox = new Outbox({ client: server.client, state, onSignedOut, newClientId: randomUUID, retryDelayMs });
  const send = (body: string) => outbox.enqueue({ conversationId, body, replyToId: null });
  const shownBodies = () => state.get().timelines[conversationId]?.messages.map((message) => message.body);
  return { server, state, onSignedOut, outbox, send, shownBodies };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("the outbox", () => {
  it("sends messages one at a time in the order typed, each leaving the outbox once the server has it", async () => {
    const { server, state, send, shownBodies } = setUp();

    send("one");
    send("two");
    send("three");
    expect(state.get().outbox.map((entry) => entry.body)).toEqual(["one", "two", "three"]);

    await vi.waitFor(() => expect(state.get().outbox).toEqual([]));
    expect(server.sent.map((input) => input.body)).toEqual(["one", "two", "three"]);
    expect(server.mostInFlight()).toBe(1);
    expect(shownBodies()).toEqual(["one", "two", "three"]);
  });

  it("retries a send whose answer was lost with the same clientId, so the server stores it once", async () => {
    vi.useFakeTimers();
    const { server, state, send, shownBodies } = setUp();
    server.failures.push("after-store");

    send("hello");
    await vi.waitFor(() => expect(state.get().outbox[0]?.status).toBe("queued"));
    expect(server.sent).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(retryDelayMs);
    await vi.waitFor(() => expect(state.get().outbox).toEqual([]));

    expect(server.sent).toHaveLength(2);
    expect(server.sent[1]?.clientId).toBe(server.sent[0]?.clientId);
    expect(server.stored.size).toBe(1);
    expect(shownBodies()).toEqual(["hello"]);
  });

  it("waits as long as the server asks before trying again after TOO_MANY_REQUESTS", async () => {
    vi.useFakeTimers();
    const { server, state, send } = setUp();
    server.failures.push(serverError("TOO_MANY_REQUESTS", "Slow down", 7));

    send("hello");
    await vi.advanceTimersByTimeAsync(6_900);
    expect(server.sent).toHaveLength(1);
    expect(state.get().outbox[0]?.status).toBe("queued");

    await vi.advanceTimersByTimeAsync(100);
    await vi.waitFor(() => expect(state.get().outbox).toEqual([]));
    expect(server.sent).toHaveLength(2);
  });

  it("marks a message the server refuses as failed with its reason, sends the rest, and sends it again on retry", async () => {
    const { server, state, outbox, send, shownBodies } = setUp();
    server.failures.push(serverError("FORBIDDEN", "You are not a member of this conversation"));

    send("refused");
    send("next");
    await vi.waitFor(() => expect(state.get().outbox).toHaveLength(1));
    const [failed] = state.get().outbox;
    expect(failed).toMatchObject({
      body: "refused",
      status: "failed",
      error: "You are not a member of this conversation",
    });
    expect(shownBodies()).toEqual(["next"]);

    outbox.retry(failed?.clientId ?? "");
    await vi.waitFor(() => expect(state.get().outbox).toEqual([]));
    expect(server.sent.at(-1)?.clientId).toBe(failed?.clientId);
    expect(shownBodies()).toEqual(["next", "refused"]);
  });

  it("keeps messages queued while offline and sends them when asked after the connection is back", async () => {
    const { server, state, outbox, send } = setUp({ connection: "offline" });

    send("later");
    await Promise.resolve();
    expect(server.sent).toEqual([]);
    expect(state.get().outbox).toMatchObject([{ body: "later", status: "queued" }]);

    state.update((current) => ({ ...current, connection: "open" }));
    await outbox.flush();
    expect(server.sent.map((input) => input.body)).toEqual(["later"]);
    expect(state.get().outbox).toEqual([]);
  });

  it("keeps the message queued and reports the sign-out when the session is gone", async () => {
    const { server, state, onSignedOut, send } = setUp();
    server.failures.push(serverError("UNAUTHORIZED", "Sign in again"));

    send("hello");
    await vi.waitFor(() => expect(onSignedOut).toHaveBeenCalledTimes(1));
    expect(state.get().outbox).toMatchObject([{ body: "hello", status: "queued", error: null }]);
  });

  it("forgets a discarded message", async () => {
    const { server, state, outbox, send } = setUp();
    server.failures.push(serverError("BAD_REQUEST", "A message cannot be empty"));

    send(" ");
    await vi.waitFor(() => expect(state.get().outbox[0]?.status).toBe("failed"));
    outbox.discard(state.get().outbox[0]?.clientId ?? "");
    expect(state.get().outbox).toEqual([]);
  });

  it("sends nothing more once stopped, not even a retry that was already scheduled", async () => {
    vi.useFakeTimers();
    const { server, state, outbox, send } = setUp();
    server.failures.push(networkError());

    send("hello");
    await vi.waitFor(() => expect(state.get().outbox[0]?.status).toBe("queued"));
    outbox.stop();
    await vi.advanceTimersByTimeAsync(retryDelayMs * 2);

    expect(server.sent).toHaveLength(1);
    expect(state.get().outbox).toMatchObject([{ body: "hello", status: "queued" }]);
  });
});
