import type { Database } from "@parley/db/client";

import { readEventRange, readLatestEventId } from "../events/log";
import type {
  DurableEvent,
  EphemeralEnvelope,
  EphemeralEvent,
  StoredEvent,
} from "../events/types";
import type { Logger } from "../logger";
import type { EventBus } from "./bus";

export type FeedItem =
  | { kind: "durable"; stored: StoredEvent }
  | { kind: "ephemeral"; event: EphemeralEvent };

export interface FeedSubscription {
  /** Replaces the conversations and blocked users this subscriber hears; joins and blocks that
   * arrive later as events are applied by the feed itself, in event order. */
  setAudience: (audience: { conversationIds: Iterable<string>; blockedUserIds: Iterable<string> }) => void;
  isBlocked: (userId: string) => boolean;
  close: () => void;
}

/** The feed's indexes of its local subscribers, which each subscriber keeps its entries in. */
interface SubscriberIndexes {
  byConversation: Map<string, Set<Subscriber>>;
  byUser: Map<string, Set<Subscriber>>;
}

/**
 * One live stream as the feed sees it: the conversations it hears and the users whose events it
 * hides. It is its own `FeedSubscription`, so that each of the many idle streams costs the feed
 * one object rather than an object, three closures and their scope.
 */
class Subscriber implements FeedSubscription {
  readonly userId: string;
  /** The device (session) this stream runs under: call signals are addressed to one. */
  readonly sessionId: string | null;
  readonly deliver: (item: FeedItem) => void;
  readonly #indexes: SubscriberIndexes;
  #conversations = new Set<string>();
  /** Made at the first block: most people block no one. */
  #blocked: Set<string> | null = null;
  #hasAudience = false;
  /** Audience changes dispatched before the first `setAudience`, replayed on top of it. */
  #changesBeforeAudience: DurableEvent[] | null = null;

  constructor(userId: string, sessionId: string | null, deliver: (item: FeedItem) => void, indexes: SubscriberIndexes) {
    this.userId = userId;
    this.sessionId = sessionId;
    this.deliver = deliver;
    this.#indexes = indexes;
    addToIndex(indexes.byUser, userId, this);
  }

  setAudience({ conversationIds, blockedUserIds }: { conversationIds: Iterable<string>; blockedUserIds: Iterable<string> }): void {
    const { byConversation } = this.#indexes;
    for (const id of this.#conversations) removeFromIndex(byConversation, id, this);
    this.#conversations = new Set(conversationIds);
    for (const id of this.#conversations) addToIndex(byConversation, id, this);
    const blocked = new Set(blockedUserIds);
    this.#blocked = blocked.size > 0 ? blocked : null;
    // The audience was read from the database while the feed kept dispatching: a join, leave
    // or block that arrived meanwhile may be missing from that read, so apply them again on
    // top of it. Every later change reaches the subscriber in log order, so the sets converge.
    const changes = this.#changesBeforeAudience ?? [];
    this.#hasAudience = true;
    this.#changesBeforeAudience = null;
    for (const event of changes) this.applyToAudience(event);
  }

  isBlocked(otherUserId: string): boolean {
    return this.#blocked?.has(otherUserId) ?? false;
  }

  close(): void {
    removeFromIndex(this.#indexes.byUser, this.userId, this);
    for (const id of this.#conversations) removeFromIndex(this.#indexes.byConversation, id, this);
    this.#conversations.clear();
  }

  /** Keeps the audience in step with the log, before the next event is dispatched. */
  applyToAudience(event: DurableEvent): void {
    if (
      !this.#hasAudience &&
      (event.type === "conversation.joined" ||
        event.type === "conversation.left" ||
        event.type === "block.added" ||
        event.type === "block.removed")
    ) {
      (this.#changesBeforeAudience ??= []).push(event);
    }
    switch (event.type) {
      case "conversation.joined":
        if (!this.#conversations.has(event.conversationId)) {
          this.#conversations.add(event.conversationId);
          addToIndex(this.#indexes.byConversation, event.conversationId, this);
        }
        break;
      case "conversation.left":
        this.#conversations.delete(event.conversationId);
        removeFromIndex(this.#indexes.byConversation, event.conversationId, this);
        break;
      case "block.added":
        (this.#blocked ??= new Set()).add(event.userId);
        break;
      case "block.removed":
        this.#blocked?.delete(event.userId);
        break;
      default:
        break;
    }
  }
}

export interface EventFeedOptions {
  db: Database;
  bus: EventBus;
  logger: Logger;
  /** How often the log is re-read in case the bus lost the newest events. */
  pollIntervalMs?: number;
  /** How long a hole in the id sequence may wait for the bus before the log is read. */
  gapWaitMs?: number;
}

const catchUpPageSize = 1_000;

/** Who caused a conversation event, for hiding what blocked users do from the blocker. */
export function senderOf(event: DurableEvent | EphemeralEvent): string | null {
  switch (event.type) {
    case "message.created":
    case "message.edited":
    case "message.deleted":
      return event.message.senderId;
    case "reaction.added":
    case "reaction.removed":
    case "receipt.read":
    case "typing":
      return event.userId;
    case "call.ringing":
      return event.call.initiatorId;
    default:
      return null;
  }
}

/**
 * One per process. Turns bus notifications (possibly late, reordered, duplicated or lost) into
 * the gap-free, id-ordered stream of the log, and hands each event to the local subscribers it
 * is addressed to, looked up by conversation or user rather than by scanning every connection.
 */
export class EventFeed {
  readonly #db: Database;
  readonly #bus: EventBus;
  readonly #logger: Logger;
  readonly #pollIntervalMs: number;
  readonly #gapWaitMs: number;
  #watermark = 0;
  readonly #pending = new Map<number, StoredEvent>();
  readonly #byConversation = new Map<string, Set<Subscriber>>();
  readonly #byUser = new Map<string, Set<Subscriber>>();
  readonly #indexes: SubscriberIndexes = { byConversation: this.#byConversation, byUser: this.#byUser };
  readonly #observers: ((stored: StoredEvent) => void)[] = [];
  #catchUp: Promise<void> | null = null;
  #catchUpAgain = false;
  #gapTimer: NodeJS.Timeout | null = null;
  #pollTimer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(options: EventFeedOptions) {
    this.#db = options.db;
    this.#bus = options.bus;
    this.#logger = options.logger;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.#gapWaitMs = options.gapWaitMs ?? 50;
  }

  /** The highest id up to which every event has been handed to local subscribers. */
  get watermark(): number {
    return this.#watermark;
  }

  async start(): Promise<void> {
    this.#watermark = await readLatestEventId(this.#db);
    await this.#bus.connect({
      onEvents: (events) => this.#ingest(events),
      onEphemeral: (envelope) => this.#dispatchEphemeral(envelope),
      onGap: () => this.requestCatchUp(),
    });
    this.#pollTimer = setInterval(() => this.requestCatchUp(), this.#pollIntervalMs);
    this.#pollTimer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    if (this.#gapTimer) clearTimeout(this.#gapTimer);
    await this.#catchUp;
    await this.#bus.close();
  }

  /** Announces events that were just committed by this process. */
  publish(events: StoredEvent[]): void {
    if (events.length > 0) this.#bus.publishEvents(events);
  }

  publishEphemeral(envelope: EphemeralEnvelope): void {
    this.#bus.publishEphemeral(envelope);
  }

  /**
   * Sees every durable event in log order, whoever it is addressed to, before any subscriber
   * does: for per-process state that must follow the log (the session cache).
   */
  observe(observer: (stored: StoredEvent) => void): void {
    this.#observers.push(observer);
  }

  /** The devices (sessions) with a live stream on this process. */
  liveSessionIds(): string[] {
    const sessionIds = new Set<string>();
    for (const subscribers of this.#byUser.values()) {
      for (const subscriber of subscribers) if (subscriber.sessionId) sessionIds.add(subscriber.sessionId);
    }
    return [...sessionIds];
  }

  subscribe(userId: string, deliver: (item: FeedItem) => void, sessionId: string | null = null): FeedSubscription {
    return new Subscriber(userId, sessionId, deliver, this.#indexes);
  }

  /** Reads the log past the watermark; concurrent requests share one read. */
  requestCatchUp(): void {
    if (this.#stopped) return;
    if (this.#catchUp) {
      this.#catchUpAgain = true;
      return;
    }
    this.#catchUp = this.#readLog()
      .catch((error: unknown) => {
        this.#logger.warn({ err: String(error) }, "event feed could not read the log");
      })
      .finally(() => {
        this.#catchUp = null;
        if (this.#catchUpAgain) {
          this.#catchUpAgain = false;
          this.requestCatchUp();
        }
      });
  }

  async #readLog(): Promise<void> {
    for (;;) {
      const rows = await readEventRange(this.#db, {
        afterId: this.#watermark,
        limit: catchUpPageSize,
      });
      this.#ingest(rows);
      if (rows.length < catchUpPageSize || this.#stopped) return;
    }
  }

  #ingest(events: StoredEvent[]): void {
    for (const stored of events) {
      if (stored.id > this.#watermark) this.#pending.set(stored.id, stored);
    }
    for (let next = this.#pending.get(this.#watermark + 1); next; next = this.#pending.get(this.#watermark + 1)) {
      this.#pending.delete(next.id);
      this.#watermark = next.id;
      this.#dispatch(next);
    }
    if (this.#pending.size > 0 && !this.#gapTimer && !this.#stopped) {
      // A hole: an earlier event is late or lost on the bus. Give it a moment, then ask the log.
      this.#gapTimer = setTimeout(() => {
        this.#gapTimer = null;
        if (this.#pending.size > 0) this.requestCatchUp();
      }, this.#gapWaitMs);
      this.#gapTimer.unref();
    }
  }

  #dispatch(stored: StoredEvent): void {
    for (const observer of this.#observers) observer(stored);
    const item: FeedItem = { kind: "durable", stored };
    if (stored.conversationId) {
      const sender = senderOf(stored.event);
      for (const subscriber of this.#byConversation.get(stored.conversationId) ?? []) {
        if (sender && subscriber.isBlocked(sender)) continue;
        subscriber.deliver(item);
      }
      return;
    }
    if (!stored.userId) return;
    for (const subscriber of this.#byUser.get(stored.userId) ?? []) {
      subscriber.applyToAudience(stored.event);
      subscriber.deliver(item);
    }
  }

  #dispatchEphemeral(envelope: EphemeralEnvelope): void {
    const item: FeedItem = { kind: "ephemeral", event: envelope.event };
    const sender = senderOf(envelope.event);
    if ("conversationId" in envelope.audience) {
      for (const subscriber of this.#byConversation.get(envelope.audience.conversationId) ?? []) {
        if (sender && (sender === subscriber.userId || subscriber.isBlocked(sender))) continue;
        subscriber.deliver(item);
      }
      return;
    }
    if ("devices" in envelope.audience) {
      for (const device of envelope.audience.devices) {
        for (const subscriber of this.#byUser.get(device.userId) ?? []) {
          if (subscriber.sessionId === device.sessionId) subscriber.deliver(item);
        }
      }
      return;
    }
    for (const userId of envelope.audience.userIds) {
      for (const subscriber of this.#byUser.get(userId) ?? []) subscriber.deliver(item);
    }
  }
}

function addToIndex(index: Map<string, Set<Subscriber>>, key: string, subscriber: Subscriber): void {
  let set = index.get(key);
  if (!set) {
    set = new Set();
    index.set(key, set);
  }
  set.add(subscriber);
}

function removeFromIndex(index: Map<string, Set<Subscriber>>, key: string, subscriber: Subscriber): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(subscriber);
  if (set.size === 0) index.delete(key);
}

