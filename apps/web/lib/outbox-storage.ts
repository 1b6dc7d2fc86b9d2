import type { OutboxEntry } from "./chat-state";
import { readStored, writeStored } from "./device-storage";

const storageKeyPrefix = "parley.outbox.";

function storageKey(userId: string): string {
  return `${storageKeyPrefix}${userId}`;
}

function isOutboxEntry(value: unknown): value is OutboxEntry {
  if (typeof value !== "object" || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.clientId === "string" &&
    typeof entry.conversationId === "string" &&
    typeof entry.senderId === "string" &&
    typeof entry.body === "string" &&
    (entry.replyToId === null || typeof entry.replyToId === "string") &&
    typeof entry.createdAt === "string" &&
    (entry.attachments === undefined || (Array.isArray(entry.attachments) && entry.attachments.every(isOutboxAttachment)))
  );
}

function isOutboxAttachment(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const attachment = value as Record<string, unknown>;
  return (
    typeof attachment.uploadId === "string" &&
    (attachment.attachmentId === null || typeof attachment.attachmentId === "string") &&
    typeof attachment.kind === "string" &&
    typeof attachment.name === "string" &&
    typeof attachment.size === "number" &&
    typeof attachment.contentType === "string"
  );
}

/** The user's unsent messages from an earlier visit; one caught mid-send is simply sent again. */
export function loadOutbox(userId: string): OutboxEntry[] {
  const parsed = readStored(storageKey(userId));
  if (!Array.isArray(parsed)) return [];
  return parsed.filter(isOutboxEntry).map((entry) => ({
    ...entry,
    status: entry.status === "failed" ? "failed" : "queued",
    error: entry.status === "failed" ? (entry.error ?? null) : null,
  }));
}

export function saveOutbox(userId: string, entries: OutboxEntry[]): void {
  writeStored(storageKey(userId), entries.length === 0 ? null : entries);
}

export function clearOutbox(userId: string): void {
  writeStored(storageKey(userId), null);
}
