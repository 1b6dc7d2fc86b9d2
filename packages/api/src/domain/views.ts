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
}

export type MessageKind = "text" | "image" | "file" | "voice" | "video" | "system";

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
export type SystemNotice =
  | { type: "disappearing"; actorId: string; disappearing: DisappearingSetting | null }
  /** A call ended; `actorId` is who started it. `durationSeconds` counts from the answer, for completed calls only. */
  | { type: "call"; actorId: string; callId: string; media: CallMedia; outcome: CallOutcome; durationSeconds: number | null };

export type CallMedia = "audio" | "video";
export type CallState = "ringing" | "active" | "ended";
/**
 * Why a call ended for everyone: hung up, declined by the callee, the callee was busy in another
 * call, nobody answered in time, a device gave up on the connection, or the other side's call
 * won when both called at once (see `call.ended`'s `replacedBy`).
 */
export type CallEndReason = "hangup" | "declined" | "busy" | "timeout" | "failed" | "replaced";
/** How a call's timeline notice reads: "missed" covers no answer and a caller who gave up. */
export type CallOutcome = "completed" | "missed" | "declined" | "busy" | "failed";
export type CallParticipantState = "invited" | "joined" | "declined" | "left";

export interface CallParticipantView {
  userId: string;
  state: CallParticipantState;
  joinedAt: string | null;
  leftAt: string | null;
}

export interface CallView {
  id: string;
  conversationId: string;
  initiatorId: string;
  media: CallMedia;
  state: CallState;
  endReason: CallEndReason | null;
  createdAt: string;
  /** Clients stop ringing at this instant even if they hear nothing more. */
  ringsUntil: string;
  answeredAt: string | null;
  endedAt: string | null;
  participants: CallParticipantView[];
}

/** One entry of RTCConfiguration.iceServers, as the browser takes it. */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface CallSessionDescription {
  type: "offer" | "answer" | "pranswer" | "rollback";
  sdp: string;
}

/** An RTCIceCandidateInit. */
export interface CallIceCandidate {
  candidate: string;
  sdpMid: string | null;
  sdpMLineIndex: number | null;
  usernameFragment: string | null;
}

/** What one `calls.signal` carries from one call device to another. */
export interface CallSignal {
  description: CallSessionDescription | null;
  candidates: CallIceCandidate[];
  /** The sender has gathered all its candidates. */
  endOfCandidates: boolean;
}

/** What `calls.start` and `calls.answer` return: the call and the ICE servers to connect with. */
export interface CallJoin {
  callId: string;
  call: CallView;
  iceServers: IceServer[];
}

export type MemberRole = "owner" | "admin" | "member";

export interface ConversationMemberView {
  userId: string;
  username: string;
  displayName: string;
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

export function toPublicUser(row: {
  id: string;
  username: string;
  displayName: string;
  createdAt: Date;
}): PublicUser {
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    createdAt: isoDate(row.createdAt),
  };
}
