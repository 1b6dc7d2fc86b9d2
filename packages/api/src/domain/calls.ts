import { randomUUID } from "node:crypto";

import { and, asc, eq, inArray, isNull, lt, lte, ne } from "drizzle-orm";

import { callMaxParticipants, callRingSeconds } from "@parley/db/limits";
import type { Transaction } from "@parley/db/client";
import {
  callParticipants,
  calls,
  conversationMembers,
  conversationMutes,
  conversations,
  notificationSettings,
  users,
  type Call,
  type CallParticipant,
} from "@parley/db/schema";

import { DomainError } from "../errors";
import { transactionWithEvents, type EmitEvent } from "../events/transaction";
import { enqueuePush } from "../push/outbox";
import { callPushTtlSeconds } from "../push/payload";
import { iceServersFor, defaultCallConfig } from "../realtime/ice-servers";
import type { ParleyServices } from "../services";
import { currentConversationsOf, directPeerOf, isCurrentMember, requireMembership, type Executor } from "./membership";
import { findContactRestrictions, usersWhoBlocked } from "./relationships";
import { appendSystemNotice } from "./system-notices";
import {
  isoDate,
  type CallEndReason,
  type CallJoin,
  type CallMedia,
  type CallOutcome,
  type CallSignal,
  type CallView,
} from "./views";

/*
 * A call is a state machine held in Postgres (tables `calls` and `call_participants`):
 *
 *   ringing ──answer──▶ active ──hangup──▶ ended
 *      └──decline / hangup / timeout / busy / replaced──▶ ended
 *
 * Every transition runs in one transaction that locks the conversation row first and the call
 * row second (the order `appendSystemNotice` needs too), so concurrent answers, hang-ups and
 * sweeps on any number of nodes apply one at a time, and the unique indexes (one live call per
 * conversation, one joined call per user) hold even if a rule here were wrong.
 *
 * Ringing, answers, leaves and ends are durable events: a device that reconnects during ringing
 * replays `call.ringing` from the log, and one that reconnects after the answer replays
 * `call.accepted` and stops ringing. SDP and ICE candidates are ephemeral (`call.signal`): they
 * are useless a few seconds later, may hold network addresses, and go to one device only, so
 * they cross nodes on the bus and are never stored.
 */

type CallServices = Pick<ParleyServices, "db" | "feed" | "clock" | "config" | "viewing">;

const callGoneMessage = "No such call in your conversations";
const callEndedMessage = "This call has ended";

async function loadParticipants(db: Executor, callId: string): Promise<CallParticipant[]> {
  return db.select().from(callParticipants).where(eq(callParticipants.callId, callId)).orderBy(asc(callParticipants.joinedAt), asc(callParticipants.userId));
}

function toCallView(call: Call, participants: CallParticipant[]): CallView {
  return {
    id: call.id,
    conversationId: call.conversationId,
    initiatorId: call.initiatorId,
    media: call.media,
    state: call.state,
    endReason: call.endReason,
    createdAt: isoDate(call.createdAt),
    ringsUntil: isoDate(call.ringDeadline),
    answeredAt: isoDate(call.answeredAt),
    endedAt: isoDate(call.endedAt),
    participants: participants.map((participant) => ({
      userId: participant.userId,
      state: participant.state,
      joinedAt: isoDate(participant.joinedAt),
      leftAt: isoDate(participant.leftAt),
    })),
  };
}

async function loadCallView(db: Executor, callId: string): Promise<CallView> {
  const [call] = await db.select().from(calls).where(eq(calls.id, callId));
  if (!call) throw new Error("a call just written is missing");
  return toCallView(call, await loadParticipants(db, callId));
}

interface LockedCall {
  call: Call;
  participants: CallParticipant[];
  kind: "direct" | "group";
}

/**
 * The call with its conversation and call rows locked, for a current member of its
 * conversation; NOT_FOUND alike for an unknown id and someone else's call.
 */
async function lockCall(tx: Transaction, query: { callId: string; userId: string }): Promise<LockedCall> {
  const [located] = await tx.select({ conversationId: calls.conversationId }).from(calls).where(eq(calls.id, query.callId));
  if (!located) throw new DomainError("NOT_FOUND", callGoneMessage);
  const membership = await requireMembership(tx, { conversationId: located.conversationId, userId: query.userId, lock: true }).catch(
    (error: unknown) => {
      throw error instanceof DomainError && error.code === "FORBIDDEN" ? new DomainError("NOT_FOUND", callGoneMessage) : error;
    },
  );
  const [call] = await tx.select().from(calls).where(eq(calls.id, query.callId)).for("update");
  if (!call) throw new DomainError("NOT_FOUND", callGoneMessage);
  return { call, participants: await loadParticipants(tx, call.id), kind: membership.kind };
}

/** The live call the user has joined on some device, if any. */
async function joinedCallOf(db: Executor, userId: string): Promise<string | null> {
  const [row] = await db
    .select({ callId: callParticipants.callId })
    .from(callParticipants)
    .where(and(eq(callParticipants.userId, userId), eq(callParticipants.state, "joined")));
  return row?.callId ?? null;
}

function outcomeOf(call: Call, reason: CallEndReason): CallOutcome | null {
  if (reason === "replaced") return null;
  if (call.answeredAt) return "completed";
  switch (reason) {
    case "declined":
      return "declined";
    case "busy":
      return "busy";
    case "failed":
      return "failed";
    default:
      return "missed";
  }
}

/** Ends the call for everyone, announces it, and writes its notice into the timeline. */
async function endCall(
  tx: Transaction,
  emit: EmitEvent,
  input: { call: Call; reason: CallEndReason; now: Date; replacedBy?: string },
): Promise<CallView> {
  const { call, reason, now } = input;
  const [ended] = await tx.update(calls).set({ state: "ended", endReason: reason, endedAt: now }).where(eq(calls.id, call.id)).returning();
  if (!ended) throw new Error("the call to end is missing");
  await tx
    .update(callParticipants)
    .set({ state: "left", leftAt: now })
    .where(and(eq(callParticipants.callId, call.id), eq(callParticipants.state, "joined")));
  const view = toCallView(ended, await loadParticipants(tx, call.id));
  emit(
    { conversationId: call.conversationId },
    { type: "call.ended", conversationId: call.conversationId, callId: call.id, reason, replacedBy: input.replacedBy ?? null, call: view },
  );
  const outcome = outcomeOf(ended, reason);
  if (outcome) {
    const durationSeconds = ended.answeredAt ? Math.max(0, Math.round((now.getTime() - ended.answeredAt.getTime()) / 1_000)) : null;
    await appendSystemNotice(tx, emit, {
      conversationId: call.conversationId,
      actorId: call.initiatorId,
      notice: { type: "call", actorId: call.initiatorId, callId: call.id, media: call.media, outcome, durationSeconds },
    });
  }
  return view;
}

/** Puts the user into the call on `sessionId` and tells everyone; their other devices stop ringing. */
async function joinCall(
  tx: Transaction,
  emit: EmitEvent,
  input: { call: Call; userId: string; sessionId: string; now: Date; invited: boolean },
): Promise<CallView> {
  const { call, userId, sessionId, now } = input;
  if (input.invited) {
    await tx
      .update(callParticipants)
      .set({ state: "joined", sessionId, joinedAt: now, lastSeenAt: now, leftAt: null })
      .where(and(eq(callParticipants.callId, call.id), eq(callParticipants.userId, userId)));
  } else {
    await tx.insert(callParticipants).values({ callId: call.id, userId, state: "joined", sessionId, joinedAt: now, lastSeenAt: now });
  }
  if (call.state === "ringing") await tx.update(calls).set({ state: "active", answeredAt: now }).where(eq(calls.id, call.id));
  const view = await loadCallView(tx, call.id);
  emit({ conversationId: call.conversationId }, { type: "call.accepted", conversationId: call.conversationId, callId: call.id, userId, call: view });
  emit(
    { userId },
    { type: "call.ended", conversationId: call.conversationId, callId: call.id, reason: "answered_elsewhere", answeredOnSessionId: sessionId },
  );
  return view;
}

function requireNotInAnotherCall(joinedCallId: string | null, callId: string | null): void {
  if (joinedCallId && joinedCallId !== callId) {
    throw new DomainError("CONFLICT", "You are already in a call; hang up first");
  }
}

function callJoin(services: CallServices, view: CallView, userId: string): CallJoin {
  return {
    callId: view.id,
    call: view,
    iceServers: iceServersFor(services.config.calls ?? defaultCallConfig, { userId, now: services.clock.now() }),
  };
}

export interface StartCallInput {
  userId: string;
  sessionId: string;
  conversationId: string;
  media: CallMedia;
}

/**
 * Rings the conversation's other members. A direct callee already in a call makes it end at
 * once as `busy`. When both sides of a direct conversation call each other at once, the call
 * with the lower id survives: if that is the one already ringing, this start answers it; if it
 * is the new one, the ringing call ends as `replaced` and the new one connects both devices.
 */
export async function startCall(services: CallServices, input: StartCallInput): Promise<CallJoin> {
  const now = services.clock.now();
  const view = await transactionWithEvents(services, async (tx, emit) => {
    const membership = await requireMembership(tx, { conversationId: input.conversationId, userId: input.userId, lock: true });
    const memberIds = (
      await tx
        .select({ userId: conversationMembers.userId })
        .from(conversationMembers)
        .where(and(eq(conversationMembers.conversationId, input.conversationId), isCurrentMember()))
    ).map((row) => row.userId);
    const calleeIds = memberIds.filter((id) => id !== input.userId);
    if (membership.kind === "direct") {
      const restrictions = await findContactRestrictions(tx, { userId: input.userId, otherUserIds: [directPeerOf(membership.directKey ?? "", input.userId)] });
      if (restrictions.blocked.length > 0) throw new DomainError("FORBIDDEN", "You cannot call this user: one of you has blocked the other");
      if (restrictions.notFriends.length > 0) throw new DomainError("FORBIDDEN", "Calls in a direct conversation need an accepted friendship");
    } else if (memberIds.length > callMaxParticipants) {
      throw new DomainError(
        "BAD_REQUEST",
        `Group calls take at most ${callMaxParticipants} people; this group has ${memberIds.length} members`,
      );
    }
    if (calleeIds.length === 0) throw new DomainError("BAD_REQUEST", "There is nobody else in this conversation to call");
    // In a group, members who blocked the caller are not rung (the feed hides the ringing from
    // them too); the call still starts, so the caller cannot tell a block from no answer.
    const blockers = membership.kind === "group" ? new Set((await usersWhoBlocked(tx, input.userId)).map((row) => row.id)) : new Set<string>();
    const invitedIds = calleeIds.filter((id) => !blockers.has(id));
    requireNotInAnotherCall(await joinedCallOf(tx, input.userId), null);

    const [live] = await tx
      .select()
      .from(calls)
      .where(and(eq(calls.conversationId, input.conversationId), ne(calls.state, "ended")))
      .for("update");
    const callId = randomUUID();
    if (live) {
      const glare = membership.kind === "direct" && live.state === "ringing" && live.initiatorId !== input.userId;
      if (!glare) {
        throw new DomainError(
          "CONFLICT",
          membership.kind === "group" ? "A call is already going on in this group; join it with calls.answer" : "A call is already going on in this conversation",
        );
      }
      if (live.id < callId) return joinCall(tx, emit, { call: live, userId: input.userId, sessionId: input.sessionId, now, invited: true });
      const [peerDevice] = (await loadParticipants(tx, live.id)).filter((participant) => participant.userId === live.initiatorId);
      await endCall(tx, emit, { call: live, reason: "replaced", now, replacedBy: callId });
      const [replacement] = await tx
        .insert(calls)
        .values({ id: callId, conversationId: input.conversationId, initiatorId: input.userId, media: input.media, state: "active", createdAt: now, ringDeadline: now, answeredAt: now })
        .returning();
      if (!replacement || !peerDevice?.sessionId) throw new Error("the call that replaced a ringing one is missing");
      await tx.insert(callParticipants).values([
        { callId, userId: input.userId, state: "joined", sessionId: input.sessionId, joinedAt: now, lastSeenAt: now },
        { callId, userId: live.initiatorId, state: "joined", sessionId: peerDevice.sessionId, joinedAt: now, lastSeenAt: now },
      ]);
      const replacementView = await loadCallView(tx, callId);
      emit(
        { conversationId: input.conversationId },
        { type: "call.accepted", conversationId: input.conversationId, callId, userId: live.initiatorId, call: replacementView },
      );
      return replacementView;
    }

    const [call] = await tx
      .insert(calls)
      .values({
        id: callId,
        conversationId: input.conversationId,
        initiatorId: input.userId,
        media: input.media,
        createdAt: now,
        ringDeadline: new Date(now.getTime() + callRingSeconds * 1_000),
      })
      .returning();
    if (!call) throw new Error("the call insert returned no row");
    await tx.insert(callParticipants).values([
      { callId, userId: input.userId, state: "joined", sessionId: input.sessionId, joinedAt: now, lastSeenAt: now },
      ...invitedIds.map((userId) => ({ callId, userId, state: "invited" as const })),
    ]);
    // A busy callee is never rung: the caller learns it from the answer and from `call.ended`.
    if (membership.kind === "direct" && calleeIds[0] && (await joinedCallOf(tx, calleeIds[0]))) {
      return endCall(tx, emit, { call, reason: "busy", now });
    }
    const ringing = await loadCallView(tx, callId);
    emit({ conversationId: input.conversationId }, { type: "call.ringing", conversationId: input.conversationId, call: ringing });
    await pushRinging(tx, services, { call, invitedIds, now });
    return ringing;
  });
  return callJoin(services, view, input.userId);
}

/**
 * Rings the devices of invitees who are away: a push to each of their subscriptions, queued in
 * the call's transaction. Not for those who have the conversation on screen (the app rings there)
 * or muted it until they unmute; the caller's name only for those who allow previews.
 */
async function pushRinging(
  tx: Transaction,
  services: Pick<CallServices, "viewing">,
  input: { call: Call; invitedIds: string[]; now: Date },
): Promise<void> {
  if (input.invitedIds.length === 0) return;
  const onScreen = await services.viewing.viewers(input.call.conversationId, input.invitedIds);
  const away = input.invitedIds.filter((id) => !onScreen.has(id));
  if (away.length === 0) return;
  const silenced = new Set(
    (
      await tx
        .select({ userId: conversationMutes.userId })
        .from(conversationMutes)
        .where(
          and(
            eq(conversationMutes.conversationId, input.call.conversationId),
            inArray(conversationMutes.userId, away),
            isNull(conversationMutes.mutedUntil),
          ),
        )
    ).map((row) => row.userId),
  );
  const previews = new Set(
    (
      await tx
        .select({ userId: notificationSettings.userId })
        .from(notificationSettings)
        .where(and(inArray(notificationSettings.userId, away), eq(notificationSettings.previews, true)))
    ).map((row) => row.userId),
  );
  const [caller] = await tx.select({ displayName: users.displayName }).from(users).where(eq(users.id, input.call.initiatorId));
  for (const userId of away) {
    if (silenced.has(userId)) continue;
    await enqueuePush(tx, {
      userId,
      payload: {
        type: "call",
        conversationId: input.call.conversationId,
        callId: input.call.id,
        preview: previews.has(userId) && caller ? { title: caller.displayName } : null,
      },
      ttlSeconds: callPushTtlSeconds,
      urgency: "high",
      now: input.now,
    });
  }
}

export interface CallActionInput {
  userId: string;
  sessionId: string;
  callId: string;
}

/** Joins the call on this device: the answer of a direct call, or a join of a group call. */
export async function answerCall(services: CallServices, input: CallActionInput): Promise<CallJoin> {
  const now = services.clock.now();
  const view = await transactionWithEvents(services, async (tx, emit) => {
    const { call, participants } = await lockCall(tx, input);
    if (call.state === "ended") throw new DomainError("CONFLICT", callEndedMessage);
    const me = participants.find((participant) => participant.userId === input.userId);
    if (me?.state === "joined") {
      if (me.sessionId === input.sessionId) return toCallView(call, participants);
      throw new DomainError("CONFLICT", "You are in this call on another device");
    }
    if (!me && participants.length >= callMaxParticipants) {
      throw new DomainError("CONFLICT", `This call already has ${callMaxParticipants} people`);
    }
    requireNotInAnotherCall(await joinedCallOf(tx, input.userId), call.id);
    return joinCall(tx, emit, { call, userId: input.userId, sessionId: input.sessionId, now, invited: me !== undefined });
  });
  return callJoin(services, view, input.userId);
}

/**
 * Stops the call ringing for the user. A declined direct call ends for both; a group call goes
 * on for the others, and ends only when every invitee declined before anyone answered.
 * Declining a call that has already ended changes nothing.
 */
export async function declineCall(services: CallServices, input: Omit<CallActionInput, "sessionId">): Promise<CallView> {
  const now = services.clock.now();
  return transactionWithEvents(services, async (tx, emit) => {
    const { call, participants, kind } = await lockCall(tx, input);
    if (call.state === "ended") return toCallView(call, participants);
    const me = participants.find((participant) => participant.userId === input.userId);
    if (me?.state === "joined") throw new DomainError("BAD_REQUEST", "You are in this call; hang up instead of declining");
    if (kind === "direct") return endCall(tx, emit, { call, reason: "declined", now });
    if (me?.state !== "invited") return toCallView(call, participants);
    await tx
      .update(callParticipants)
      .set({ state: "declined", leftAt: now })
      .where(and(eq(callParticipants.callId, call.id), eq(callParticipants.userId, input.userId)));
    emit({ userId: input.userId }, { type: "call.ended", conversationId: call.conversationId, callId: call.id, reason: "declined", answeredOnSessionId: null });
    const stillRinging = participants.some((participant) => participant.state === "invited" && participant.userId !== input.userId);
    if (call.state === "ringing" && !stillRinging) return endCall(tx, emit, { call, reason: "declined", now });
    return loadCallView(tx, call.id);
  });
}

/**
 * Leaves the call. A direct call ends for both; a group call ends when fewer than two people
 * are left in it (or its caller gives up before anyone answered). `failed` says the device
 * could not connect. A callee who hangs up while it rings declines. An ended call stays ended.
 */
export async function hangUpCall(
  services: CallServices,
  input: Omit<CallActionInput, "sessionId"> & { reason: "hangup" | "failed" },
): Promise<CallView> {
  const now = services.clock.now();
  const ringingForMe = await transactionWithEvents(services, async (tx, emit) => {
    const locked = await lockCall(tx, input);
    if (locked.call.state === "ended") return toCallView(locked.call, locked.participants);
    const me = locked.participants.find((participant) => participant.userId === input.userId);
    if (me?.state !== "joined") return null;
    return leaveCall(tx, emit, { ...locked, userId: input.userId, reason: input.reason, now });
  });
  return ringingForMe ?? declineCall(services, input);
}

/** Takes a joined participant out of the call, ending it when too few are left. */
async function leaveCall(
  tx: Transaction,
  emit: EmitEvent,
  input: LockedCall & { userId: string; reason: "hangup" | "failed"; now: Date },
): Promise<CallView> {
  const { call, participants, kind, now } = input;
  if (kind === "direct") return endCall(tx, emit, { call, reason: input.reason, now });
  const othersJoined = participants.filter((participant) => participant.state === "joined" && participant.userId !== input.userId);
  if (call.state === "ringing" || othersJoined.length < 2) return endCall(tx, emit, { call, reason: input.reason, now });
  await tx
    .update(callParticipants)
    .set({ state: "left", leftAt: now })
    .where(and(eq(callParticipants.callId, call.id), eq(callParticipants.userId, input.userId)));
  const view = await loadCallView(tx, call.id);
  emit({ conversationId: call.conversationId }, { type: "call.left", conversationId: call.conversationId, callId: call.id, userId: input.userId, call: view });
  return view;
}

/** The calls not yet over in the user's conversations: what a device that just opened shows. */
export async function listCurrentCalls(services: Pick<ParleyServices, "db">, input: { userId: string }): Promise<CallView[]> {
  const rows = await services.db
    .select()
    .from(calls)
    .where(and(ne(calls.state, "ended"), inArray(calls.conversationId, currentConversationsOf(services.db, input.userId))))
    .orderBy(asc(calls.createdAt));
  if (rows.length === 0) return [];
  const participants = await services.db
    .select()
    .from(callParticipants)
    .where(inArray(callParticipants.callId, rows.map((row) => row.id)))
    .orderBy(asc(callParticipants.joinedAt), asc(callParticipants.userId));
  return rows.map((call) => toCallView(call, participants.filter((participant) => participant.callId === call.id)));
}

export interface SendCallSignalInput {
  userId: string;
  sessionId: string;
  callId: string;
  /** The participant to reach; may be left out when exactly one other person is in the call. */
  toUserId?: string;
  signal: CallSignal;
}

/**
 * Passes SDP and ICE candidates from this call device to one other participant's call device:
 * only devices that started or answered the call send or receive them.
 */
export async function sendCallSignal(
  services: Pick<ParleyServices, "db" | "feed" | "callSignalLimiter">,
  input: SendCallSignalInput,
): Promise<void> {
  const [call] = await services.db
    .select({ id: calls.id, conversationId: calls.conversationId, state: calls.state })
    .from(calls)
    .where(eq(calls.id, input.callId));
  const participants = call ? await loadParticipants(services.db, call.id) : [];
  const me = participants.find((participant) => participant.userId === input.userId);
  if (!call || !me) throw new DomainError("NOT_FOUND", callGoneMessage);
  if (call.state === "ended") throw new DomainError("CONFLICT", callEndedMessage);
  if (me.state !== "joined" || me.sessionId !== input.sessionId) {
    throw new DomainError("FORBIDDEN", "Only the device that started or answered this call can signal it");
  }
  const others = participants.filter((participant) => participant.state === "joined" && participant.userId !== input.userId);
  let target: CallParticipant | undefined;
  if (input.toUserId) {
    target = others.find((participant) => participant.userId === input.toUserId);
    if (!target) throw new DomainError("CONFLICT", "That person is not in this call");
  } else if (others.length === 1) {
    target = others[0];
  } else if (others.length === 0) {
    throw new DomainError("CONFLICT", "Nobody else has joined this call yet");
  } else {
    throw new DomainError("BAD_REQUEST", "Name the participant to signal (toUserId) in a group call");
  }
  if (!target?.sessionId) throw new Error("a joined participant has no device");
  const allowed = await services.callSignalLimiter.take(input.sessionId);
  if (!allowed.allowed) {
    throw new DomainError("TOO_MANY_REQUESTS", "Too many call signals; batch ICE candidates", {
      retryAfterSeconds: allowed.retryAfterSeconds,
    });
  }
  services.feed.publishEphemeral({
    audience: { devices: [{ userId: target.userId, sessionId: target.sessionId }] },
    event: { type: "call.signal", callId: call.id, conversationId: call.conversationId, fromUserId: input.userId, ...input.signal },
  });
}

/** A call device no node has held a live stream for this long has gone (a closed laptop, a dead tab). */
export const callDeviceSilenceSeconds = 45;

/**
 * Marks the joined call devices that have a live stream on this node as seen at `now`. Every
 * node does it on each sweep, so a device is silent only when no node holds a stream for it.
 */
export async function markCallDevicesSeen(db: Executor, input: { sessionIds: string[]; now: Date }): Promise<void> {
  if (input.sessionIds.length === 0) return;
  await db
    .update(callParticipants)
    .set({ lastSeenAt: input.now })
    .where(and(eq(callParticipants.state, "joined"), inArray(callParticipants.sessionId, input.sessionIds)));
}

/**
 * Takes devices that stayed silent past `callDeviceSilenceSeconds` out of their calls, as a
 * hang-up with reason `failed`: their user would otherwise stay "in a call" (and busy) forever.
 */
export async function endSilentCallDevices(services: Pick<ParleyServices, "db" | "feed">, now: Date): Promise<number> {
  const silentBefore = new Date(now.getTime() - callDeviceSilenceSeconds * 1_000);
  const silent = await services.db
    .select({ callId: callParticipants.callId, userId: callParticipants.userId, conversationId: calls.conversationId })
    .from(callParticipants)
    .innerJoin(calls, eq(calls.id, callParticipants.callId))
    .where(and(eq(callParticipants.state, "joined"), lt(callParticipants.lastSeenAt, silentBefore), ne(calls.state, "ended")))
    .limit(ringOutBatchSize);
  let ended = 0;
  for (const { callId, userId, conversationId } of silent) {
    const didLeave = await transactionWithEvents(services, async (tx, emit) => {
      await tx.select({ id: conversations.id }).from(conversations).where(eq(conversations.id, conversationId)).for("update");
      const [call] = await tx.select().from(calls).where(eq(calls.id, callId)).for("update");
      if (!call || call.state === "ended") return false;
      const participants = await loadParticipants(tx, callId);
      const device = participants.find((participant) => participant.userId === userId);
      if (device?.state !== "joined" || !device.lastSeenAt || device.lastSeenAt.getTime() >= silentBefore.getTime()) return false;
      const [conversation] = await tx.select({ kind: conversations.kind }).from(conversations).where(eq(conversations.id, conversationId));
      await leaveCall(tx, emit, { call, participants, kind: conversation?.kind ?? "direct", userId, reason: "failed", now });
      return true;
    });
    if (didLeave) ended += 1;
  }
  return ended;
}

/** Calls ended per sweep at most; a longer backlog waits for the next sweep. */
const ringOutBatchSize = 100;

/**
 * Ends the calls whose ringing ran past its deadline at `now` as `timeout`; resolves with how
 * many it ended. Each is re-checked under its locks, so two nodes sweeping at once end it once.
 */
export async function endRungOutCalls(services: Pick<ParleyServices, "db" | "feed">, now: Date): Promise<number> {
  const due = await services.db
    .select({ id: calls.id, conversationId: calls.conversationId })
    .from(calls)
    .where(and(eq(calls.state, "ringing"), lte(calls.ringDeadline, now)))
    .orderBy(asc(calls.ringDeadline))
    .limit(ringOutBatchSize);
  let ended = 0;
  for (const { id, conversationId } of due) {
    const didEnd = await transactionWithEvents(services, async (tx, emit) => {
      await tx.select({ id: conversations.id }).from(conversations).where(eq(conversations.id, conversationId)).for("update");
      const [call] = await tx.select().from(calls).where(eq(calls.id, id)).for("update");
      if (!call || call.state !== "ringing" || call.ringDeadline.getTime() > now.getTime()) return false;
      await endCall(tx, emit, { call, reason: "timeout", now });
      return true;
    });
    if (didEnd) ended += 1;
  }
  return ended;
}

