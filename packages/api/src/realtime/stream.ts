import { tracked, type TrackedEnvelope } from "@trpc/server";

import type { Database } from "@parley/db/client";

import { currentConversationsOf } from "../domain/membership";
import { usersBlockedBy } from "../domain/relationships";
import { DomainError } from "../errors";
import { readEventsForUser, readLatestEventId } from "../events/log";
import type { DurableEvent, EphemeralEvent, StreamReadyEvent } from "../events/types";
import { senderOf, type EventFeed, type FeedItem } from "./feed";
import type { Presence } from "./presence";

const backfillPageSize = 500;
/** A subscriber this far behind is disconnected; its client resumes from the log. */
const maxQueuedItems = 20_000;

export interface StreamEventsOptions {
  db: Database;
  feed: EventFeed;
  presence: Presence;
  userId: string;
  /** The session this stream runs under: it ends when that session is revoked. */
  sessionId: string;
  lastEventId: string | null | undefined;
  signal: AbortSignal | undefined;
}

export function parseEventId(value: string): number {
  if (!/^\d{1,15}$/.test(value)) {
    throw new DomainError("BAD_REQUEST", "lastEventId must be an event id received from events.stream");
  }
  return Number(value);
}

async function loadAudience(db: Database, userId: string) {
  const [memberships, blocked] = await Promise.all([currentConversationsOf(db, userId), usersBlockedBy(db, userId)]);
  return {
    conversationIds: memberships.map((row) => row.conversationId),
    blockedUserIds: blocked.map((row) => row.id),
  };
}

function endIfRevoked(event: DurableEvent, sessionId: string): void {
  if (event.type === "session.revoked" && event.sessionId === sessionId) {
    throw new DomainError("UNAUTHORIZED", "This session has ended; sign in again");
  }
}

/** "Answered on another device" is for the user's other devices, not the one that answered. */
function isForOtherDevices(event: DurableEvent, sessionId: string): boolean {
  return event.type === "call.ended" && "answeredOnSessionId" in event && event.answeredOnSessionId === sessionId;
}

/**
 * The feed items a stream has not yielded yet, and its wait for the next one. It is also the
 * stream's abort listener (`handleEvent`), so that an idle stream holds no closures of its own.
 */
class StreamQueue {
  readonly items: FeedItem[] = [];
  overflowed = false;
  #wake: (() => void) | null = null;

  push(item: FeedItem): void {
    if (this.items.length >= maxQueuedItems) {
      this.overflowed = true;
    } else {
      this.items.push(item);
    }
    this.handleEvent();
  }

  /** Settles when an item arrives or the stream's signal aborts. */
  arrival(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  handleEvent(): void {
    this.#wake?.();
    this.#wake = null;
  }
}

/**
 * Everything addressed to one user: first what they missed since `lastEventId` (read from the
 * log), then live events, each durable event exactly once and in id order.
 *
 * The order of steps is what makes that hold: subscribe to the feed first (so nothing that
 * commits from now on can slip by), then read the log, then skip queued events the log
 * already delivered.
 */
export async function* streamEvents(
  options: StreamEventsOptions,
): AsyncGenerator<TrackedEnvelope<DurableEvent | StreamReadyEvent | EphemeralEvent>, void, unknown> {
  const queue = new StreamQueue();
  const subscription = options.feed.subscribe(options.userId, (item) => queue.push(item), options.sessionId);
  // Everything up to here is in the log; everything after reaches the queue.
  const subscribedAt = options.feed.watermark;
  options.signal?.addEventListener("abort", queue);
  const disconnectPresence = options.presence.connect(options.userId);

  try {
    subscription.setAudience(await loadAudience(options.db, options.userId));

    // A fresh stream starts where the feed stood when we subscribed; reading the log from there
    // covers what arrived while the audience was loading. An id from a log that has since been
    // reset must not hide the events now in it.
    let cursor =
      options.lastEventId == null
        ? subscribedAt
        : Math.min(parseEventId(options.lastEventId), await readLatestEventId(options.db));
    for (;;) {
      const page = await readEventsForUser(options.db, {
        userId: options.userId,
        afterId: cursor,
        limit: backfillPageSize,
      });
      for (const stored of page) {
        cursor = stored.id;
        const sender = senderOf(stored.event);
        if ((sender && subscription.isBlocked(sender)) || isForOtherDevices(stored.event, options.sessionId)) continue;
        yield tracked(String(stored.id), stored.event);
        endIfRevoked(stored.event, options.sessionId);
      }
      if (page.length < backfillPageSize || options.signal?.aborted) break;
    }
    yield tracked(String(cursor), { type: "stream.ready", resumed: options.lastEventId != null });

    while (!options.signal?.aborted) {
      if (queue.overflowed) {
        throw new DomainError("TOO_MANY_REQUESTS", "Event stream fell too far behind; resume from the last event id");
      }
      const item = queue.items.shift();
      if (!item) {
        await queue.arrival();
        continue;
      }
      if (item.kind === "ephemeral") {
        // Typing and presence carry the position reached too: the client's resume id is that of
        // the last event it got, whatever its kind, and it must never fall back or go blank.
        yield tracked(String(cursor), item.event);
        continue;
      }
      if (item.stored.id <= cursor) continue;
      cursor = item.stored.id;
      if (isForOtherDevices(item.stored.event, options.sessionId)) continue;
      yield tracked(String(item.stored.id), item.stored.event);
      endIfRevoked(item.stored.event, options.sessionId);
    }
  } finally {
    options.signal?.removeEventListener("abort", queue);
    subscription.close();
    disconnectPresence();
  }
}
