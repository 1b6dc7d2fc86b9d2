import { describe, expect, it } from "vitest";

import type { ConversationSummary, MessageView } from "./api-types";
import {
  applyStreamEvent,
  deliveryStateOf,
  expireMessages,
  expireTyping,
  initialChatState,
  mergeConversationList,
  type ChatState,
  type OutboxEntry,
} from "./chat-state";

const me = "00000000-0000-4000-8000-00000000000a";
const friend = "00000000-0000-4000-8000-00000000000b";
const conversationId = "00000000-0000-4000-8000-0000000000c1";

function message(seq: number, overrides: Partial<MessageView> = {}): MessageView {
  return {
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, "0")}`,
    conversationId,
    seq,
    senderId: friend,
    clientId: `10000000-0000-4000-8000-${String(seq).padStart(12, "0")}`,
    kind: "text",
    body: `message ${seq}`,
    replyToId: null,
    createdAt: new Date(Date.UTC(2025, 0, 1, 12, seq)).toISOString(),
    editedAt: null,
    deletedAt: null,
    expiresAt: null,
    expiresAfterReadSeconds: null,
    forwardedFrom: null,
    reactions: [],
    attachments: [],
    ...overrides,
  };
}

function conversation(overrides: Partial<ConversationSummary> = {}): ConversationSummary {
  return {
    id: conversationId,
    kind: "direct",
    title: null,
    creatorId: me,
    lastSeq: 0,
    lastActivityAt: new Date(Date.UTC(2025, 0, 1)).toISOString(),
    createdAt: new Date(Date.UTC(2025, 0, 1)).toISOString(),
    members: [
      { userId: me, username: "me", displayName: "Me", avatarUrl: null, role: "member", lastReadSeq: 0, joinedAt: "2025-01-01T00:00:00.000Z" },
      { userId: friend, username: "friend", displayName: "Friend", avatarUrl: null, role: "member", lastReadSeq: 0, joinedAt: "2025-01-01T00:00:00.000Z" },
    ],
    lastMessage: null,
    disappearing: null,
    unreadCount: 0,
    lastReadSeq: 0,
    ...overrides,
  };
}

function stateWith(summary: ConversationSummary, extra: Partial<ChatState> = {}): ChatState {
  return {
    ...initialChatState,
    conversations: { [summary.id]: summary },
    timelines: { [summary.id]: { messages: [], hasOlder: false, loadingOlder: false, loaded: true } },
    ...extra,
  };
}

describe("applyStreamEvent", () => {
  it("counts a new message from someone else once, however often it is delivered", () => {
    const created = { type: "message.created" as const, conversationId, message: message(1) };
    let state = stateWith(conversation());
    state = applyStreamEvent(state, created, me);
    state = applyStreamEvent(state, created, me);
    expect(state.conversations[conversationId]?.unreadCount).toBe(1);
    expect(state.timelines[conversationId]?.messages).toHaveLength(1);
    expect(state.conversations[conversationId]?.lastMessage?.seq).toBe(1);
  });

  it("keeps history in seq order when events arrive out of order", () => {
    let state = stateWith(conversation());
    for (const seq of [3, 1, 2]) {
      state = applyStreamEvent(state, { type: "message.created", conversationId, message: message(seq) }, me);
    }
    expect(state.timelines[conversationId]?.messages.map((each) => each.seq)).toEqual([1, 2, 3]);
  });

  it("takes an own message out of the outbox when its event arrives", () => {
    const own = message(1, { senderId: me });
    const entry: OutboxEntry = {
      clientId: own.clientId,
      conversationId,
      senderId: me,
      body: "message 1",
      replyToId: null,
      createdAt: own.createdAt,
      status: "sending",
      error: null,
    };
    const state = applyStreamEvent(stateWith(conversation(), { outbox: [entry] }), { type: "message.created", conversationId, message: own }, me);
    expect(state.outbox).toEqual([]);
    expect(state.conversations[conversationId]?.unreadCount).toBe(0);
  });

  it("turns an own message to read when another member's read position reaches it", () => {
    const own = message(1, { senderId: me });
    let state = applyStreamEvent(stateWith(conversation()), { type: "message.created", conversationId, message: own }, me);
    const summary = state.conversations[conversationId];
    expect(summary && deliveryStateOf(summary, own, me)).toBe("sent");
    state = applyStreamEvent(state, { type: "receipt.read", conversationId, userId: friend, lastReadSeq: 1 }, me);
    const after = state.conversations[conversationId];
    expect(after && deliveryStateOf(after, own, me)).toBe("read");
  });

  it("clears the unread count when the user reads on another device", () => {
    let state = stateWith(conversation());
    for (const seq of [1, 2]) {
      state = applyStreamEvent(state, { type: "message.created", conversationId, message: message(seq) }, me);
    }
    state = applyStreamEvent(state, { type: "receipt.read", conversationId, userId: me, lastReadSeq: 1 }, me);
    expect(state.conversations[conversationId]?.unreadCount).toBe(1);
    state = applyStreamEvent(state, { type: "receipt.read", conversationId, userId: me, lastReadSeq: 2 }, me);
    expect(state.conversations[conversationId]?.unreadCount).toBe(0);
  });

  it("adds a reaction once and removes it again", () => {
    let state = applyStreamEvent(stateWith(conversation()), { type: "message.created", conversationId, message: message(1) }, me);
    const reaction = { conversationId, messageId: message(1).id, userId: me, emoji: "👍" };
    state = applyStreamEvent(state, { type: "reaction.added", ...reaction }, me);
    state = applyStreamEvent(state, { type: "reaction.added", ...reaction }, me);
    expect(state.timelines[conversationId]?.messages[0]?.reactions).toEqual([{ emoji: "👍", userIds: [me] }]);
    state = applyStreamEvent(state, { type: "reaction.removed", ...reaction }, me);
    expect(state.timelines[conversationId]?.messages[0]?.reactions).toEqual([]);
  });

  it("stops counting a deleted unread message", () => {
    let state = applyStreamEvent(stateWith(conversation()), { type: "message.created", conversationId, message: message(1) }, me);
    const deleted = message(1, { body: null, deletedAt: "2025-01-01T13:00:00.000Z" });
    state = applyStreamEvent(state, { type: "message.deleted", conversationId, message: deleted }, me);
    expect(state.conversations[conversationId]?.unreadCount).toBe(0);
    expect(state.timelines[conversationId]?.messages[0]?.body).toBeNull();
  });

  it("forgets a conversation the user left, with its history and queued messages", () => {
    const entry: OutboxEntry = {
      clientId: "x",
      conversationId,
      senderId: me,
      body: "unsent",
      replyToId: null,
      createdAt: "2025-01-01T00:00:00.000Z",
      status: "queued",
      error: null,
    };
    const state = applyStreamEvent(stateWith(conversation(), { outbox: [entry] }), { type: "conversation.left", conversationId, removedBy: friend }, me);
    expect(state.conversations).toEqual({});
    expect(state.timelines).toEqual({});
    expect(state.outbox).toEqual([]);
  });

  it("shows typing until it lapses, and not for the user's own typing", () => {
    const expiresAt = new Date(Date.UTC(2025, 0, 1, 12, 0, 5)).toISOString();
    let state = applyStreamEvent(stateWith(conversation()), { type: "typing", conversationId, userId: friend, expiresAt }, me);
    state = applyStreamEvent(state, { type: "typing", conversationId, userId: me, expiresAt }, me);
    expect(Object.keys(state.typing[conversationId] ?? {})).toEqual([friend]);
    expect(expireTyping(state, Date.parse(expiresAt) - 1)).toBe(state);
    expect(expireTyping(state, Date.parse(expiresAt)).typing).toEqual({});
  });
});

describe("mergeConversationList", () => {
  it("keeps what a live event brought that an older list response lacks", () => {
    let state = stateWith(conversation());
    state = applyStreamEvent(state, { type: "message.created", conversationId, message: message(1) }, me);
    const staleList = [conversation()];
    const merged = mergeConversationList(state, staleList);
    expect(merged.conversations[conversationId]?.lastMessage?.seq).toBe(1);
    expect(merged.conversations[conversationId]?.unreadCount).toBe(1);
  });

  it("keeps a read receipt heard after the server read its list: a message read stays read", () => {
    const mine = message(4, { senderId: me });
    let state = stateWith(conversation({ lastSeq: 4, lastMessage: mine, lastReadSeq: 4 }));
    state = applyStreamEvent(state, { type: "receipt.read", conversationId, userId: friend, lastReadSeq: 4 }, me);
    // The list was read after the message was stored but before the friend read it.
    const members = conversation().members.map((member) => ({ ...member, lastReadSeq: member.userId === me ? 4 : 3 }));
    const merged = mergeConversationList(state, [conversation({ lastSeq: 4, lastMessage: mine, lastReadSeq: 4, members })]);
    const summary = merged.conversations[conversationId];
    expect(summary?.members.find((member) => member.userId === friend)?.lastReadSeq).toBe(4);
    expect(summary && deliveryStateOf(summary, mine, me)).toBe("read");
  });

  it("drops conversations the server no longer lists", () => {
    const merged = mergeConversationList(stateWith(conversation()), []);
    expect(merged.conversations).toEqual({});
    expect(merged.timelines).toEqual({});
    expect(merged.conversationsLoaded).toBe(true);
  });
});

describe("profile.updated", () => {
  it("renames a friend in conversation members and in the friend list", () => {
    const renamed = { id: friend, username: "friend", displayName: "Renamed Friend", createdAt: "2025-01-01T00:00:00.000Z", avatarUrl: null };
    let state = stateWith(conversation(), {
      friends: [{ user: { ...renamed, displayName: "Friend" }, since: "2025-01-01T00:00:00.000Z", online: true }],
    });
    state = applyStreamEvent(state, { type: "profile.updated", user: renamed }, me);

    const members = state.conversations[conversationId]?.members ?? [];
    expect(members.find((member) => member.userId === friend)?.displayName).toBe("Renamed Friend");
    expect(members.find((member) => member.userId === me)?.displayName).toBe("Me");
    expect(state.friends[0]?.user.displayName).toBe("Renamed Friend");
    expect(state.people[friend]?.displayName).toBe("Renamed Friend");
    expect(state.me).toBeNull();
  });

  it("shows a friend's new profile picture on their conversation membership", () => {
    const pictured = { id: friend, username: "friend", displayName: "Friend", createdAt: "2025-01-01T00:00:00.000Z", avatarUrl: "/api/media/avatars/new" };
    const state = applyStreamEvent(stateWith(conversation()), { type: "profile.updated", user: pictured }, me);
    const members = state.conversations[conversationId]?.members ?? [];
    expect(members.find((member) => member.userId === friend)?.avatarUrl).toBe("/api/media/avatars/new");
    expect(members.find((member) => member.userId === me)?.avatarUrl).toBeNull();
  });
});

describe("disappearing messages", () => {
  it("removes a message from the timeline and the preview when it expires", () => {
    let state = stateWith(conversation());
    for (const seq of [1, 2]) state = applyStreamEvent(state, { type: "message.created", conversationId, message: message(seq) }, me);
    const gone = message(2);
    state = applyStreamEvent(state, { type: "message.expired", conversationId, messageId: gone.id, seq: 2 }, me);
    expect(state.timelines[conversationId]?.messages.map((each) => each.seq)).toEqual([1]);
    expect(state.conversations[conversationId]?.lastMessage).toBeNull();
  });

  it("starts my copy's burn-after-reading clock when I read it, and drops it when the time is up", () => {
    let state = stateWith(conversation());
    state = applyStreamEvent(state, { type: "message.created", conversationId, message: message(1, { expiresAfterReadSeconds: 30 }) }, me);
    const before = Date.now();
    state = applyStreamEvent(state, { type: "receipt.read", conversationId, userId: me, lastReadSeq: 1 }, me);
    const expiresAt = Date.parse(state.timelines[conversationId]?.messages[0]?.expiresAt ?? "");
    expect(expiresAt).toBeGreaterThanOrEqual(before + 30_000);
    expect(expireMessages(state, expiresAt - 1)).toBe(state);
    expect(expireMessages(state, expiresAt).timelines[conversationId]?.messages).toEqual([]);
  });
});

describe("conversation.updated", () => {
  it("takes the conversation's new disappearing-message timer", () => {
    const summary = conversation();
    const state = applyStreamEvent(
      stateWith(summary),
      {
        type: "conversation.updated",
        conversationId,
        conversation: { ...summary, disappearing: { seconds: 30, startsAt: "read" } },
        change: "disappearing_changed",
        actorId: friend,
        userIds: [],
      },
      me,
    );
    expect(state.conversations[conversationId]?.disappearing).toEqual({ seconds: 30, startsAt: "read" });
  });
});
