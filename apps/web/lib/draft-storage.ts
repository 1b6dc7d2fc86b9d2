/**
 * What the user was writing in each conversation and has not sent, kept on this device (like the
 * outbox) so that it survives switching chats and reloading, and forgotten on sign-out.
 */
import { readStored, writeStored } from "./device-storage";

const storageKeyPrefix = "parley.drafts.";

/** Longer drafts are kept cut to this, which is past what a message may hold anyway. */
const draftMaxCharacters = 8_192;

function storageKey(userId: string): string {
  return `${storageKeyPrefix}${userId}`;
}

/** conversationId → text; only non-blank drafts are kept. */
export type Drafts = Record<string, string>;

export function loadDrafts(userId: string): Drafts {
  const parsed = readStored(storageKey(userId));
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
  return Object.fromEntries(
    Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === "string" && entry[1].trim().length > 0),
  );
}

export function saveDrafts(userId: string, drafts: Drafts): void {
  writeStored(storageKey(userId), Object.keys(drafts).length === 0 ? null : drafts);
}

export function clearDrafts(userId: string): void {
  writeStored(storageKey(userId), null);
}

/** The drafts with this conversation's set to `text` (removed when blank); the same object when nothing changes. */
export function withDraft(drafts: Drafts, conversationId: string, text: string): Drafts {
  const kept = text.trim().length > 0 ? text.slice(0, draftMaxCharacters) : null;
  if ((drafts[conversationId] ?? null) === kept) return drafts;
  const { [conversationId]: _previous, ...rest } = drafts;
  return kept === null ? rest : { ...rest, [conversationId]: kept };
}
