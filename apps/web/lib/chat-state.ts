/**
 * The web app's client-side state and the pure functions that change it. Everything the
 * server tells us arrives through `applyStreamEvent` or a `merge*` function, so the same
 * event applied twice (a replay overlapping a fresh fetch) leaves the state as it was.
 */
import type { ConnectionState } from "@parley/client";

import type {
  AttachmentKind,
  ChatEvent,
  ConversationSummary,
  ConversationView,
  FriendRequestView,
  FriendView,
  MessageView,
  PublicUser,
  ReactionView,
} from "./api-types";
import { withDraft, type Drafts } from "./draft-storage";
import type { UploadJob } from "./uploads";

/** A file a queued message carries: its upload's local id, and the attachment once uploaded. */
export interface OutboxAttachment {
  uploadId: string;
  /** Null until the upload finished; the message is sent only when none is null. */
  attachmentId: string | null;
  kind: AttachmentKind;
  name: string;
  size: number;
  contentType: string;
  /** Where to show it from before it is sent, when that is not a local upload (a sticker's art). */
  url?: string;
}

/** A message typed here that the server has not acknowledged yet. */
export interface OutboxEntry {
  /** Sent as `clientId`: every retry reuses it, so the server stores the message once. */
  clientId: string;
  conversationId: string;
  senderId: string;
  body: string;
  replyToId: string | null;
  createdAt: string;
  status: "queued" | "sending" | "failed";
  error: string | null;
  /** Files sent with it (the body is then their caption); absent for a text message. */
  attachments?: OutboxAttachment[];
}

/** The loaded part of a conversation's history, oldest first. */
export interface Timeline {
  messages: MessageView[];
  hasOlder: boolean;
  loadingOlder: boolean;
  /** False until the newest page has arrived. */
  loaded: boolean;
}

export type ConnectionStatus = ConnectionState | "offline";

export interface Notice {
  id: number;
  text: string;
  tone: "info" | "error";
}

/** How someone is shown; kept after they leave a group so their old messages keep a name. */
export interface KnownPerson {
  username: string;
  displayName: string;
}

export interface ChatState {
  me: PublicUser | null;
  connection: ConnectionStatus;
  conversations: Record<string, ConversationSummary>;
  conversationsLoaded: boolean;
  timelines: Record<string, Timeline>;
  outbox: OutboxEntry[];
  /** Files being uploaded from this device, by local upload id (lib/uploads.ts). */
  uploads: Record<string, UploadJob>;
  /** conversationId → userId → when the indicator lapses (epoch ms). */
  typing: Record<string, Record<string, number>>;
  presence: Record<string, boolean>;
  friends: FriendView[];
  friendsLoaded: boolean;
  incomingRequests: FriendRequestView[];
  outgoingRequests: FriendRequestView[];
  blocked: PublicUser[];
  /** Everyone seen as a member, friend or search result, by user id. */
  people: Record<string, KnownPerson>;
  notices: Notice[];
  /** What is written and not sent, by conversation (lib/draft-storage.ts). */
  drafts: Drafts;
}

/** How each part of the store reads the state and changes it; every change reaches the screens. */
export interface ChatStateHandle {
  get: () => ChatState;
  update: (change: (state: ChatState) => ChatState) => void;
}

export const initialChatState: ChatState = {
  me: null,
  connection: "idle",
  conversations: {},
  conversationsLoaded: false,
  timelines: {},
  outbox: [],
  uploads: {},
  typing: {},
  presence: {},
  friends: [],
  friendsLoaded: false,
  incomingRequests: [],
  outgoingRequests: [],
  blocked: [],
  people: {},
  notices: [],
  drafts: {},
};

/* People */

export function rememberPeople(
  people: Record<string, KnownPerson>,
  persons: Iterable<{ id: string; username: string; displayName: string }>,
): Record<string, KnownPerson> {
  let next = people;
  for (const person of persons) {
    const known = next[person.id];
    if (known?.username === person.username && known.displayName === person.displayName) continue;
    if (next === people) next = { ...people };
    next[person.id] = { username: person.username, displayName: person.displayName };
  }
  return next;
}

function membersAsPeople(members: ConversationView["members"]) {
  return members.map((member) => ({ id: member.userId, username: member.username, displayName: member.displayName }));
}

/* Messages */

/** Inserts or replaces by id, keeping seq order. */
export function upsertMessage(messages: MessageView[], message: MessageView): MessageView[] {
  const index = messages.findIndex((existing) => existing.id === message.id);
  if (index >= 0) {
    const next = messages.slice();
    next[index] = message;
    return next;
  }
  const last = messages.at(-1);
  if (!last || last.seq < message.seq) return [...messages, message];
  const position = messages.findIndex((existing) => existing.seq > message.seq);
  const next = messages.slice();
  next.splice(position === -1 ? next.length : position, 0, message);
  return next;
}

/** Older and newer pages merged with what is loaded, one copy per id. */
export function mergeMessages(current: MessageView[], incoming: MessageView[]): MessageView[] {
  let merged = current;
  for (const message of incoming) {
    if (!merged.some((existing) => existing.id === message.id)) merged = upsertMessage(merged, message);
  }
  return merged;
}

function withReaction(
  reactions: ReactionView[],
  change: { emoji: string; userId: string; added: boolean },
): ReactionView[] {
  const existing = reactions.find((reaction) => reaction.emoji === change.emoji);
  if (change.added) {
    if (existing?.userIds.includes(change.userId)) return reactions;
    if (existing) {
      return reactions.map((reaction) =>
        reaction === existing ? { ...reaction, userIds: [...reaction.userIds, change.userId] } : reaction,
      );
    }
    return [...reactions, { emoji: change.emoji, userIds: [change.userId] }];
  }
  if (!existing?.userIds.includes(change.userId)) return reactions;
  return reactions
    .map((reaction) =>
      reaction === existing ? { ...reaction, userIds: reaction.userIds.filter((id) => id !== change.userId) } : reaction,
    )
    .filter((reaction) => reaction.userIds.length > 0);
}

function updateMessageEverywhere(
  state: ChatState,
  conversationId: string,
  messageId: string,
  update: (message: MessageView) => MessageView,
): ChatState {
  let next = state;
  const timeline = state.timelines[conversationId];
  if (timeline?.messages.some((message) => message.id === messageId)) {
    next = {
      ...next,
      timelines: {
        ...next.timelines,
        [conversationId]: {
          ...timeline,
          messages: timeline.messages.map((message) => (message.id === messageId ? update(message) : message)),
        },
      },
    };
  }
  const conversation = state.conversations[conversationId];
  if (conversation?.lastMessage?.id === messageId) {
    next = {
      ...next,
      conversations: {
        ...next.conversations,
        [conversationId]: { ...conversation, lastMessage: update(conversation.lastMessage) },
      },
    };
  }
  return next;
}

function countsAsUnread(message: MessageView, meId: string, lastReadSeq: number): boolean {
  return message.senderId !== meId && message.deletedAt === null && message.seq > lastReadSeq;
}

function applyMessageCreated(state: ChatState, message: MessageView, meId: string): ChatState {
  const conversationId = message.conversationId;
  let next: ChatState = state;

  const timeline = state.timelines[conversationId];
  if (timeline) {
    next = {
      ...next,
      timelines: { ...next.timelines, [conversationId]: { ...timeline, messages: upsertMessage(timeline.messages, message) } },
    };
  }

  const conversation = state.conversations[conversationId];
  if (conversation) {
    const isNewest = message.seq > (conversation.lastMessage?.seq ?? 0);
    const alreadyCounted = timeline?.messages.some((existing) => existing.id === message.id) ?? false;
    const ownMessage = message.senderId === meId;
    next = {
      ...next,
      conversations: {
        ...next.conversations,
        [conversationId]: {
          ...conversation,
          lastSeq: Math.max(conversation.lastSeq, message.seq),
          lastMessage: isNewest ? message : conversation.lastMessage,
          lastActivityAt: isNewest ? message.createdAt : conversation.lastActivityAt,
          // The server moves a sender's read position to their own message.
          lastReadSeq: ownMessage ? Math.max(conversation.lastReadSeq, message.seq) : conversation.lastReadSeq,
          unreadCount: ownMessage
            ? 0
            : conversation.unreadCount +
              (isNewest && !alreadyCounted && countsAsUnread(message, meId, conversation.lastReadSeq) ? 1 : 0),
          members: ownMessage
            ? conversation.members.map((member) =>
                member.userId === meId ? { ...member, lastReadSeq: Math.max(member.lastReadSeq, message.seq) } : member,
              )
            : conversation.members,
        },
      },
    };
  }

  if (message.senderId === meId && next.outbox.some((entry) => entry.clientId === message.clientId)) {
    next = { ...next, outbox: next.outbox.filter((entry) => entry.clientId !== message.clientId) };
  }
  const typers = next.typing[conversationId];
  if (typers?.[message.senderId] !== undefined) {
    const { [message.senderId]: _stopped, ...rest } = typers;
    next = { ...next, typing: { ...next.typing, [conversationId]: rest } };
  }
  return next;
}

function applyMessageChanged(state: ChatState, message: MessageView, meId: string): ChatState {
  const before =
    state.timelines[message.conversationId]?.messages.find((existing) => existing.id === message.id) ??
    (state.conversations[message.conversationId]?.lastMessage?.id === message.id
      ? state.conversations[message.conversationId]?.lastMessage
      : undefined);
  let next = updateMessageEverywhere(state, message.conversationId, message.id, () => message);
  const conversation = next.conversations[message.conversationId];
  if (conversation && message.deletedAt && before && !before.deletedAt) {
    if (countsAsUnread(before, meId, conversation.lastReadSeq) && conversation.unreadCount > 0) {
      next = {
        ...next,
        conversations: {
          ...next.conversations,
          [message.conversationId]: { ...conversation, unreadCount: conversation.unreadCount - 1 },
        },
      };
    }
  }
  return next;
}

function applyReadReceipt(
  state: ChatState,
  receipt: { conversationId: string; userId: string; lastReadSeq: number },
  meId: string,
): ChatState {
  const conversation = state.conversations[receipt.conversationId];
  if (!conversation) return state;
  const members = conversation.members.map((member) =>
    member.userId === receipt.userId && member.lastReadSeq < receipt.lastReadSeq
      ? { ...member, lastReadSeq: receipt.lastReadSeq }
      : member,
  );
  let updated: ConversationSummary = { ...conversation, members };
  if (receipt.userId === meId && receipt.lastReadSeq > conversation.lastReadSeq) {
    updated = {
      ...updated,
      lastReadSeq: receipt.lastReadSeq,
      unreadCount: unreadAfter(state.timelines[receipt.conversationId], conversation, receipt.lastReadSeq, meId),
    };
  }
  return { ...state, conversations: { ...state.conversations, [receipt.conversationId]: updated } };
}

/**
 * Unread messages past a new read position: counted exactly when the loaded history covers
 * them, otherwise the old count shrunk by what we can see (the store then asks the server).
 */
function unreadAfter(
  timeline: Timeline | undefined,
  conversation: ConversationSummary,
  lastReadSeq: number,
  meId: string,
): number {
  if (lastReadSeq >= conversation.lastSeq) return 0;
  const oldestLoaded = timeline?.messages[0]?.seq;
  if (timeline?.loaded && (oldestLoaded === undefined || oldestLoaded <= lastReadSeq + 1 || !timeline.hasOlder)) {
    return timeline.messages.filter((message) => countsAsUnread(message, meId, lastReadSeq)).length;
  }
  return conversation.unreadCount;
}

/** Whether the unread count of a conversation can be trusted after a read-position change. */
export function unreadCountIsExact(state: ChatState, conversationId: string): boolean {
  const conversation = state.conversations[conversationId];
  if (!conversation) return true;
  if (conversation.lastReadSeq >= conversation.lastSeq) return true;
  const timeline = state.timelines[conversationId];
  const oldestLoaded = timeline?.messages[0]?.seq;
  return Boolean(
    timeline?.loaded && (oldestLoaded === undefined || oldestLoaded <= conversation.lastReadSeq + 1 || !timeline.hasOlder),
  );
}

/* Conversations */

function summaryFromView(view: ConversationView, meId: string): ConversationSummary {
  const mine = view.members.find((member) => member.userId === meId);
  return { ...view, lastMessage: null, unreadCount: 0, lastReadSeq: mine?.lastReadSeq ?? view.lastSeq };
}

/** Takes a conversation's current title and members, keeping what only the summary knows. */
export function withConversationView(state: ChatState, view: ConversationView, meId: string): ChatState {
  const current = state.conversations[view.id];
  const updated: ConversationSummary = current
    ? {
        ...current,
        title: view.title,
        creatorId: view.creatorId,
        disappearing: view.disappearing,
        // A member's read position only moves forward, whichever copy is fresher.
        members: membersReadAtLeast(view.members, current.members),
      }
    : summaryFromView(view, meId);
  return {
    ...state,
    conversations: { ...state.conversations, [view.id]: updated },
    people: rememberPeople(state.people, membersAsPeople([...(current?.members ?? []), ...view.members])),
  };
}

export function withoutConversation(state: ChatState, conversationId: string): ChatState {
  const { [conversationId]: _removed, ...conversations } = state.conversations;
  const { [conversationId]: _timeline, ...timelines } = state.timelines;
  const { [conversationId]: _typing, ...typing } = state.typing;
  return {
    ...state,
    conversations,
    timelines,
    typing,
    outbox: state.outbox.filter((entry) => entry.conversationId !== conversationId),
    drafts: withDraft(state.drafts, conversationId, ""),
  };
}

/**
 * Replaces the conversation list with the server's, except where a live event has already
 * carried a conversation further than the (possibly older) list response.
 */
export function mergeConversationList(state: ChatState, list: ConversationSummary[]): ChatState {
  const conversations: Record<string, ConversationSummary> = {};
  for (const summary of list) {
    conversations[summary.id] = mergeSummary(state.conversations[summary.id], summary);
  }
  const timelines: Record<string, Timeline> = {};
  for (const [id, timeline] of Object.entries(state.timelines)) {
    if (conversations[id]) timelines[id] = timeline;
  }
  const people = rememberPeople(state.people, list.flatMap((summary) => membersAsPeople(summary.members)));
  return { ...state, conversations, timelines, people, conversationsLoaded: true };
}

export function mergeSummary(current: ConversationSummary | undefined, fresh: ConversationSummary): ConversationSummary {
  if (!current) return fresh;
  // A read receipt heard live after the server read its list must not be undone by the list.
  const merged = { ...fresh, members: membersReadAtLeast(fresh.members, current.members) };
  if (fresh.lastSeq >= current.lastSeq) {
    if (current.lastReadSeq > fresh.lastReadSeq) {
      return { ...merged, lastReadSeq: current.lastReadSeq, unreadCount: Math.min(fresh.unreadCount, current.unreadCount) };
    }
    return merged;
  }
  return { ...merged, lastSeq: current.lastSeq, lastMessage: current.lastMessage, lastActivityAt: current.lastActivityAt, unreadCount: current.unreadCount, lastReadSeq: Math.max(current.lastReadSeq, fresh.lastReadSeq) };
}

/** The fresh members, each with the further of the two read positions: they only move forward. */
function membersReadAtLeast(fresh: ConversationSummary["members"], known: ConversationSummary["members"]): ConversationSummary["members"] {
  return fresh.map((member) => {
    const before = known.find((existing) => existing.userId === member.userId);
    return before && before.lastReadSeq > member.lastReadSeq ? { ...member, lastReadSeq: before.lastReadSeq } : member;
  });
}

export function sortedConversations(conversations: Record<string, ConversationSummary>): ConversationSummary[] {
  return Object.values(conversations).sort((a, b) => {
    const difference = Date.parse(b.lastActivityAt) - Date.parse(a.lastActivityAt);
    return difference !== 0 ? difference : b.id.localeCompare(a.id);
  });
}

/* Friends */

function withoutRequestsFrom(requests: FriendRequestView[], userId: string): FriendRequestView[] {
  return requests.filter((request) => request.requester.id !== userId && request.addressee.id !== userId);
}

function applyFriendEvent(state: ChatState, event: ChatEvent, meId: string): ChatState {
  switch (event.type) {
    case "friend.requested": {
      const incoming = event.request.addressee.id === meId;
      const otherId = incoming ? event.request.requester.id : event.request.addressee.id;
      const list = incoming ? state.incomingRequests : state.outgoingRequests;
      const updated = [event.request, ...withoutRequestsFrom(list, otherId)];
      return incoming ? { ...state, incomingRequests: updated } : { ...state, outgoingRequests: updated };
    }
    case "friend.accepted": {
      const friends = state.friends.some((friend) => friend.user.id === event.friend.id)
        ? state.friends
        : [...state.friends, { user: event.friend, since: event.since, online: state.presence[event.friend.id] ?? false }].sort(
            (a, b) => a.user.username.localeCompare(b.user.username),
          );
      return {
        ...state,
        friends,
        incomingRequests: withoutRequestsFrom(state.incomingRequests, event.friend.id),
        outgoingRequests: withoutRequestsFrom(state.outgoingRequests, event.friend.id),
      };
    }
    case "friend.declined":
    case "friend.cancelled":
    case "friend.removed":
      return {
        ...state,
        friends: event.type === "friend.removed" ? state.friends.filter((friend) => friend.user.id !== event.userId) : state.friends,
        incomingRequests: withoutRequestsFrom(state.incomingRequests, event.userId),
        outgoingRequests: withoutRequestsFrom(state.outgoingRequests, event.userId),
      };
    case "block.added":
      return {
        ...state,
        friends: state.friends.filter((friend) => friend.user.id !== event.userId),
        incomingRequests: withoutRequestsFrom(state.incomingRequests, event.userId),
        outgoingRequests: withoutRequestsFrom(state.outgoingRequests, event.userId),
      };
    case "block.removed":
      return { ...state, blocked: state.blocked.filter((user) => user.id !== event.userId) };
    default:
      return state;
  }
}

/* Events */

export function applyStreamEvent(state: ChatState, event: ChatEvent, meId: string): ChatState {
  switch (event.type) {
    case "message.created":
      return applyMessageCreated(state, event.message, meId);
    case "message.edited":
    case "message.deleted":
      return applyMessageChanged(state, event.message, meId);
    case "reaction.added":
    case "reaction.removed": {
      const change = { emoji: event.emoji, userId: event.userId, added: event.type === "reaction.added" };
      return updateMessageEverywhere(state, event.conversationId, event.messageId, (message) => ({
        ...message,
        reactions: withReaction(message.reactions, change),
      }));
    }
    case "receipt.read":
      return startBurnClocks(applyReadReceipt(state, event, meId), event, meId, Date.now());
    case "message.expired":
      return withoutMessages(state, event.conversationId, (message) => message.id === event.messageId);
    case "conversation.joined":
      return withConversationView(state, event.conversation, meId);
    case "conversation.updated":
      return withConversationView(state, event.conversation, meId);
    case "conversation.left":
      return withoutConversation(state, event.conversationId);
    case "profile.updated": {
      // Sent to the user's own devices and to their friends: rename them (and their picture) wherever they appear.
      const renamed = event.user;
      const conversations: Record<string, ConversationSummary> = {};
      for (const [id, conversation] of Object.entries(state.conversations)) {
        conversations[id] = conversation.members.some((member) => member.userId === renamed.id)
          ? {
              ...conversation,
              members: conversation.members.map((member) =>
                member.userId === renamed.id ? { ...member, displayName: renamed.displayName, avatarUrl: renamed.avatarUrl } : member,
              ),
            }
          : conversation;
      }
      return {
        ...state,
        me: renamed.id === meId ? renamed : state.me,
        people: rememberPeople(state.people, [renamed]),
        friends: state.friends.map((friend) => (friend.user.id === renamed.id ? { ...friend, user: renamed } : friend)),
        conversations,
      };
    }
    case "typing": {
      if (event.userId === meId) return state;
      const typers = state.typing[event.conversationId] ?? {};
      return {
        ...state,
        typing: { ...state.typing, [event.conversationId]: { ...typers, [event.userId]: Date.parse(event.expiresAt) } },
      };
    }
    case "presence":
      return {
        ...state,
        presence: { ...state.presence, [event.userId]: event.online },
        friends: state.friends.map((friend) => (friend.user.id === event.userId ? { ...friend, online: event.online } : friend)),
      };
    default:
      return applyFriendEvent(state, event, meId);
  }
}

/* Disappearing messages */

/** Removes the matching messages of a conversation from its timeline and its preview. */
function withoutMessages(state: ChatState, conversationId: string, gone: (message: MessageView) => boolean): ChatState {
  let next = state;
  const timeline = state.timelines[conversationId];
  if (timeline?.messages.some(gone)) {
    next = {
      ...next,
      timelines: { ...next.timelines, [conversationId]: { ...timeline, messages: timeline.messages.filter((message) => !gone(message)) } },
    };
  }
  const conversation = state.conversations[conversationId];
  if (conversation?.lastMessage && gone(conversation.lastMessage)) {
    next = { ...next, conversations: { ...next.conversations, [conversationId]: { ...conversation, lastMessage: null } } };
  }
  return next;
}

/**
 * Burn after reading, as the server counts it: my read starts my copies' clocks; in a direct chat
 * the peer's read starts the clock of my messages too (they were its only reader).
 */
function startBurnClocks(
  state: ChatState,
  receipt: { conversationId: string; userId: string; lastReadSeq: number },
  meId: string,
  nowMs: number,
): ChatState {
  const timeline = state.timelines[receipt.conversationId];
  const conversation = state.conversations[receipt.conversationId];
  if (!timeline || !conversation) return state;
  const starts = (message: MessageView) =>
    message.expiresAfterReadSeconds !== null &&
    message.expiresAt === null &&
    message.seq <= receipt.lastReadSeq &&
    (receipt.userId === meId ? message.senderId !== meId : conversation.kind === "direct" && message.senderId === meId);
  if (!timeline.messages.some(starts)) return state;
  const messages = timeline.messages.map((message) =>
    starts(message) ? { ...message, expiresAt: new Date(nowMs + (message.expiresAfterReadSeconds ?? 0) * 1_000).toISOString() } : message,
  );
  return { ...state, timelines: { ...state.timelines, [receipt.conversationId]: { ...timeline, messages } } };
}

/** Drops messages whose time ran out (the server no longer shows them either); same state when none has. */
export function expireMessages(state: ChatState, nowMs: number): ChatState {
  const expired = (message: MessageView) => message.expiresAt !== null && Date.parse(message.expiresAt) <= nowMs;
  let next = state;
  for (const conversationId of new Set([...Object.keys(state.timelines), ...Object.keys(state.conversations)])) {
    next = withoutMessages(next, conversationId, expired);
  }
  return next;
}

/** Drops typing indicators whose time has passed; returns the same state when none has. */
export function expireTyping(state: ChatState, nowMs: number): ChatState {
  let changed = false;
  const typing: ChatState["typing"] = {};
  for (const [conversationId, typers] of Object.entries(state.typing)) {
    const live = Object.fromEntries(Object.entries(typers).filter(([, expiresAtMs]) => expiresAtMs > nowMs));
    if (Object.keys(live).length !== Object.keys(typers).length) changed = true;
    if (Object.keys(live).length > 0) typing[conversationId] = live;
  }
  return changed ? { ...state, typing } : state;
}

/* Delivery */

export type DeliveryState = "sending" | "failed" | "sent" | "read";

/** Read once any other member's read position has reached the message. */
export function deliveryStateOf(conversation: ConversationSummary, message: MessageView, meId: string): DeliveryState {
  return conversation.members.some((member) => member.userId !== meId && member.lastReadSeq >= message.seq) ? "read" : "sent";
}
