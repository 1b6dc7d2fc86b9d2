import { randomUUID } from "node:crypto";

import { Redis } from "ioredis";

import type { Logger } from "../logger";
import type { EventBus, EventBusHandlers } from "./bus";
import type { EphemeralEnvelope, StoredEvent } from "./types";

const eventsChannel = "parley:events";
const ephemeralChannel = "parley:ephemeral";

type BusMessage =
  | { origin: string; kind: "events"; events: StoredEvent[] }
  | { origin: string; kind: "ephemeral"; envelope: EphemeralEnvelope };

/**
 * Redis pub/sub between Parley processes. Each process delivers its own publishes locally at
 * once and ignores their echo from Redis. While Redis is away, publishes are dropped (not
 * queued): the record is in Postgres, and every feed re-reads the log when the bus returns.
 */
export function createRedisBus(options: { url: string; logger: Logger }): EventBus {
  const origin = randomUUID();
  const redisOptions = {
    lazyConnect: true,
    // Never hold a request hostage to Redis: a publish while disconnected fails fast.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
  };
  const publisher = new Redis(options.url, redisOptions);
  const subscriber = new Redis(options.url, { ...redisOptions, enableOfflineQueue: true });
  let handlers: EventBusHandlers | undefined;
  let wasReady = false;

  for (const [name, client] of [
    ["publisher", publisher],
    ["subscriber", subscriber],
  ] as const) {
    client.on("error", (error: Error) => {
      options.logger.warn({ err: error.message, client: name }, "redis bus error");
    });
  }

  subscriber.on("ready", () => {
    if (wasReady) {
      options.logger.info({}, "redis bus reconnected; re-reading the event log");
      handlers?.onGap();
    }
    wasReady = true;
  });

  subscriber.on("messageBuffer", (_channel: Buffer, raw: Buffer) => {
    let message: BusMessage;
    try {
      message = JSON.parse(raw.toString("utf8")) as BusMessage;
    } catch {
      options.logger.warn({}, "redis bus: unreadable message dropped");
      return;
    }
    if (message.origin === origin) return;
    if (message.kind === "events") handlers?.onEvents(message.events);
    else handlers?.onEphemeral(message.envelope);
  });

  function send(message: BusMessage, channel: string): void {
    if (publisher.status !== "ready") return;
    publisher.publish(channel, JSON.stringify(message)).catch((error: Error) => {
      options.logger.warn({ err: error.message }, "redis bus publish failed");
    });
  }

  return {
    kind: "redis",
    connect: async (next) => {
      handlers = next;
      await Promise.all([publisher.connect(), subscriber.connect()]);
      await subscriber.subscribe(eventsChannel, ephemeralChannel);
    },
    publishEvents: (events) => {
      handlers?.onEvents(events);
      send({ origin, kind: "events", events }, eventsChannel);
    },
    publishEphemeral: (envelope) => {
      handlers?.onEphemeral(envelope);
      send({ origin, kind: "ephemeral", envelope }, ephemeralChannel);
    },
    close: async () => {
      handlers = undefined;
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}
