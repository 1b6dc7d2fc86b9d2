/**
 * Messages typed on this device that the server has not acknowledged yet. The queue lives in
 * the chat state (the store copies it to localStorage), so unsent messages survive a reload.
 */
import type { ParleyClient } from "@parley/client";

import { describeProblem } from "./api-errors";
import { applyStreamEvent, type ChatStateHandle, type OutboxEntry } from "./chat-state";

const defaultRetryDelayMs = 3_000;

export interface OutboxOptions {
  client: ParleyClient;
  state: ChatStateHandle;
  /** Called when a send finds the session gone; the message stays queued for the next sign-in. */
  onSignedOut: () => void;
  /** A fresh UUID per message, sent as its clientId. */
  newClientId: () => string;
  /** The wait before retrying after a network failure, unless the server names one. */
  retryDelayMs?: number;
}

export class Outbox {
  private readonly client: ParleyClient;
  private readonly state: ChatStateHandle;
  private readonly onSignedOut: () => void;
  private readonly newClientId: () => string;
  private readonly retryDelayMs: number;
  private flushing = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(options: OutboxOptions) {
    this.client = options.client;
    this.state = options.state;
    this.onSignedOut = options.onSignedOut;
    this.newClientId = options.newClientId;
    this.retryDelayMs = options.retryDelayMs ?? defaultRetryDelayMs;
  }

  private get meId(): string {
    return this.state.get().me?.id ?? "";
  }

  /** Queues a message behind any still unsent and starts sending. */
  enqueue(input: { conversationId: string; body: string; replyToId: string | null }): void {
    const entry: OutboxEntry = {
      clientId: this.newClientId(),
      conversationId: input.conversationId,
      senderId: this.meId,
      body: input.body,
      replyToId: input.replyToId,
      createdAt: new Date().toISOString(),
      status: "queued",
      error: null,
    };
    this.state.update((state) => ({ ...state, outbox: [...state.outbox, entry] }));
    void this.flush();
  }

  /** Sends a failed message again, with the clientId it had. */
  retry(clientId: string): void {
    this.setEntry(clientId, { status: "queued", error: null });
    void this.flush();
  }

  discard(clientId: string): void {
    this.state.update((state) => ({ ...state, outbox: state.outbox.filter((entry) => entry.clientId !== clientId) }));
  }

  private setEntry(clientId: string, change: Partial<OutboxEntry>): void {
    this.state.update((state) => ({
      ...state,
      outbox: state.outbox.map((entry) => (entry.clientId === clientId ? { ...entry, ...change } : entry)),
    }));
  }

  /**
   * Sends queued messages one at a time, in the order typed. A message leaves the outbox only
   * when the server has acknowledged it (or its own event arrived), and every retry reuses its
   * clientId, so a message is stored once however often the connection drops mid-send.
   */
  async flush(): Promise<void> {
    const now = this.state.get();
    if (this.flushing || this.stopped || now.connection === "offline" || !now.me) return;
    this.flushing = true;
    try {
      for (;;) {
        const entry = this.state.get().outbox.find((candidate) => candidate.status === "queued");
        if (!entry) break;
        this.setEntry(entry.clientId, { status: "sending" });
        try {
          const message = await this.client.api.messages.send.mutate({
            conversationId: entry.conversationId,
            clientId: entry.clientId,
            body: entry.body,
            replyToId: entry.replyToId ?? undefined,
          });
          this.state.update((state) =>
            applyStreamEvent(
              { ...state, outbox: state.outbox.filter((candidate) => candidate.clientId !== entry.clientId) },
              { type: "message.created", conversationId: message.conversationId, message },
              this.meId,
            ),
          );
        } catch (error) {
          const problem = describeProblem(error);
          if (problem.code === "UNAUTHORIZED") {
            this.setEntry(entry.clientId, { status: "queued" });
            this.onSignedOut();
            return;
          }
          if (problem.code === "NETWORK" || problem.code === "TOO_MANY_REQUESTS" || problem.code === "INTERNAL_SERVER_ERROR") {
            this.setEntry(entry.clientId, { status: "queued" });
            this.scheduleRetry((problem.retryAfterSeconds ?? 0) * 1_000 || this.retryDelayMs);
            return;
          }
          this.setEntry(entry.clientId, { status: "failed", error: problem.message });
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Sends nothing more: the page is leaving or the user signed out. */
  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private scheduleRetry(delayMs: number): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.flush();
    }, delayMs);
  }
}
