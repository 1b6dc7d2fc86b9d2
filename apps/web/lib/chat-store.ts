/**
 * The signed-in app's one store: it owns the SDK client and the chat state, and composes the
 * parts that keep the state current (the event stream, the outbox, the timelines) with every
 * call the screens make. Screens read it through `useChatState` (useSyncExternalStore) and
 * act through its methods.
 */
import type { ParleyClient } from "@parley/client";
import { conversationPageMaxConversations } from "@parley/db/limits";

import { describeProblem, isNetworkProblem } from "./api-errors";
import type { ChatEvent, ConversationSummary, ConversationView, MessageView, StickerView } from "./api-types";
import { newClientId } from "./browser-client";
import { CallController } from "./calls/call-controller";
import { isCallEvent } from "./calls/signalling";
import {
  applyStreamEvent,
  expireMessages,
  expireTyping,
  initialChatState,
  mergeConversationList,
  mergeSummary,
  rememberPeople,
  unreadCountIsExact,
  withConversationView,
  withoutConversation,
  type ChatState,
  type ChatStateHandle,
} from "./chat-state";
import { clearDrafts, loadDrafts, saveDrafts, withDraft } from "./draft-storage";
import { Outbox } from "./outbox";
import { clearOutbox, loadOutbox, saveOutbox } from "./outbox-storage";
import { StreamSync } from "./stream-sync";
import { Timelines } from "./timelines";
import { Uploads, type RecordingMetadata } from "./uploads";

/** How often `conversations.typing` may be called per conversation while typing. */
export const typingAnnounceIntervalMs = 2_000;
const noticeLifetimeMs = 5_000;

type Unsubscribe = () => void;

export interface ChatStoreOptions {
  client: ParleyClient;
  /** Called when the server says the session is gone (expired, revoked, signed out elsewhere). */
  onSignedOut: () => void;
}

export type StartResult = "ready" | "signed-out" | "unreachable";

export class ChatStore {
  readonly client: ParleyClient;
  /** This device's voice and video call, fed by the stream's `call.*` events. */
  readonly calls: CallController;
  private readonly onSignedOut: () => void;
  private state: ChatState = initialChatState;
  private readonly listeners = new Set<() => void>();
  private readonly cleanups: Unsubscribe[] = [];
  private readonly stream: StreamSync;
  private readonly outbox: Outbox;
  private readonly uploads: Uploads;
  private readonly timelines: Timelines;
  private readonly markReadSent = new Map<string, number>();
  private readonly typingAnnouncedAt = new Map<string, number>();
  private readonly refreshing = new Set<string>();
  private readonly eventObservers = new Set<(event: ChatEvent) => void>();
  private nextNoticeId = 1;
  private stopped = false;
  /** Set by signOut(): the session's end that follows is this device's own doing. */
  private signingOut = false;

  constructor(options: ChatStoreOptions) {
    this.client = options.client;
    this.onSignedOut = () => {
      if (!this.signingOut) options.onSignedOut();
    };
    const state: ChatStateHandle = { get: () => this.state, update: (change) => this.update(change) };
    this.stream = new StreamSync({
      client: this.client,
      state,
      onSignedOut: this.onSignedOut,
      onReady: (ready) => this.onStreamReady(ready),
      onEvent: (event) => this.afterEvent(event),
    });
    this.uploads = new Uploads({ client: this.client, state, newId: newClientId, onSettled: () => void this.outbox.flush() });
    this.outbox = new Outbox({ client: this.client, state, onSignedOut: this.onSignedOut, newClientId, uploads: this.uploads });
    this.calls = new CallController({ client: this.client, meId: () => this.meId });
    this.timelines = new Timelines({
      client: this.client,
      state,
      onFailure: (error, failureOptions) => this.handleFailure(error, failureOptions),
    });
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
    // Once signing out, nothing is written back for the account: its drafts are being forgotten.
    if (after.drafts !== before.drafts && after.me && !this.signingOut) saveDrafts(after.me.id, after.drafts);
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
    this.update((state) => ({ ...state, me, outbox: loadOutbox(me.id), drafts: loadDrafts(me.id) }));

    this.cleanups.push(
      this.client.onConnectionState((connection) => {
        if (this.state.connection === "offline") return;
        this.update((state) => ({ ...state, connection }));
        if (connection === "open") void this.outbox.flush();
      }),
    );
    this.watchNetwork();
    // Typing indicators lapse, and disappearing messages go the moment their time runs out.
    const typingTimer = setInterval(() => this.update((state) => expireMessages(expireTyping(state, Date.now()), Date.now())), 1_000);
    this.cleanups.push(() => clearInterval(typingTimer));

    if (typeof navigator !== "undefined" && navigator.onLine === false) {
      this.update((state) => ({ ...state, connection: "offline" }));
    } else {
      this.stream.open();
    }
    // Loaded now as well as on `stream.ready`, so the screen fills even before the socket opens.
    void this.refreshConversations();
    void this.refreshFriends();
    void this.outbox.flush();
    return "ready";
  }

  stop(): void {
    this.stopped = true;
    this.calls.stop();
    this.stream.stop();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.outbox.stop();
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
      this.stream.close();
      void this.client.close();
    };
    const goOnline = () => {
      this.update((state) => ({ ...state, connection: "connecting" }));
      this.stream.open();
      void this.outbox.flush();
    };
    window.addEventListener("offline", goOffline);
    window.addEventListener("online", goOnline);
    this.cleanups.push(() => {
      window.removeEventListener("offline", goOffline);
      window.removeEventListener("online", goOnline);
    });
  }

  /* The event stream */

  private onStreamReady({ resumed, reconnected }: { resumed: boolean; reconnected: boolean }): void {
    // A stream that could not resume replays nothing: re-read what is on screen.
    if (reconnected && !resumed) void this.timelines.reloadLoaded();
    void this.refreshConversations();
    // Presence is never replayed: after a gap only a fresh read tells who is online.
    if (resumed) void this.refreshFriends();
    void this.outbox.flush();
    // Ringing that began before this page opened (or while it was offline) is read, not replayed.
    void this.calls.resume();
  }

  /** Calls `observer` with each stream event after the state took it (notifications, sounds). */
  observeEvents(observer: (event: ChatEvent) => void): Unsubscribe {
    this.eventObservers.add(observer);
    return () => this.eventObservers.delete(observer);
  }

  /** Follow-up reads for what an event cannot carry by itself. */
  private afterEvent(event: ChatEvent): void {
    for (const observer of this.eventObservers) observer(event);
    if (isCallEvent(event)) {
      this.calls.handleEvent(event);
      return;
    }
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
      case "conversation.updated":
        // The removed member hears this update, with the group's title, just before they leave it.
        if (event.change === "member_removed" && event.userIds.includes(this.meId) && event.actorId !== this.meId) {
          this.notify(`You were removed from “${event.conversation.title ?? "a group"}”`, "info");
        }
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

  /* Timelines */

  /** Loads the newest page of a conversation the first time it is opened. */
  openTimeline(conversationId: string): Promise<void> {
    return this.timelines.open(conversationId);
  }

  loadOlder(conversationId: string): Promise<void> {
    return this.timelines.loadOlder(conversationId);
  }

  /** Loads a message (by seq) into its timeline with its context, for a search result to open it. */
  revealMessage(conversationId: string, seq: number): Promise<void> {
    return this.timelines.reveal(conversationId, seq);
  }

  /* Sending */

  sendMessage(input: { conversationId: string; body: string; replyToId: string | null; uploadIds?: string[] }): void {
    // The message itself ends the typing indicator, so the next keystroke announces afresh.
    this.typingAnnouncedAt.delete(input.conversationId);
    this.outbox.enqueue(input);
  }

  /** Starts uploading a file for the composer's tray; the returned id goes into `sendMessage`. */
  startUpload(input: { conversationId: string; file: Blob; name: string; metadata?: RecordingMetadata }): string {
    return this.uploads.start(input);
  }

  cancelUpload(uploadId: string): void {
    this.uploads.cancel(uploadId);
  }

  retryUpload(uploadId: string): void {
    this.uploads.restart(uploadId);
  }

  /** Sends a sticker from the pack: the server makes it an attachment, then it goes like any message. */
  async sendSticker(input: { conversationId: string; sticker: StickerView; replyToId: string | null }): Promise<void> {
    try {
      const { attachmentId } = await this.client.api.attachments.createSticker.mutate({
        conversationId: input.conversationId,
        stickerId: input.sticker.id,
      });
      const { sticker } = input;
      this.outbox.enqueue({
        conversationId: input.conversationId,
        body: "",
        replyToId: input.replyToId,
        ready: [{ uploadId: attachmentId, attachmentId, kind: "sticker", name: sticker.name, size: 0, contentType: "image/webp", url: sticker.url }],
      });
    } catch (error) {
      this.handleFailure(error);
    }
  }

  retryMessage(clientId: string): void {
    this.outbox.retry(clientId);
  }

  discardMessage(clientId: string): void {
    this.outbox.discard(clientId);
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

  /** Sends a copy of the message to each conversation; true when every one took it. */
  async forwardMessage(messageId: string, toConversationIds: string[]): Promise<boolean> {
    return this.run(async () => {
      const result = await this.client.api.messages.forward.mutate({ messageId, toConversationIds });
      for (const message of result.messages) this.update((state) => applyStreamEvent(state, { type: "message.created", conversationId: message.conversationId, message }, this.meId));
      if (result.refused.length > 0) this.notify(`Not forwarded to ${result.refused.length} chat${result.refused.length === 1 ? "" : "s"}: ${result.refused[0]?.message ?? ""}`);
      else this.notify(`Forwarded to ${result.messages.length} chat${result.messages.length === 1 ? "" : "s"}`, "info");
    });
  }

  async setDisappearing(conversationId: string, seconds: number | null, startsAt: "send" | "read"): Promise<boolean> {
    return this.run(async () => {
      const view = await this.client.api.conversations.setDisappearing.mutate({ conversationId, seconds, startsAt });
      this.applyView(view);
    });
  }

  searchMessages(query: string) {
    return this.client.api.messages.search.query({ query, limit: 20 });
  }

  searchPeople(query: string) {
    return this.client.api.users.search.query({ query, limit: 5 });
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

  /** Signs out every other device of this user; how many, or null when it failed. */
  async signOutOtherDevices(): Promise<number | null> {
    return this.runForValue(async () => this.client.api.auth.revokeOtherSessions.mutate());
  }

  /** Uploads a picture and makes the given square of it the profile picture. */
  async setAvatar(file: Blob, crop: { x: number; y: number; side: number }): Promise<boolean> {
    return this.run(async () => {
      const me = await this.client.uploadAvatar({ file, crop });
      this.update((state) => ({ ...state, me }));
    });
  }

  async removeAvatar(): Promise<boolean> {
    return this.run(async () => {
      const me = await this.client.api.users.removeAvatar.mutate();
      this.update((state) => ({ ...state, me }));
    });
  }

  /** Ends this session and forgets this device's unsent messages and drafts. */
  async signOut(): Promise<void> {
    const meId = this.state.me?.id;
    this.signingOut = true;
    try {
      await this.client.api.auth.logout.mutate();
    } catch {
      // Signed out already, or unreachable: the page leaves either way.
    }
    if (meId) {
      clearOutbox(meId);
      clearDrafts(meId);
    }
  }

  /** Keeps what is written in a conversation's box until it is sent; blank removes it. */
  setDraft(conversationId: string, text: string): void {
    this.update((state) => {
      const drafts = withDraft(state.drafts, conversationId, text);
      return drafts === state.drafts ? state : { ...state, drafts };
    });
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
