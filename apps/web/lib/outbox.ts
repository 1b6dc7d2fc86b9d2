/**
 * Messages typed on this device that the server has not acknowledged yet. The queue lives in
 * the chat state (the store copies it to localStorage), so unsent messages survive a reload.
 */
import type { ParleyClient } from "@parley/client";

import { describeProblem } from "./api-errors";
import { applyStreamEvent, type ChatStateHandle, type OutboxAttachment, type OutboxEntry } from "./chat-state";
import type { UploadJob } from "./uploads";

/** The part of the uploads a queued message needs: whether its files are there yet. */
export interface OutboxUploads {
  get: (uploadId: string) => UploadJob | undefined;
  canRestart: (uploadId: string) => boolean;
  restart: (uploadId: string) => void;
  cancel: (uploadId: string) => void;
  forget: (uploadId: string) => void;
}

const noUploads: OutboxUploads = {
  get: () => undefined,
  canRestart: () => false,
  restart: () => undefined,
  cancel: () => undefined,
  forget: () => undefined,
};

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
  /** Where a message's files are uploading; without it only text can be queued. */
  uploads?: OutboxUploads;
}

export class Outbox {
  private readonly client: ParleyClient;
  private readonly state: ChatStateHandle;
  private readonly onSignedOut: () => void;
  private readonly newClientId: () => string;
  private readonly retryDelayMs: number;
  private readonly uploads: OutboxUploads;
  private flushing = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(options: OutboxOptions) {
    this.client = options.client;
    this.state = options.state;
    this.onSignedOut = options.onSignedOut;
    this.newClientId = options.newClientId;
    this.retryDelayMs = options.retryDelayMs ?? defaultRetryDelayMs;
    this.uploads = options.uploads ?? noUploads;
  }

  private get meId(): string {
    return this.state.get().me?.id ?? "";
  }

  /**
   * Queues a message behind any still unsent and starts sending. With `uploadIds` the body is
   * the caption, and the message waits until every one of those uploads has finished.
   */
  enqueue(input: {
    conversationId: string;
    body: string;
    replyToId: string | null;
    uploadIds?: string[];
    /** Attachments that need no upload (a sticker). */
    ready?: OutboxAttachment[];
  }): void {
    const uploaded = (input.uploadIds ?? []).flatMap((uploadId): OutboxAttachment[] => {
      const job = this.uploads.get(uploadId);
      return job
        ? [{ uploadId, attachmentId: job.attachmentId, kind: job.kind, name: job.name, size: job.size, contentType: job.contentType }]
        : [];
    });
    const attachments = [...(input.ready ?? []), ...uploaded];
    const entry: OutboxEntry = {
      clientId: this.newClientId(),
      conversationId: input.conversationId,
      senderId: this.meId,
      body: input.body,
      replyToId: input.replyToId,
      createdAt: new Date().toISOString(),
      status: "queued",
      error: null,
      ...(attachments.length > 0 ? { attachments } : {}),
    };
    this.state.update((state) => ({ ...state, outbox: [...state.outbox, entry] }));
    void this.flush();
  }

  /** Sends a failed message again, with the clientId it had; a failed upload starts over. */
  retry(clientId: string): void {
    const entry = this.state.get().outbox.find((candidate) => candidate.clientId === clientId);
    for (const attachment of entry?.attachments ?? []) {
      if (!attachment.attachmentId && this.uploads.canRestart(attachment.uploadId)) this.uploads.restart(attachment.uploadId);
    }
    this.setEntry(clientId, { status: "queued", error: null });
    void this.flush();
  }

  discard(clientId: string): void {
    const entry = this.state.get().outbox.find((candidate) => candidate.clientId === clientId);
    for (const attachment of entry?.attachments ?? []) this.uploads.cancel(attachment.uploadId);
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
        const files = this.filesOf(entry);
        if (files === "uploading") break;
        if (files === "failed") continue;
        this.setEntry(entry.clientId, { status: "sending" });
        try {
          const message = await this.client.api.messages.send.mutate({
            conversationId: entry.conversationId,
            clientId: entry.clientId,
            ...(entry.body || files.length === 0 ? { body: entry.body } : {}),
            replyToId: entry.replyToId ?? undefined,
            ...(files.length > 0 ? { attachmentIds: files } : {}),
          });
          this.state.update((state) =>
            applyStreamEvent(
              { ...state, outbox: state.outbox.filter((candidate) => candidate.clientId !== entry.clientId) },
              { type: "message.created", conversationId: message.conversationId, message },
              this.meId,
            ),
          );
          // After the sent message replaced the unsent one, whose local previews can now go.
          for (const attachment of entry.attachments ?? []) this.uploads.forget(attachment.uploadId);
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

  /**
   * The attachment ids a queued message is sent with, once all its uploads finished. While one
   * is still uploading the message (and those behind it, to keep their order) waits; when one
   * failed, or was lost with a reload, the message fails with the reason and can be retried.
   */
  private filesOf(entry: OutboxEntry): string[] | "uploading" | "failed" {
    const attachments = entry.attachments ?? [];
    const ids: string[] = [];
    let changed = false;
    const resolved = attachments.map((attachment) => {
      if (attachment.attachmentId) return attachment;
      const job = this.uploads.get(attachment.uploadId);
      if (job?.status === "done" && job.attachmentId) {
        changed = true;
        return { ...attachment, attachmentId: job.attachmentId };
      }
      return attachment;
    });
    if (changed) this.setEntry(entry.clientId, { attachments: resolved });
    for (const attachment of resolved) {
      if (attachment.attachmentId) {
        ids.push(attachment.attachmentId);
        continue;
      }
      const job = this.uploads.get(attachment.uploadId);
      if (job?.status === "uploading") return "uploading";
      this.setEntry(entry.clientId, {
        status: "failed",
        error: job?.error ? `${attachment.name}: ${job.error}` : `${attachment.name} was not uploaded; attach it again`,
      });
      return "failed";
    }
    return ids;
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
