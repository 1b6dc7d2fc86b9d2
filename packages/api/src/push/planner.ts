import { sql } from "drizzle-orm";

import type { Clock } from "@parley/auth";
import type { Database, Transaction } from "@parley/db/client";
import { blocks, conversationMembers, conversationMutes, conversations, events, notificationSettings, pushCursor, pushOutbox, pushShown, pushSubscriptions, sessions, users } from "@parley/db/schema";

import { arrayLiteral } from "../domain/array-literal";
import { mentionedUsernames } from "../domain/mentions";
import type { MessageView } from "../domain/views";
import type { DurableEvent } from "../events/types";
import type { Logger } from "../logger";
import type { ConversationViewing } from "../realtime/viewing";
import { enqueuePush, queryRows } from "./outbox";
import { closePushTtlSeconds, messagePushTtlSeconds, previewBody } from "./payload";

/** How often the planner reads the log when nothing woke it: the bus may have lost a notice. */
export const pushPlanIntervalMs = 1_000;
/** Logged events read per transaction. */
const planBatchSize = 200;
/**
 * A wake plans this much later, so that a busy node plans its messages in a few batches a second
 * rather than one transaction each: a push reaches a phone seconds later anyway.
 */
export const pushPlanWakeDelayMs = 200;
/** Another node holds the cursor: look again this soon, in case its batch ended before our event. */
const cursorBusyRetryMs = 200;

export interface PushPlanner {
  /** Plans now (or right after the run in progress); resolves when the log is planned up to here. */
  plan: () => Promise<void>;
  /** Plans soon: the wakes of the next `pushPlanWakeDelayMs` share one run. */
  wake: () => void;
  stop: () => Promise<void>;
}

interface Recipient {
  userId: string;
  username: string;
  /** A mute is in force; `mutedForever` says whether it silences mentions too. */
  muted: boolean;
  mutedForever: boolean;
  previews: boolean;
  kind: "direct" | "group";
  title: string | null;
  senderName: string;
}

/**
 * Turns the event log into notifications: each `message.created` becomes one push per live
 * subscription of every member who would otherwise not see it (away from that conversation on
 * every device, not muted, not blocking the sender), and each `receipt.read` withdraws what the
 * reader was shown. The cursor row is locked while a batch is planned and advanced in the same
 * transaction as the queued rows, so each event is planned exactly once across restarts and nodes.
 */
export function startPushPlanner(options: {
  db: Database;
  viewing: ConversationViewing;
  clock: Clock;
  logger: Logger;
  /** Called after a batch queued notifications: the sender can start at once. */
  onQueued: () => void;
  intervalMs?: number;
  wakeDelayMs?: number;
}): PushPlanner {
  const planBatch = async (): Promise<{ more: boolean; busy: boolean; queued: number }> =>
    options.db.transaction(async (tx) => {
      const [cursor] = await queryRows<{ last: number | string }>(
        tx,
        sql`select ${pushCursor.lastEventId} as last from ${pushCursor} where ${pushCursor.id} = 1 for update skip locked`,
      );
      if (!cursor) return { more: false, busy: true, queued: 0 };
      const last = Number(cursor.last);
      // Ids commit in id order, so every event up to the newest visible one is visible too.
      const [newest] = await queryRows<{ top: number | string }>(tx, sql`select coalesce(max(${events.id}), 0) as top from ${events}`);
      const top = Number(newest?.top ?? 0);
      if (top <= last) return { more: false, busy: false, queued: 0 };
      const rows = await queryRows<{ id: number | string; payload: DurableEvent }>(
        tx,
        sql`select ${events.id} as id, ${events.payload} as payload from ${events}
            where ${events.id} > ${last} and ${events.id} <= ${top} and ${events.type} in ('message.created', 'receipt.read')
            order by ${events.id} limit ${planBatchSize}`,
      );
      const now = options.clock.now();
      let queued = 0;
      // Each run of consecutive new messages is planned with one query; reads keep their place.
      let messages: MessageView[] = [];
      for (const row of rows) {
        const event = row.payload;
        if (event.type === "message.created") {
          messages.push(event.message);
          continue;
        }
        queued += await planMessages(tx, options.viewing, messages, now);
        messages = [];
        if (event.type === "receipt.read") queued += await planRead(tx, event, now);
      }
      queued += await planMessages(tx, options.viewing, messages, now);
      const more = rows.length === planBatchSize;
      const reached = more ? Number(rows.at(-1)?.id) : top;
      await tx.execute(sql`update ${pushCursor} set last_event_id = ${reached} where ${pushCursor.id} = 1`);
      return { more, busy: false, queued };
    });

  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;

  const runUntilDone = async (): Promise<void> => {
    for (;;) {
      again = false;
      const { more, busy, queued } = await planBatch();
      if (queued > 0) options.onQueued();
      if (busy && !stopped) {
        clearTimeout(retryTimer);
        retryTimer = setTimeout(() => void plan().catch(() => {}), cursorBusyRetryMs);
        retryTimer.unref();
      }
      if (stopped || (!more && !again)) return;
    }
  };

  const plan = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = runUntilDone().finally(() => {
      running = null;
    });
    return running;
  };

  const planAndLog = () => {
    plan().catch((error: unknown) => options.logger.warn({ err: String(error) }, "push planning failed"));
  };
  const timer = setInterval(planAndLog, options.intervalMs ?? pushPlanIntervalMs);
  timer.unref();

  let wakeTimer: NodeJS.Timeout | undefined;
  const wake = () => {
    if (wakeTimer || stopped) return;
    wakeTimer = setTimeout(() => {
      wakeTimer = undefined;
      planAndLog();
    }, options.wakeDelayMs ?? pushPlanWakeDelayMs);
    wakeTimer.unref();
  };

  return {
    plan,
    wake,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      clearTimeout(retryTimer);
      clearTimeout(wakeTimer);
      await running?.catch(() => {});
    },
  };
}

async function planMessages(tx: Transaction, viewing: ConversationViewing, messages: MessageView[], now: Date): Promise<number> {
  const pushable = messages.filter((message) => message.kind !== "system" && message.body !== null && message.deletedAt === null);
  if (pushable.length === 0) return 0;
  const at = now.toISOString();
  // One query for the whole run: planned once rather than once a message (its planning alone took
  // about 2 ms, which at 500 messages a second kept a database core busy).
  const rows = await queryRows<Recipient & { position: number | string }>(
    tx,
    sql`select item.position as "position", member.user_id as "userId", recipient.username as "username",
               mute.user_id is not null as "muted", mute.user_id is not null and mute.muted_until is null as "mutedForever",
               coalesce(settings.previews, false) as "previews",
               conversation.kind as "kind", conversation.title as "title", sender.display_name as "senderName"
        from unnest(${arrayLiteral(pushable.map((message) => message.conversationId))}::uuid[],
                    ${arrayLiteral(pushable.map((message) => message.senderId))}::uuid[],
                    ${arrayLiteral(pushable.map((message) => message.seq))}::integer[])
               with ordinality as item(conversation_id, sender_id, seq, position)
        join ${conversationMembers} member on member.conversation_id = item.conversation_id
        join ${conversations} conversation on conversation.id = item.conversation_id
        join ${users} recipient on recipient.id = member.user_id
        join ${users} sender on sender.id = item.sender_id
        left join ${conversationMutes} mute on mute.user_id = member.user_id and mute.conversation_id = member.conversation_id
          and (mute.muted_until is null or mute.muted_until > ${at}::timestamptz)
        left join ${notificationSettings} settings on settings.user_id = member.user_id
        where member.left_at is null
          and member.user_id <> item.sender_id and member.last_read_seq < item.seq
          and not exists (select 1 from ${blocks} block where block.blocker_id = member.user_id and block.blocked_id = item.sender_id)
          and exists (select 1 from ${pushSubscriptions} subscription join ${sessions} session on session.id = subscription.session_id
                      where subscription.user_id = member.user_id and session.expires_at > ${at}::timestamptz)
        order by item.position`,
  );
  let queued = 0;
  for (const [index, message] of pushable.entries()) {
    const recipients = rows.filter((row) => Number(row.position) === index + 1);
    queued += await planMessage(tx, viewing, message, recipients, now);
  }
  return queued;
}

async function planMessage(tx: Transaction, viewing: ConversationViewing, message: MessageView, recipients: Recipient[], now: Date): Promise<number> {
  if (message.body === null || recipients.length === 0) return 0;
  const mentioned = recipients[0]?.kind === "group" ? mentionedUsernames(message.body) : new Set<string>();
  // A timed mute lets mentions through; muted until unmuted is silent.
  const candidates = recipients.filter((recipient) => {
    if (!recipient.muted) return true;
    return !recipient.mutedForever && mentioned.has(recipient.username.toLowerCase());
  });
  const watching = await viewing.viewers(
    message.conversationId,
    candidates.map((recipient) => recipient.userId),
  );
  const disappears = message.expiresAt !== null || message.expiresAfterReadSeconds !== null;
  let queued = 0;
  for (const recipient of candidates) {
    if (watching.has(recipient.userId)) continue;
    const title = recipient.kind === "group" ? `${recipient.senderName} in ${recipient.title ?? ""}` : recipient.senderName;
    queued += await enqueuePush(tx, {
      userId: recipient.userId,
      payload: {
        type: "message",
        conversationId: message.conversationId,
        seq: message.seq,
        mention: mentioned.has(recipient.username.toLowerCase()),
        // A disappearing message's text would outlive it on a lock screen: it is never previewed.
        preview: recipient.previews && !disappears ? { title, body: previewBody(message.body) } : null,
      },
      ttlSeconds: messagePushTtlSeconds,
      urgency: "high",
      now,
    });
    await tx.execute(sql`
      insert into ${pushShown} (user_id, conversation_id, seq) values (${recipient.userId}::uuid, ${message.conversationId}::uuid, ${message.seq})
      on conflict (user_id, conversation_id) do update set seq = greatest(${pushShown.seq}, excluded.seq)`);
  }
  return queued;
}

async function planRead(
  tx: Transaction,
  event: Extract<DurableEvent, { type: "receipt.read" }>,
  now: Date,
): Promise<number> {
  // Notifications for what was just read and not yet sent are dropped, then the shown ones closed.
  await tx.execute(sql`
    delete from ${pushOutbox}
    where ${pushOutbox.userId} = ${event.userId}::uuid and ${pushOutbox.conversationId} = ${event.conversationId}::uuid
      and (${pushOutbox.payload}->>'seq')::integer <= ${event.lastReadSeq}`);
  const shown = await queryRows<{ seq: number }>(
    tx,
    sql`delete from ${pushShown}
        where ${pushShown.userId} = ${event.userId}::uuid and ${pushShown.conversationId} = ${event.conversationId}::uuid
          and ${pushShown.seq} <= ${event.lastReadSeq}
        returning ${pushShown.seq} as seq`,
  );
  if (shown.length === 0) return 0;
  return enqueuePush(tx, {
    userId: event.userId,
    payload: { type: "close", conversationId: event.conversationId, seq: event.lastReadSeq },
    ttlSeconds: closePushTtlSeconds,
    urgency: "normal",
    now,
  });
}
