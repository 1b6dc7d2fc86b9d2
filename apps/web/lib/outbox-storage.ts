import type { OutboxEntry } from "./chat-state";

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
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(storageKey(userId)) ?? "[]");
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(isOutboxEntry).map((entry) => ({
      ...entry,
      status: entry.status === "failed" ? "failed" : "queued",
      error: entry.status === "failed" ? (entry.error ?? null) : null,
    }));
  } catch {
    return [];
  }
}

export function saveOutbox(userId: string, entries: OutboxEntry[]): void {
  try {
    if (entries.length === 0) localStorage.removeItem(storageKey(userId));
    else localStorage.setItem(storageKey(userId), JSON.stringify(entries));
  } catch {
    // Storage full or disabled: the queue still lives in memory for this visit.
  }
}

export function clearOutbox(userId: string): void {
  try {
    localStorage.removeItem(storageKey(userId));
  } catch {
    // Nothing stored, nothing to clear.
  }
}
