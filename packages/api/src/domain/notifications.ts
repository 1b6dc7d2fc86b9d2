import { and, eq, gt, isNull, ne, or, sql } from "drizzle-orm";

import { pushSubscriptionsPerUserMax } from "@parley/db/limits";
import { conversationMutes, notificationSettings, pushSubscriptions } from "@parley/db/schema";

import { DomainError } from "../errors";
import { transactionWithEvents } from "../events/transaction";
import type { ParleyServices } from "../services";
import { requireMembership } from "./membership";

/** The lengths a conversation can be muted for; "forever" lasts until unmuted and silences mentions too. */
export const muteDurations = ["1h", "8h", "1w", "forever"] as const;
export type MuteDuration = (typeof muteDurations)[number];

const muteDurationMs: Record<Exclude<MuteDuration, "forever">, number> = {
  "1h": 60 * 60 * 1_000,
  "8h": 8 * 60 * 60 * 1_000,
  "1w": 7 * 24 * 60 * 60 * 1_000,
};

export interface MuteView {
  conversationId: string;
  /** Null: muted until unmuted (mentions are silent too); otherwise mentions still notify. */
  mutedUntil: string | null;
}

export interface NotificationSettingsView {
  /** Pushed notifications show the sender and the text; off, they say only that something came. */
  previews: boolean;
}

type NotificationServices = Pick<ParleyServices, "db" | "feed" | "clock">;

/**
 * Registers this device's push endpoint for the session. An endpoint belongs to one browser
 * profile, so subscribing it again (after signing in as someone else, or with new keys) moves it.
 */
export async function subscribePush(
  services: Pick<ParleyServices, "db" | "push">,
  input: { userId: string; sessionId: string; endpoint: string; p256dh: string; auth: string; userAgent: string | null },
): Promise<void> {
  if (!services.push.services.accepts(input.endpoint)) {
    throw new DomainError("BAD_REQUEST", `endpoint must be on a push service this server sends to (${services.push.services.describe()})`);
  }
  const values = {
    sessionId: input.sessionId,
    userId: input.userId,
    endpoint: input.endpoint,
    p256dh: input.p256dh,
    auth: input.auth,
    userAgent: input.userAgent,
  };
  // One subscription per session: a device that subscribes again replaces its old endpoint.
  await services.db.transaction(async (tx) => {
    await tx
      .delete(pushSubscriptions)
      .where(and(eq(pushSubscriptions.sessionId, input.sessionId), ne(pushSubscriptions.endpoint, input.endpoint)));
    await tx
      .insert(pushSubscriptions)
      .values(values)
      .onConflictDoUpdate({ target: pushSubscriptions.endpoint, set: { ...values, createdAt: sql`now()` } });
    // A user's devices past the newest pushSubscriptionsPerUserMax stop being pushed to.
    await tx.execute(sql`
      delete from ${pushSubscriptions}
      where user_id = ${input.userId}::uuid and id not in (
        select id from ${pushSubscriptions} where user_id = ${input.userId}::uuid
        order by created_at desc, id desc limit ${pushSubscriptionsPerUserMax}
      )`);
  });
}

/** Removes this session's subscription (the endpoint given, or all of the session's). */
export async function unsubscribePush(
  services: Pick<ParleyServices, "db">,
  input: { sessionId: string; endpoint?: string },
): Promise<{ removed: number }> {
  const removed = await services.db
    .delete(pushSubscriptions)
    .where(
      and(
        eq(pushSubscriptions.sessionId, input.sessionId),
        input.endpoint === undefined ? undefined : eq(pushSubscriptions.endpoint, input.endpoint),
      ),
    )
    .returning({ id: pushSubscriptions.id });
  return { removed: removed.length };
}

export async function readNotificationSettings(
  services: Pick<ParleyServices, "db">,
  userId: string,
): Promise<NotificationSettingsView> {
  const [row] = await services.db
    .select({ previews: notificationSettings.previews })
    .from(notificationSettings)
    .where(eq(notificationSettings.userId, userId));
  return { previews: row?.previews ?? false };
}

export async function updateNotificationSettings(
  services: Pick<ParleyServices, "db">,
  input: { userId: string; previews: boolean },
): Promise<NotificationSettingsView> {
  await services.db
    .insert(notificationSettings)
    .values({ userId: input.userId, previews: input.previews })
    .onConflictDoUpdate({ target: notificationSettings.userId, set: { previews: input.previews, updatedAt: sql`now()` } });
  return { previews: input.previews };
}

/** The caller's mutes in force now, one per muted conversation. */
export async function listMutes(services: Pick<ParleyServices, "db" | "clock">, userId: string): Promise<MuteView[]> {
  const rows = await services.db
    .select({ conversationId: conversationMutes.conversationId, mutedUntil: conversationMutes.mutedUntil })
    .from(conversationMutes)
    .where(
      and(
        eq(conversationMutes.userId, userId),
        or(isNull(conversationMutes.mutedUntil), gt(conversationMutes.mutedUntil, services.clock.now())),
      ),
    );
  return rows.map((row) => ({ conversationId: row.conversationId, mutedUntil: row.mutedUntil?.toISOString() ?? null }));
}

/**
 * Mutes a conversation for the caller (or unmutes it, with `duration` null) and tells their
 * other devices, through a `mute.changed` event addressed to the caller only.
 */
export async function setMute(
  services: NotificationServices,
  input: { userId: string; conversationId: string; duration: MuteDuration | null },
): Promise<MuteView | null> {
  return transactionWithEvents(services, async (tx, emit) => {
    await requireMembership(tx, { conversationId: input.conversationId, userId: input.userId });
    const where = and(eq(conversationMutes.userId, input.userId), eq(conversationMutes.conversationId, input.conversationId));
    if (input.duration === null) {
      await tx.delete(conversationMutes).where(where);
      emit({ userId: input.userId }, { type: "mute.changed", conversationId: input.conversationId, mute: null });
      return null;
    }
    const mutedUntil =
      input.duration === "forever" ? null : new Date(services.clock.now().getTime() + muteDurationMs[input.duration]);
    await tx
      .insert(conversationMutes)
      .values({ userId: input.userId, conversationId: input.conversationId, mutedUntil })
      .onConflictDoUpdate({ target: [conversationMutes.userId, conversationMutes.conversationId], set: { mutedUntil } });
    const mute: MuteView = { conversationId: input.conversationId, mutedUntil: mutedUntil?.toISOString() ?? null };
    emit({ userId: input.userId }, { type: "mute.changed", conversationId: input.conversationId, mute });
    return mute;
  });
}

/** This device shows `conversationId` on screen now (null: nothing visible); see realtime/viewing.ts. */
export async function reportViewing(
  services: Pick<ParleyServices, "db" | "viewing">,
  input: { userId: string; sessionId: string; conversationId: string | null },
): Promise<void> {
  if (input.conversationId !== null) {
    await requireMembership(services.db, { conversationId: input.conversationId, userId: input.userId });
  }
  await services.viewing.report(input);
}
