/**
 * The signed-in app's one store: it owns the SDK client, the single `events.stream`
 * subscription, the outbox, and every call the screens make. Screens read it through
 * `useChatState` (useSyncExternalStore) and act through its methods.
 */
import type { ParleyClient } from "@parley/client";
import { conversationPageMaxConversations, historyPageDefaultMessages } from "@parley/db/limits";

import { describeProblem, isNetworkProblem } from "./api-errors";
import type { ChatEvent, ConversationSummary, ConversationView, MessageView, StreamItem } from "./api-types";
import { newClientId } from "./browser-client";
import {
  applyStreamEvent,
  expireTyping,
  initialChatState,
  mergeConversationList,
  mergeMessages,
  mergeSummary,
  rememberPeople,
  unreadCountIsExact,
  upsertMessage,
  withConversationView,
  withoutConversation,
  type ChatState,
  type OutboxEntry,
} from "./chat-state";
import { clearOutbox, loadOutbox, saveOutbox } from "./outbox-storage";

/** How often `conversations.typing` may be called per conversation while typing. */
export const typingAnnounceIntervalMs = 2_000;
const noticeLifetimeMs = 5_000;
const outboxRetryDelayMs = 3_000;

type Unsubscribe = () => void;

export interface ChatStoreOptions {
  client: ParleyClient;
  /** Called when the server says the session is gone (expired, revoked, signed out elsewhere). */
  onSignedOut: () => void;
}

export type StartResult = "ready" | "signed-out" | "unreachable";

export class ChatStore {
  readonly client: ParleyClient;
  private readonly onSignedOut: () => void;
  private state: ChatState = initialChatState;
  private readonly listeners = new Set<() => void>();
  private readonly cleanups: Unsubscribe[] = [];
  private streamSubscription: { unsubscribe: () => void } | null = null;
  private lastEventId: string | null = null;
  private streamWasReady = false;
  private flushing = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly markReadSent = new Map<string, number>();
  private readonly typingAnnouncedAt = new Map<string, number>();
  private readonly refreshing = new Set<string>();
  private nextNoticeId = 1;
  private stopped = false;

  constructor(options: ChatStoreOptions) {
    this.client = options.client;
    this.onSignedOut = options.onSignedOut;
  }

  /* Reading */

  getState = (): ChatState => this.state;

  subscribe = (listener: () => void): Unsubscribe => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private get meId(): string {
    return this.state.me?.id ?? "";
  }

  private update(change: (state: ChatState) => ChatState): void {
    const before = this.state;
    const after = change(before);
    if (after === before) return;
    this.state = after;
    if (after.outbox !== before.outbox && after.me) saveOutbox(after.me.id, after.outbox);
    for (const listener of this.listeners) listener();
  }

  /* Lifecycle */

  async start(): Promise<StartResult> {
    let me;
    try {
      me = await this.client.api.auth.me.query();
    } catch (error) {
      return describeProblem(error).code === "UNAUTHORIZED" ? "signed-out" : "unreachable";
    }
    if (this.stopped) return "ready";
    this.update((state) => ({ ...state, me, outbox: loadOutbox(me.id) }));

    this.cleanups.push(
      this.client.onConnectionState((connection) => {
        if (this.state.connection === "offline") return;
        this.update((state) => ({ ...state, connection }));
        if (connection === "open") void this.flushOutbox();
      }),
    );
    this.watchNetwork();
    const typingTimer = setInterval(() => this.update((state) => expireTyping(state, Date.now())), 1_000);
    this.cleanups.push(() => clearInterval(typingTimer));

    if (typeof navigator !== "undefined" && navigator.onLine === false) {
      this.update((state) => ({ ...state, connection: "offline" }));
    } else {
      this.openStream();
    }
    // Loaded now as well as on `stream.ready`, so the screen fills even before the socket opens.
    void this.refreshConversations();
    void this.refreshFriends();
    void this.flushOutbox();
    return "ready";
  }

  stop(): void {
    this.stopped = true;
    this.closeStream();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    void this.client.close();
  }

  /**
   * A browser that says it went offline keeps a half-dead socket for a long time; dropping it
   * at once shows the truth and makes the return a clean resume from the last event id.
   */
  private watchNetwork(): void {
    const goOffline = () => {
      // Presence heard before the drop is stale; `stream.ready` on return brings it back.
      this.update((state) => ({ ...state, connection: "offline", presence: {} }));
      this.closeStream();
      void this.client.close();
    };
    const goOnline = () => {
      this.update((state) => ({ ...state, connection: "connecting" }));
      this.openStream();
      void this.flushOutbox();
    };
    window.addEventListener("offline", goOffline);
    window.addEventListener("online", goOnline);
    this.cleanups.push(() => {
      window.removeEventListener("offline", goOffline);
      window.removeEventListener("online", goOnline);
    });
  }

  /* The event stream */

  private openStream(): void {
    if (this.stopped || this.streamSubscription) return;
    this.streamSubscription = this.client.api.events.stream.subscribe(
      this.lastEventId ? { lastEventId: this.lastEventId } : undefined,
      {
        onData: (item) => this.receive(item),
        onError: (error) => {
          this.streamSubscription = null;
          const problem = describeProblem(error);
          if (problem.code === "UNAUTHORIZED") {
            this.onSignedOut();
            return;
          }
          if (problem.code === "BAD_REQUEST") this.lastEventId = null;
          // The SDK already retried what can be retried; start over from our own position.
          setTimeout(() => this.openStream(), outboxRetryDelayMs);
        },
      },
    );
  }

  private closeStream(): void {
    this.streamSubscription?.unsubscribe();
    this.streamSubscription = null;
  }

  /** Every event arrives with the stream position reached, which is where a resume starts. */
  private receive(item: StreamItem): void {
    this.lastEventId = item.id;
    const event = item.data;
    if (event.type === "stream.ready") {
      // A stream that could not resume replays nothing: re-read what is on screen.
      if (!event.resumed && this.streamWasReady) void this.reloadTimelines();
      this.streamWasReady = true;
      void this.refreshConversations();
      // Presence is never replayed: after a gap only a fresh read tells who is online.
      if (event.resumed) void this.refreshFriends();
      void this.flushOutbox();
      return;
    }
    this.update((state) => applyStreamEvent(state, event, this.meId));
    this.afterEvent(event);
  }

  /** Follow-up reads for what an event cannot carry by itself. */
  private afterEvent(event: ChatEvent): void {
    switch (event.type) {
      case "message.created":
        if (!this.state.conversations[event.conversationId]) void this.refreshConversation(event.conversationId);
        break;
      case "conversation.joined":
        void this.refreshConversation(event.conversationId);
        break;
      case "receipt.read":
        if (event.userId === this.meId && !unreadCountIsExact(this.state, event.conversationId)) {
          void this.refreshConversation(event.conversationId);
        }
        break;
      case "conversation.left":
        if (event.removedBy && event.removedBy !== this.meId) this.notify("You were removed from a group", "info");
        break;
      case "friend.accepted":
      case "block.added":
        void this.refreshFriends();
        break;
      default:
        break;
    }
  }

  /* Loading */

  async refreshConversations(): Promise<void> {
    try {
      const all: ConversationSummary[] = [];
      let after: Pick<ConversationSummary, "lastActivityAt" | "id"> | undefined;
      for (;;) {
        const page = await this.client.api.conversations.list.query({ limit: conversationPageMaxConversations, after });
        all.push(...page);
        const last = page.at(-1);
        if (page.length < conversationPageMaxConversations || !last) break;
        after = { lastActivityAt: last.lastActivityAt, id: last.id };
      }
      this.update((state) => mergeConversationList(state, all));
    } catch (error) {
      this.handleFailure(error, { quiet: true });
    }
  }

  async refreshConversation(conversationId: string): Promise<void> {
    if (this.refreshing.has(conversationId)) return;
    this.refreshing.add(conversationId);
    try {
      const summary = await this.client.api.conversations.get.query({ conversationId });
      this.update((state) => ({
        ...state,
        conversations: { ...state.conversations, [conversationId]: mergeSummary(state.conversations[conversationId], summary) },
      }));
    } catch (error) {
      if (describeProblem(error).code === "FORBIDDEN") {
        this.update((state) => withoutConversation(state, conversationId));
      } else {
        this.handleFailure(error, { quiet: true });
      }
    } finally {
      this.refreshing.delete(conversationId);
    }
  }

  async refreshFriends(): Promise<void> {
    try {
      const [friends, requests, blocked] = await Promise.all([
        this.client.api.friends.list.query(),
        this.client.api.friends.requests.query(),
        this.client.api.friends.blocked.query(),
      ]);
      this.update((state) => ({
        ...state,
        friends,
        friendsLoaded: true,
        incomingRequests: requests.incoming,
        outgoingRequests: requests.outgoing,
        blocked,
        people: rememberPeople(state.people, [
          ...friends.map((friend) => friend.user),
          ...requests.incoming.map((request) => request.requester),
          ...requests.outgoing.map((request) => request.addressee),
          ...blocked,
        ]),
        presence: { ...state.presence, ...Object.fromEntries(friends.map((friend) => [friend.user.id, friend.online])) },
      }));
    } catch (error) {
      this.handleFailure(error, { quiet: true });
    }
  }

  /** Fetches the name of someone no longer in any of the user's conversations, once. */
  async lookUpPerson(userId: string): Promise<void> {
    if (this.state.people[userId] || this.refreshing.has(`person:${userId}`)) return;
    this.refreshing.add(`person:${userId}`);
    try {
      const user = await this.client.api.users.byId.query({ userId });
      this.update((state) => ({ ...state, people: rememberPeople(state.people, [user]) }));
    } catch (error) {
      this.handleFailure(error, { quiet: true });
    }
  }

  /** Loads the newest page of a conversation the first time it is opened. */
  async openTimeline(conversationId: string): Promise<void> {
    if (this.state.timelines[conversationId]) return;
    this.update((state) => ({
      ...state,
      timelines: { ...state.timelines, [conversationId]: { messages: [], hasOlder: false, loadingOlder: false, loaded: false } },
    }));
    try {
      const page = await this.client.api.messages.history.query({ conversationId, limit: historyPageDefaultMessages });
      this.update((state) => {
        const timeline = state.timelines[conversationId];
        if (!timeline) return state;
        return {
          ...state,
          timelines: {
            ...state.timelines,
            [conversationId]: {
              ...timeline,
              messages: mergeMessages(timeline.messages, page.messages),
              hasOlder: page.nextBeforeSeq !== null,
              loaded: true,
            },
          },
        };
      });
    } catch (error) {
      this.update((state) => {
        const { [conversationId]: _failed, ...timelines } = state.timelines;
        return { ...state, timelines };
      });
      this.handleFailure(error);
    }
  }

  private async reloadTimelines(): Promise<void> {
    const loaded = Object.entries(this.state.timelines).filter(([, timeline]) => timeline.loaded);
    for (const [conversationId] of loaded) {
      try {
        const page = await this.client.api.messages.history.query({ conversationId, limit: historyPageDefaultMessages });
        this.update((state) => {
          const timeline = state.timelines[conversationId];
          if (!timeline) return state;
          const oldestFresh = page.messages.at(-1)?.seq ?? 0;
          const newestKnown = timeline.messages.at(-1)?.seq ?? 0;
          // More was missed than one page holds: start again from the fresh page rather than leave a hole.
          const fresh = oldestFresh > newestKnown + 1
            ? { ...timeline, messages: [...page.messages].reverse(), hasOlder: page.nextBeforeSeq !== null }
            : { ...timeline, messages: page.messages.reduce(upsertMessage, timeline.messages) };
          return { ...state, timelines: { ...state.timelines, [conversationId]: fresh } };
        });
      } catch (error) {
        this.handleFailure(error, { quiet: true });
      }
    }
  }

  async loadOlder(conversationId: string): Promise<void> {
    const timeline = this.state.timelines[conversationId];
    const oldest = timeline?.messages[0];
    if (!timeline?.loaded || !timeline.hasOlder || timeline.loadingOlder || !oldest) return;
    const setLoading = (loadingOlder: boolean) =>
      this.update((state) => {
        const current = state.timelines[conversationId];
        return current ? { ...state, timelines: { ...state.timelines, [conversationId]: { ...current, loadingOlder } } } : state;
      });
    setLoading(true);
    try {
      const page = await this.client.api.messages.history.query({
        conversationId,
        beforeSeq: oldest.seq,
        limit: historyPageDefaultMessages,
      });
      this.update((state) => {
        const current = state.timelines[conversationId];
        if (!current) return state;
        return {
          ...state,
          timelines: {
            ...state.timelines,
            [conversationId]: {
              ...current,
              messages: mergeMessages(current.messages, page.messages),
              hasOlder: page.nextBeforeSeq !== null,
              loadingOlder: false,
            },
          },
        };
      });
    } catch (error) {
      setLoading(false);
      this.handleFailure(error);
    }
  }

  /* Sending */

  sendMessage(input: { conversationId: string; body: string; replyToId: string | null }): void {
    const entry: OutboxEntry = {
      clientId: newClientId(),
      conversationId: input.conversationId,
      senderId: this.meId,
      body: input.body,
      replyToId: input.replyToId,
      createdAt: new Date().toISOString(),
      status: "queued",
      error: null,
    };
    this.update((state) => ({ ...state, outbox: [...state.outbox, entry] }));
    this.typingAnnouncedAt.delete(input.conversationId);
    void this.flushOutbox();
  }

  retryMessage(clientId: string): void {
    this.setOutboxEntry(clientId, { status: "queued", error: null });
    void this.flushOutbox();
  }

  discardMessage(clientId: string): void {
    this.update((state) => ({ ...state, outbox: state.outbox.filter((entry) => entry.clientId !== clientId) }));
  }

  private setOutboxEntry(clientId: string, change: Partial<OutboxEntry>): void {
    this.update((state) => ({
      ...state,
      outbox: state.outbox.map((entry) => (entry.clientId === clientId ? { ...entry, ...change } : entry)),
    }));
  }

  /**
   * Sends queued messages one at a time, in the order typed. A message leaves the outbox only
   * when the server has acknowledged it (or its own event arrived), and every retry reuses its
   * clientId, so a message is stored once however often the connection drops mid-send.
   */
  async flushOutbox(): Promise<void> {
    if (this.flushing || this.stopped || this.state.connection === "offline" || !this.state.me) return;
    this.flushing = true;
    try {
      for (;;) {
        const entry = this.state.outbox.find((candidate) => candidate.status === "queued");
        if (!entry) break;
        this.setOutboxEntry(entry.clientId, { status: "sending" });
        try {
          const message = await this.client.api.messages.send.mutate({
            conversationId: entry.conversationId,
            clientId: entry.clientId,
            body: entry.body,
            replyToId: entry.replyToId ?? undefined,
          });
          this.update((state) =>
            applyStreamEvent(
              { ...state, outbox: state.outbox.filter((candidate) => candidate.clientId !== entry.clientId) },
              { type: "message.created", conversationId: message.conversationId, message },
              this.meId,
            ),
          );
        } catch (error) {
          const problem = describeProblem(error);
          if (problem.code === "UNAUTHORIZED") {
            this.setOutboxEntry(entry.clientId, { status: "queued" });
            this.onSignedOut();
            return;
          }
          if (problem.code === "NETWORK" || problem.code === "TOO_MANY_REQUESTS" || problem.code === "INTERNAL_SERVER_ERROR") {
            this.setOutboxEntry(entry.clientId, { status: "queued" });
            this.scheduleOutboxRetry((problem.retryAfterSeconds ?? 0) * 1_000 || outboxRetryDelayMs);
            return;
          }
          this.setOutboxEntry(entry.clientId, { status: "failed", error: problem.message });
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private scheduleOutboxRetry(delayMs: number): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.flushOutbox();
    }, delayMs);
  }

  /* Reading position and typing */

  /** Marks everything in the conversation read; called while it is on screen and focused. */
  markRead(conversationId: string): void {
    const conversation = this.state.conversations[conversationId];
    if (!conversation) return;
    const seq = conversation.lastSeq;
    if (seq <= conversation.lastReadSeq && conversation.unreadCount === 0) return;
    if ((this.markReadSent.get(conversationId) ?? -1) >= seq) return;
    this.markReadSent.set(conversationId, seq);
    this.update((state) => {
      const current = state.conversations[conversationId];
      if (!current) return state;
      return {
        ...state,
        conversations: {
          ...state.conversations,
          [conversationId]: {
            ...current,
            lastReadSeq: Math.max(current.lastReadSeq, seq),
            unreadCount: 0,
            members: current.members.map((member) =>
              member.userId === this.meId ? { ...member, lastReadSeq: Math.max(member.lastReadSeq, seq) } : member,
            ),
          },
        },
      };
    });
    this.client.api.messages.markRead.mutate({ conversationId, seq }).catch((error: unknown) => {
      this.markReadSent.delete(conversationId);
      this.handleFailure(error, { quiet: true });
    });
  }

  /** At most one announcement per conversation every two seconds. */
  announceTyping(conversationId: string): void {
    const now = Date.now();
    if (now - (this.typingAnnouncedAt.get(conversationId) ?? 0) < typingAnnounceIntervalMs) return;
    if (this.state.connection !== "open") return;
    this.typingAnnouncedAt.set(conversationId, now);
    this.client.api.conversations.typing.mutate({ conversationId }).catch(() => {
      // Typing is best effort: a lost announcement just means no indicator.
    });
  }

  /* Changing messages */

  async editMessage(messageId: string, body: string): Promise<boolean> {
    return this.run(async () => {
      const message = await this.client.api.messages.edit.mutate({ messageId, body });
      this.applyMessage(message, "message.edited");
    });
  }

  async deleteMessage(messageId: string): Promise<boolean> {
    return this.run(async () => {
      const message = await this.client.api.messages.delete.mutate({ messageId });
      this.applyMessage(message, "message.deleted");
    });
  }

  async toggleReaction(message: MessageView, emoji: string): Promise<void> {
    const mine = message.reactions.some((reaction) => reaction.emoji === emoji && reaction.userIds.includes(this.meId));
    const change = {
      type: mine ? ("reaction.removed" as const) : ("reaction.added" as const),
      conversationId: message.conversationId,
      messageId: message.id,
      userId: this.meId,
      emoji,
    };
    this.update((state) => applyStreamEvent(state, change, this.meId));
    try {
      if (mine) await this.client.api.messages.unreact.mutate({ messageId: message.id, emoji });
      else await this.client.api.messages.react.mutate({ messageId: message.id, emoji });
    } catch (error) {
      const undo = { ...change, type: mine ? ("reaction.added" as const) : ("reaction.removed" as const) };
      this.update((state) => applyStreamEvent(state, undo, this.meId));
      this.handleFailure(error);
    }
  }

  private applyMessage(message: MessageView, type: "message.edited" | "message.deleted"): void {
    this.update((state) => applyStreamEvent(state, { type, conversationId: message.conversationId, message }, this.meId));
  }

  /* Conversations */

  async openDirect(userId: string): Promise<string | null> {
    return this.runForValue(async () => {
      const view = await this.client.api.conversations.openDirect.mutate({ userId });
      this.applyView(view);
      return view.id;
    });
  }

  async createGroup(title: string, memberIds: string[]): Promise<string | null> {
    return this.runForValue(async () => {
      const view = await this.client.api.conversations.createGroup.mutate({ title, memberIds });
      this.applyView(view);
      return view.id;
    });
  }

  async renameGroup(conversationId: string, title: string): Promise<boolean> {
    return this.run(async () => this.applyView(await this.client.api.conversations.rename.mutate({ conversationId, title })));
  }

  async addMembers(conversationId: string, userIds: string[]): Promise<boolean> {
    return this.run(async () => this.applyView(await this.client.api.conversations.addMembers.mutate({ conversationId, userIds })));
  }

  async removeMember(conversationId: string, userId: string): Promise<boolean> {
    return this.run(async () => {
      await this.client.api.conversations.removeMember.mutate({ conversationId, userId });
      await this.refreshConversation(conversationId);
    });
  }

  async setRole(conversationId: string, userId: string, role: "admin" | "member"): Promise<boolean> {
    return this.run(async () => this.applyView(await this.client.api.conversations.setRole.mutate({ conversationId, userId, role })));
  }

  async leaveGroup(conversationId: string): Promise<boolean> {
    return this.run(async () => {
      await this.client.api.conversations.leave.mutate({ conversationId });
      this.update((state) => withoutConversation(state, conversationId));
    });
  }

  private applyView(view: ConversationView): void {
    this.update((state) => withConversationView(state, view, this.meId));
  }

  /* Friends */

  async requestFriend(username: string): Promise<boolean> {
    return this.run(async () => {
      await this.client.api.friends.request.mutate({ username });
      await this.refreshFriends();
    });
  }

  async respondToFriend(action: "accept" | "decline" | "cancel" | "remove" | "block" | "unblock", userId: string): Promise<boolean> {
    return this.run(async () => {
      await this.client.api.friends[action].mutate({ userId });
      await this.refreshFriends();
    });
  }

  /* Account */

  async updateDisplayName(displayName: string): Promise<boolean> {
    return this.run(async () => {
      const me = await this.client.api.users.updateProfile.mutate({ displayName });
      this.update((state) => ({ ...state, me }));
    });
  }

  /** Ends this session and forgets this device's unsent messages. */
  async signOut(): Promise<void> {
    const meId = this.state.me?.id;
    try {
      await this.client.api.auth.logout.mutate();
    } catch {
      // Signed out already, or unreachable: the page leaves either way.
    }
    if (meId) clearOutbox(meId);
  }

  /* Notices and failures */

  notify(text: string, tone: "info" | "error" = "error"): void {
    const id = this.nextNoticeId++;
    this.update((state) => ({ ...state, notices: [...state.notices.slice(-2), { id, text, tone }] }));
    setTimeout(() => this.dismissNotice(id), noticeLifetimeMs);
  }

  dismissNotice(id: number): void {
    this.update((state) => ({ ...state, notices: state.notices.filter((notice) => notice.id !== id) }));
  }

  private handleFailure(error: unknown, options: { quiet?: boolean } = {}): void {
    const problem = describeProblem(error);
    if (problem.code === "UNAUTHORIZED") {
      this.onSignedOut();
      return;
    }
    if (options.quiet && isNetworkProblem(error)) return;
    if (!options.quiet) this.notify(problem.message);
  }

  /** Runs an action; failures become a notice. Resolves to whether it succeeded. */
  private async run(action: () => Promise<void>): Promise<boolean> {
    try {
      await action();
      return true;
    } catch (error) {
      this.handleFailure(error);
      return false;
    }
  }

  private async runForValue<TValue>(action: () => Promise<TValue>): Promise<TValue | null> {
    try {
      return await action();
    } catch (error) {
      this.handleFailure(error);
      return null;
    }
  }
}
