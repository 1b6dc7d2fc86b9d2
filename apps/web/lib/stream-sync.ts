/**
 * The one `events.stream` subscription: every event is applied to the chat state as it arrives,
 * and after any drop the stream reopens from the last position reached, so the server replays
 * exactly what was missed.
 */
import type { ParleyClient } from "@parley/client";

import { describeProblem } from "./api-errors";
import type { ChatEvent, StreamItem } from "./api-types";
import { applyStreamEvent, type ChatStateHandle } from "./chat-state";

const reopenDelayMs = 3_000;

export interface StreamSyncOptions {
  client: ParleyClient;
  state: ChatStateHandle;
  /** Called when the server refuses the stream because the session is gone. */
  onSignedOut: () => void;
  /**
   * The stream is live. `resumed`: it carried on from the last position, so nothing was
   * missed. `reconnected`: an earlier stream had been live, so what is on screen may be stale.
   */
  onReady: (ready: { resumed: boolean; reconnected: boolean }) => void;
  /** After an event has been applied: for the follow-up reads an event cannot carry by itself. */
  onEvent: (event: ChatEvent) => void;
}

export class StreamSync {
  private readonly client: ParleyClient;
  private readonly state: ChatStateHandle;
  private readonly onSignedOut: () => void;
  private readonly onReady: StreamSyncOptions["onReady"];
  private readonly onEvent: StreamSyncOptions["onEvent"];
  private subscription: { unsubscribe: () => void } | null = null;
  private lastEventId: string | null = null;
  private wasReady = false;
  private stopped = false;

  constructor(options: StreamSyncOptions) {
    this.client = options.client;
    this.state = options.state;
    this.onSignedOut = options.onSignedOut;
    this.onReady = options.onReady;
    this.onEvent = options.onEvent;
  }

  open(): void {
    if (this.stopped || this.subscription) return;
    this.subscription = this.client.api.events.stream.subscribe(
      this.lastEventId ? { lastEventId: this.lastEventId } : undefined,
      {
        onData: (item) => this.receive(item),
        onError: (error) => {
          this.subscription = null;
          const problem = describeProblem(error);
          if (problem.code === "UNAUTHORIZED") {
            this.onSignedOut();
            return;
          }
          if (problem.code === "BAD_REQUEST") this.lastEventId = null;
          // The SDK already retried what can be retried; start over from our own position.
          setTimeout(() => this.open(), reopenDelayMs);
        },
      },
    );
  }

  close(): void {
    this.subscription?.unsubscribe();
    this.subscription = null;
  }

  /** Closes the stream for good. */
  stop(): void {
    this.stopped = true;
    this.close();
  }

  /** Every event arrives with the stream position reached, which is where a resume starts. */
  private receive(item: StreamItem): void {
    this.lastEventId = item.id;
    const event = item.data;
    if (event.type === "stream.ready") {
      const reconnected = this.wasReady;
      this.wasReady = true;
      this.onReady({ resumed: event.resumed, reconnected });
      return;
    }
    this.state.update((state) => applyStreamEvent(state, event, state.me?.id ?? ""));
    this.onEvent(event);
  }
}
