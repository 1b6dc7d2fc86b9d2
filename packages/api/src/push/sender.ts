import type { Agent } from "node:https";

import { sql } from "drizzle-orm";
import webpush, { WebPushError } from "web-push";

import type { Database } from "@parley/db/client";
import { pushOutbox, pushSubscriptions } from "@parley/db/schema";

import type { Logger } from "../logger";
import { queryRows } from "./outbox";
import { conversationTopic, type PushPayload } from "./payload";
import type { PushServiceList } from "./push-services";
import type { VapidKeys } from "./vapid";

/** How often the sender looks for due rows when nothing woke it (retries come due this way). */
export const pushSendIntervalMs = 1_000;
/** Rows claimed per round. */
const sendBatchSize = 50;
/** A claimed row is left alone this long; a sender that died mid-send leaves it to be retried after. */
const claimLeaseSeconds = 60;
/** One push service request may take this long. */
const pushRequestTimeoutMs = 10_000;
/** Attempts before a notification is dropped (the endpoint kept failing without saying it is gone). */
export const pushMaxAttempts = 8;
/** The first retry waits this long, doubling each time up to an hour. */
export const pushRetryBaseMs = 5_000;
const pushRetryMaxMs = 60 * 60 * 1_000;

export interface PushSenderOptions {
  db: Database;
  vapidKeys: VapidKeys;
  /** Where pushes may go: a subscription stored before its service left the list is removed unsent. */
  pushServices: PushServiceList;
  /** VAPID `sub`: a mailto: or https: URL push services may contact about this server. */
  subject: string;
  logger: Logger;
  /** For push services behind a private certificate authority (tests). */
  agent?: Agent;
  retryBaseMs?: number;
  intervalMs?: number;
  /** Pushes claimed per round (50); a stop waits for the round in progress. */
  batchSize?: number;
}

export interface PushSender {
  /** Sends what is due now (or right after the round in progress). */
  send: () => Promise<void>;
  stop: () => Promise<void>;
}

interface ClaimedRow {
  id: number | string;
  subscriptionId: string;
  payload: PushPayload;
  ttlSeconds: number;
  urgency: "very-low" | "low" | "normal" | "high";
  attempts: number;
  endpoint: string;
  p256dh: string;
  auth: string;
}

/**
 * Delivers the push outbox. Each round claims due rows with FOR UPDATE SKIP LOCKED and moves
 * their `next_attempt_at` a lease ahead in one statement, so nodes never send the same row at
 * once; a sent row is deleted, an endpoint the push service calls gone (404, 410) is deleted with
 * everything queued for it, and any other failure is retried with doubling delays.
 */
export function startPushSender(options: PushSenderOptions): PushSender {
  const batchSize = options.batchSize ?? sendBatchSize;
  const retryBaseMs = options.retryBaseMs ?? pushRetryBaseMs;

  const claim = (): Promise<ClaimedRow[]> =>
    queryRows<ClaimedRow>(
      options.db,
      sql`with due as (
            select id from ${pushOutbox} where next_attempt_at <= now()
            order by next_attempt_at, id limit ${batchSize} for update skip locked
          ), claimed as (
            update ${pushOutbox} row set attempts = row.attempts + 1, next_attempt_at = now() + make_interval(secs => ${claimLeaseSeconds})
            from due where row.id = due.id
            returning row.id, row.subscription_id, row.payload, row.ttl_seconds, row.urgency, row.attempts
          )
          select claimed.id, claimed.subscription_id as "subscriptionId", claimed.payload, claimed.ttl_seconds as "ttlSeconds",
                 claimed.urgency, claimed.attempts, subscription.endpoint, subscription.p256dh, subscription.auth
          from claimed join ${pushSubscriptions} subscription on subscription.id = claimed.subscription_id
          order by claimed.id`,
    );

  const deliver = async (row: ClaimedRow): Promise<void> => {
    if (!options.pushServices.accepts(row.endpoint)) {
      await options.db.execute(sql`delete from ${pushSubscriptions} where id = ${row.subscriptionId}::uuid`);
      options.logger.warn({ subscriptionId: row.subscriptionId, host: hostOf(row.endpoint) }, "push subscription on a push service not in PUSH_SERVICE_HOSTS; removed");
      return;
    }
    try {
      await webpush.sendNotification({ endpoint: row.endpoint, keys: { p256dh: row.p256dh, auth: row.auth } }, JSON.stringify(row.payload), {
        vapidDetails: { subject: options.subject, publicKey: options.vapidKeys.publicKey, privateKey: options.vapidKeys.privateKey },
        TTL: row.ttlSeconds,
        urgency: row.urgency,
        // A ring must not replace the conversation's waiting message notification, nor be replaced by it.
        ...(row.payload.type === "call" ? {} : { topic: conversationTopic(row.payload.conversationId) }),
        timeout: pushRequestTimeoutMs,
        ...(options.agent ? { agent: options.agent } : {}),
      });
      await options.db.execute(sql`delete from ${pushOutbox} where id = ${row.id}`);
    } catch (error) {
      const status = error instanceof WebPushError ? error.statusCode : null;
      if (status === 404 || status === 410) {
        // The browser unsubscribed or the subscription expired: it will never take a push again.
        await options.db.execute(sql`delete from ${pushSubscriptions} where id = ${row.subscriptionId}::uuid`);
        options.logger.info({ subscriptionId: row.subscriptionId, status }, "push subscription gone; removed");
        return;
      }
      const permanent = status === 400 || status === 413;
      if (permanent || row.attempts >= pushMaxAttempts) {
        await options.db.execute(sql`delete from ${pushOutbox} where id = ${row.id}`);
        options.logger.warn({ subscriptionId: row.subscriptionId, status, attempts: row.attempts, err: String(error) }, "push dropped");
        return;
      }
      const retryAfterMs = retryAfterHeaderMs(error);
      const delayMs = Math.max(retryAfterMs ?? 0, Math.min(retryBaseMs * 2 ** (row.attempts - 1), pushRetryMaxMs));
      await options.db.execute(
        sql`update ${pushOutbox} set next_attempt_at = now() + make_interval(secs => ${delayMs / 1_000}) where id = ${row.id}`,
      );
      options.logger.debug({ subscriptionId: row.subscriptionId, status, delayMs }, "push failed; will retry");
    }
  };

  const sendRound = async (): Promise<number> => {
    const rows = await claim();
    // In order per subscription, so a device sees a conversation's notifications in order;
    // subscriptions in parallel, so one slow push service holds up no one else.
    const bySubscription = new Map<string, ClaimedRow[]>();
    for (const row of rows) bySubscription.set(row.subscriptionId, [...(bySubscription.get(row.subscriptionId) ?? []), row]);
    await Promise.all(
      [...bySubscription.values()].map(async (queue) => {
        for (const row of queue) await deliver(row);
      }),
    );
    return rows.length;
  };

  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  const runUntilDone = async (): Promise<void> => {
    for (;;) {
      again = false;
      const sent = await sendRound();
      if (stopped || (sent < batchSize && !again)) return;
    }
  };
  const send = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = runUntilDone().finally(() => {
      running = null;
    });
    return running;
  };
  const timer = setInterval(() => {
    send().catch((error: unknown) => options.logger.warn({ err: String(error) }, "push sending failed"));
  }, options.intervalMs ?? pushSendIntervalMs);
  timer.unref();

  return {
    send,
    stop: async () => {
      // The round in progress finishes and records what it sent, so a restart resends nothing.
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}

function retryAfterHeaderMs(error: unknown): number | null {
  if (!(error instanceof WebPushError)) return null;
  const headers = error.headers as Record<string, string | undefined> | undefined;
  const value = Number(headers?.["retry-after"]);
  return Number.isFinite(value) && value > 0 ? Math.min(value * 1_000, pushRetryMaxMs) : null;
}

function hostOf(endpoint: string): string | null {
  try {
    return new URL(endpoint).host;
  } catch {
    return null;
  }
}
