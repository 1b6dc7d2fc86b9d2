import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";

import { watchEventLoopLag } from "./event-loop-lag";
import { reportProgress } from "./progress";
import type { ChatProtocol, LiveConnection } from "./protocol/types";
import type { SeededUser } from "./seed";
import { summarize, type LatencySummary } from "./statistics";
import { lateSendThresholdMs } from "./warnings";

interface Expectation {
  senderId: string;
  sentAt: number;
  remaining: number;
  onComplete?: (lastDeliveryMs: number) => void;
}

/** Matches deliveries to sends by clientId and records how long each took. */
export class DeliveryTracker {
  readonly #pending = new Map<string, Expectation>();
  /** send→receive of every delivery to a member other than the sender. */
  latencies: number[] = [];
  expected = 0;
  delivered = 0;
  unexpected = 0;

  reset(): void {
    this.#pending.clear();
    this.latencies = [];
    this.expected = 0;
    this.delivered = 0;
    this.unexpected = 0;
  }

  expect(clientId: string, expectation: Expectation): void {
    this.#pending.set(clientId, expectation);
    this.expected += expectation.remaining;
  }

  cancel(clientId: string): void {
    const expectation = this.#pending.get(clientId);
    if (!expectation) return;
    this.expected -= expectation.remaining;
    this.#pending.delete(clientId);
  }

  receive(receiverId: string, clientId: string): void {
    const now = performance.now();
    const expectation = this.#pending.get(clientId);
    if (!expectation) {
      this.unexpected += 1;
      return;
    }
    if (receiverId === expectation.senderId) return;
    this.latencies.push(now - expectation.sentAt);
    this.delivered += 1;
    expectation.remaining -= 1;
    if (expectation.remaining === 0) {
      this.#pending.delete(clientId);
      expectation.onComplete?.(now - expectation.sentAt);
    }
  }

  /** Waits until every expected delivery arrived, or `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.#pending.size > 0 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

export interface ConnectedClient {
  user: SeededUser;
  serverUrl: string;
  connection: LiveConnection;
}

/** Opens a subscribed socket per user, `concurrency` at a time. */
export async function connectClients(options: {
  protocol: ChatProtocol;
  users: { user: SeededUser; serverUrl: string }[];
  tracker?: DeliveryTracker;
  concurrency?: number;
  /** Receives a progress line every few seconds. */
  progress?: { log: (message: string) => void; label: string };
}): Promise<ConnectedClient[]> {
  const connected: ConnectedClient[] = new Array(options.users.length);
  let next = 0;
  let opened = 0;
  const { progress } = options;
  const stopProgress = progress
    ? reportProgress(progress.log, (elapsedSeconds) => `${progress.label}: ${elapsedSeconds} s, ${opened} of ${options.users.length} subscribed`)
    : () => {};
  const connectInTurn = async () => {
    while (next < options.users.length) {
      const index = next++;
      const entry = options.users[index] as { user: SeededUser; serverUrl: string };
      const connection = await options.protocol.subscribe(entry.serverUrl, entry.user.token, (message) =>
        options.tracker?.receive(entry.user.id, message.clientId),
      );
      connected[index] = { ...entry, connection };
      opened += 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 50, options.users.length) }, connectInTurn));
  } finally {
    stopProgress();
  }
  return connected;
}

export function closeClients(clients: ConnectedClient[]): void {
  for (const client of clients) client.connection.close();
}

export interface Sender {
  user: SeededUser;
  serverUrl: string;
  conversationId: string;
  /** Members other than the sender who should receive it. */
  receivers: number;
}

/**
 * Makes sure every subscription is live before measuring: the server confirms a subscription
 * before it has loaded the user's conversations, so each group sends until all members heard it.
 */
export async function warmUp(protocol: ChatProtocol, senders: Sender[], tracker: DeliveryTracker): Promise<void> {
  await Promise.all(
    senders.map(async (sender) => {
      for (let attempt = 0; attempt < 10; attempt += 1) {
        const clientId = randomUUID();
        const done = new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), 3_000);
          tracker.expect(clientId, {
            senderId: sender.user.id,
            sentAt: performance.now(),
            remaining: sender.receivers,
            onComplete: () => {
              clearTimeout(timer);
              resolve(true);
            },
          });
        });
        await protocol.send(sender.serverUrl, sender.user.token, {
          conversationId: sender.conversationId,
          clientId,
          body: "warm-up",
        });
        if (await done) return;
        tracker.cancel(clientId);
      }
      throw new Error("warm-up: some members never received a message");
    }),
  );
  tracker.reset();
}

export interface OpenLoopResult {
  targetRate: number;
  durationMs: number;
  sent: number;
  failed: number;
  /** Sends not made because `maxInFlight` were already waiting: the server was overloaded. */
  skipped: number;
  firstError: string | null;
  /** Sends acknowledged (committed) before the run ended. */
  acknowledged: number;
  /** Acknowledged sends per second over the run. */
  achievedRate: number;
  sendToReceive: LatencySummary;
  ack: LatencySummary;
  /** Deliveries received / deliveries expected, after the drain. */
  deliveredRatio: number;
  /** How late the load generator's own timers ran (p99): its share of the figures above. */
  loadGeneratorLagP99Ms: number;
  /** Sends the schedule called for, made or not. */
  scheduledSends: number;
  /** Sends made (or skipped) more than `lateSendThresholdMs` after their slot in the schedule. */
  lateSends: number;
  samples: number[];
}

/**
 * Sends at a fixed total rate regardless of how fast acknowledgements come back (an open
 * loop, so a slow server shows up as latency rather than as a lower offered load).
 */
export async function runOpenLoop(options: {
  protocol: ChatProtocol;
  senders: Sender[];
  ratePerSecond: number;
  durationMs: number;
  tracker: DeliveryTracker;
  drainMs?: number;
  /** Bounds the backlog of an overloaded server, and so the run's length and memory. */
  maxInFlight?: number;
  /** Receives a progress line every few seconds. */
  progress?: { log: (message: string) => void; label: string };
}): Promise<OpenLoopResult> {
  const maxInFlight = options.maxInFlight ?? 1_000;
  const { tracker } = options;
  tracker.reset();
  const acks: number[] = [];
  let sent = 0;
  let failed = 0;
  let skipped = 0;
  let lateSends = 0;
  let firstError: string | null = null;
  const inflight = new Set<Promise<void>>();
  const lag = watchEventLoopLag();
  const start = performance.now();
  const intervalMs = 1_000 / options.ratePerSecond;
  const { progress } = options;
  const stopProgress = progress
    ? reportProgress(progress.log, (elapsedSeconds) =>
        `${progress.label}: ${elapsedSeconds} s, sent ${sent - skipped}, acknowledged ${acks.length}, ` +
          `received ${tracker.delivered} of ${tracker.expected}${skipped ? `, not sent ${skipped}` : ""}`,
      )
    : () => {};

  const fire = (sender: Sender) => {
    // Send number `sent + 1` has its slot at (sent + 1) × interval after the start.
    if (performance.now() - start - (sent + 1) * intervalMs > lateSendThresholdMs) lateSends += 1;
    if (inflight.size >= maxInFlight) {
      sent += 1;
      skipped += 1;
      return;
    }
    const clientId = randomUUID();
    const sentAt = performance.now();
    sent += 1;
    tracker.expect(clientId, { senderId: sender.user.id, sentAt, remaining: sender.receivers });
    const call = options.protocol
      .send(sender.serverUrl, sender.user.token, { conversationId: sender.conversationId, clientId, body: `load ${sent}` })
      .then(
        () => {
          acks.push(performance.now() - sentAt);
        },
        (error: unknown) => {
          failed += 1;
          firstError ??= String(error);
          tracker.cancel(clientId);
        },
      );
    inflight.add(call);
    void call.finally(() => inflight.delete(call));
  };

  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      const due = Math.floor((Math.min(elapsed, options.durationMs) * options.ratePerSecond) / 1_000) - sent;
      for (let index = 0; index < due; index += 1) fire(options.senders[sent % options.senders.length] as Sender);
      if (elapsed >= options.durationMs) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  const sendingMs = performance.now() - start;
  await Promise.all(inflight);
  const ackedWithinMs = performance.now() - start;
  await tracker.drain(options.drainMs ?? 5_000);
  const loadGeneratorLagP99Ms = lag.stop();
  stopProgress();

  return {
    targetRate: options.ratePerSecond,
    durationMs: Math.round(sendingMs),
    sent: sent - skipped,
    failed,
    skipped,
    firstError,
    acknowledged: acks.length,
    achievedRate: Math.round((acks.length / ackedWithinMs) * 1_000),
    sendToReceive: summarize(tracker.latencies),
    ack: summarize(acks),
    deliveredRatio: tracker.expected === 0 ? 0 : Math.round((tracker.delivered / tracker.expected) * 10_000) / 10_000,
    loadGeneratorLagP99Ms,
    scheduledSends: sent,
    lateSends,
    samples: tracker.latencies,
  };
}
