/**
 * What the API returns for stored rows. Dates travel as ISO-8601 strings so that events read
 * back from the log and live events have one shape. No password hash or session secret is
 * ever part of a view.
 */

export interface PublicUser {
  id: string;
  username: string;
  displayName: string;
  createdAt: string;
  /** The profile picture (a square WebP, same-origin path); null without one. */
  avatarUrl: string | null;
}

export type MessageKind = "text" | "image" | "file" | "voice" | "video" | "sticker" | "system";

export type AttachmentKind = "image" | "file" | "voice" | "video" | "sticker";

/**
 * A file sent with a message. `url` and `thumbnailUrl` are same-origin paths served to the
 * conversation's members only (session cookie or bearer token). `contentType` and `kind` come
 * from the sniffed bytes, never from the name or what the uploader claimed.
 */
export interface AttachmentView {
  id: string;
  kind: AttachmentKind;
  /** Sanitised file name. */
  name: string;
  size: number;
  contentType: string;
  width?: number;
  height?: number;
  durationMs?: number;
  /** Voice: loudness samples 0–255. */
  waveform?: number[];
  /** ThumbHash (base64) of an image or video poster, for a placeholder while it loads. */
  thumbhash?: string;
  url: string;
  thumbnailUrl?: string;
}

export interface ReactionView {
  emoji: string;
  userIds: string[];
}

export interface MessageView {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  clientId: string;
  kind: MessageKind;
  /** Null once deleted for everyone. */
  body: string | null;
  replyToId: string | null;
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
  /** When the message disappears for this viewer; null while it has no deadline (yet). */
  expiresAt: string | null;
  /** Burn after reading: a recipient's copy expires this long after they read it. */
  expiresAfterReadSeconds: number | null;
  /** Set on a forwarded copy; the author is null when they blocked the forwarder. */
  forwardedFrom: { userId: string | null; displayName: string | null } | null;
  reactions: ReactionView[];
  /** In the order sent; empty for text and once deleted. A caption-less media message has body "". */
  attachments: AttachmentView[];
}

export type DisappearingStart = "send" | "read";

/** A conversation's disappearing-message timer, as new messages take it. */
export interface DisappearingSetting {
  seconds: number;
  startsAt: DisappearingStart;
}

/**
 * The body of a `system` message, as JSON: what changed in the conversation. A union on `type`;
 * clients show the types they know and skip the rest, so adding one never breaks an older client.
 */
export type SystemNotice = { type: "disappearing"; actorId: string; disappearing: DisappearingSetting | null };

export type MemberRole = "owner" | "admin" | "member";

export interface ConversationMemberView {
  userId: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
  role: MemberRole;
  lastReadSeq: number;
  joinedAt: string;
}

export interface ConversationView {
  id: string;
  kind: "direct" | "group";
  title: string | null;
  creatorId: string | null;
  lastSeq: number;
  lastActivityAt: string;
  createdAt: string;
  /** Current members only (those who have not left). */
  members: ConversationMemberView[];
  /** Null when messages stay. */
  disappearing: DisappearingSetting | null;
}

export interface ConversationSummary extends ConversationView {
  lastMessage: MessageView | null;
  unreadCount: number;
  /** The caller's own read position. */
  lastReadSeq: number;
}

export interface FriendRequestView {
  requester: PublicUser;
  addressee: PublicUser;
  createdAt: string;
}

export interface FriendView {
  user: PublicUser;
  since: string;
  online: boolean;
}

/** One signed-in device, as its owner sees it in their session list. Never the token. */
export interface SessionView {
  id: string;
  createdAt: string;
  lastVerifiedAt: string;
  expiresAt: string;
  userAgent: string | null;
  ipAddress: string | null;
  /** The session this request was made with. */
  current: boolean;
}

export function isoDate(value: Date): string;
export function isoDate(value: Date | null): string | null;
export function isoDate(value: Date | null): string | null {
  return value ? value.toISOString() : null;
}

/** Avatars are served by key: a new picture gets a new key, so caches never show a stale one. */
export function avatarUrlOf(avatarKey: string | null): string | null {
  return avatarKey ? `/api/media/${avatarKey}` : null;
}

export function toPublicUser(row: {
  id: string;
  username: string;
  displayName: string;
  createdAt: Date;
  avatarKey: string | null;
}): PublicUser {
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    createdAt: isoDate(row.createdAt),
    avatarUrl: avatarUrlOf(row.avatarKey),
  };
}
