import type {
  CallEndReason,
  CallSignal,
  CallView,
  ConversationView,
  FriendRequestView,
  MessageView,
  PublicUser,
} from "../domain/views";

/** Stored in the event log and replayed on resume, addressed to a conversation's members. */
export type ConversationEvent =
  | { type: "message.created"; conversationId: string; message: MessageView }
  | { type: "message.edited"; conversationId: string; message: MessageView }
  | { type: "message.deleted"; conversationId: string; message: MessageView }
  /** A disappearing message's time ran out for everyone and its content was purged: remove it. */
  | { type: "message.expired"; conversationId: string; messageId: string; seq: number }
  | {
      type: "reaction.added" | "reaction.removed";
      conversationId: string;
      messageId: string;
      userId: string;
      emoji: string;
    }
  | { type: "receipt.read"; conversationId: string; userId: string; lastReadSeq: number }
  | {
      type: "conversation.updated";
      conversationId: string;
      conversation: ConversationView;
      /** Who changed it and what: "renamed", "members_added", "member_removed", "member_left", "role_changed", "disappearing_changed". */
      change: "renamed" | "members_added" | "member_removed" | "member_left" | "role_changed" | "disappearing_changed";
      actorId: string;
      userIds: string[];
    }
  /** A call started in the conversation: every member's devices but the caller's ring until `call.accepted` or `call.ended`. */
  | { type: "call.ringing"; conversationId: string; call: CallView }
  /** `userId` answered (or, in a group call, joined) on one of their devices, which is now the call's device for them. */
  | { type: "call.accepted"; conversationId: string; callId: string; userId: string; call: CallView }
  /** `userId` left a group call that goes on without them. */
  | { type: "call.left"; conversationId: string; callId: string; userId: string; call: CallView }
  /** The call is over for everyone; `replacedBy` names the call that won when both sides called at once. */
  | { type: "call.ended"; conversationId: string; callId: string; reason: CallEndReason; replacedBy: string | null; call: CallView };

/** Stored in the event log and replayed on resume, addressed to one user. */
export type UserEvent =
  /** The user became a member (created, opened, or added): from here on they receive its events. */
  | { type: "conversation.joined"; conversationId: string; conversation: ConversationView }
  /** The user left or was removed: they stop receiving its events. */
  | { type: "conversation.left"; conversationId: string; removedBy: string | null }
  | { type: "friend.requested"; request: FriendRequestView }
  | { type: "friend.accepted"; friend: PublicUser; since: string }
  | { type: "friend.declined" | "friend.cancelled" | "friend.removed"; userId: string }
  /** Sent to the blocker only: the blocked user is never told. */
  | { type: "block.added" | "block.removed"; userId: string }
  | { type: "profile.updated"; user: PublicUser }
  /** A session of this user ended (logout, revoke, password change): that device's stream closes. */
  | { type: "session.revoked"; sessionId: string }
  /**
   * The call stopped ringing on this user's devices: they answered it on another device, or
   * declined a group call that goes on. The answering device itself never receives it.
   */
  | {
      type: "call.ended";
      conversationId: string;
      callId: string;
      reason: "answered_elsewhere" | "declined";
      /** The device that answered; the stream leaves this event out for that device. */
      answeredOnSessionId: string | null;
    };

export type DurableEvent = ConversationEvent | UserEvent;

/** Not stored and never replayed: a missed one is simply stale. */
export type EphemeralEvent =
  | { type: "typing"; conversationId: string; userId: string; expiresAt: string }
  | { type: "presence"; userId: string; online: boolean }
  /** WebRTC signalling from one call device to another: an SDP description and/or a batch of ICE candidates. */
  | ({ type: "call.signal"; callId: string; conversationId: string; fromUserId: string } & CallSignal);

export type EventAudience = { conversationId: string } | { userId: string };

export interface PendingEvent {
  audience: EventAudience;
  event: DurableEvent;
}

/** A durable event as the log holds it: ids are gap-free and committed in id order. */
export interface StoredEvent {
  id: number;
  conversationId: string | null;
  userId: string | null;
  event: DurableEvent;
}

export interface EphemeralEnvelope {
  /** Delivered to the conversation's current members, to these users, or to these devices only. */
  audience: { conversationId: string } | { userIds: string[] } | { devices: { userId: string; sessionId: string }[] };
  event: EphemeralEvent;
}

/**
 * Sent once the stream is live (after any backfill), carrying the position reached as its id:
 * a client that has received nothing else still has an id to resume from.
 */
export interface StreamReadyEvent {
  type: "stream.ready";
  /** True when this subscription resumed from a `lastEventId`. */
  resumed: boolean;
}

/** What `events.stream` yields: durable events and the ready marker carry a log position. */
export type StreamEvent = DurableEvent | EphemeralEvent | StreamReadyEvent;
