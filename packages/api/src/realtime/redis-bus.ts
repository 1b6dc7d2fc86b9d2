import { createHash, randomUUID } from "node:crypto";

import { sql } from "drizzle-orm";
import { Redis, type RedisOptions } from "ioredis";

import type { Database } from "@parley/db/client";

import type { EphemeralEnvelope, StoredEvent } from "../events/types";
import type { Logger } from "../logger";
import type { EventBus, EventBusHandlers } from "./bus";

/** How long `connect` waits for Redis before the process starts without it (and keeps retrying). */
const initialConnectWaitMs = 3_000;

/** Reconnect delays: quick at first, then every two seconds for as long as Redis is away. */
export function redisRetryDelayMs(attempt: number): number {
  return Math.min(attempt * 200, 2_000);
}

/**
 * A name for the event log this process writes to, shared by every process on the same
 * database and different for any other database. Event ids are only meaningful within one log,
 * so processes of two deployments (or two test databases) sharing a Redis must never hear each
 * other: an id from another log would be taken for one of ours and hide it.
 */
export async function eventLogNamespace(db: Database): Promise<string> {
  let identity: string;
  try {
    const rows = (await db.execute(
      sql`select current_database() as name, (select system_identifier::text from pg_control_system()) as cluster`,
    )) as unknown as { rows?: { name: string; cluster: string }[] } | { name: string; cluster: string }[];
    const row = Array.isArray(rows) ? rows[0] : rows.rows?.[0];
    identity = `${row?.cluster ?? ""}/${row?.name ?? ""}`;
  } catch {
    const rows = (await db.execute(sql`select current_database() as name`)) as unknown as
      | { rows?: { name: string }[] }
      | { name: string }[];
    const row = Array.isArray(rows) ? rows[0] : rows.rows?.[0];
    identity = `/${row?.name ?? ""}`;
  }
  return createHash("sha256").update(identity).digest("hex").slice(0, 16);
}

export interface RedisBusOptions {
  url: string;
  logger: Logger;
  /** From `eventLogNamespace`: the channels are private to one event log. */
  namespace: string;
}

/**
 * Redis pub/sub between Parley processes. Each process delivers its own publishes locally at
 * once and ignores their echo from Redis. While Redis is away, publishes are dropped (not
 * queued, so no request ever waits for Redis): the record is in Postgres, the feed's poll keeps
 * delivering from the log meanwhile, and every feed re-reads the log once its subscription is
 * back.
 *
 * A message on the wire is `<origin uuid> <json>`, so a process recognises its own echo
 * without parsing it.
 */
export function createRedisBus(options: RedisBusOptions): EventBus {
  const origin = randomUUID();
  const originBytes = origin.length;
  const eventsChannel = `parley:${options.namespace}:events`;
  const ephemeralChannel = `parley:${options.namespace}:ephemeral`;
  const baseOptions: RedisOptions = {
    lazyConnect: true,
    retryStrategy: redisRetryDelayMs,
    // A Redis that accepts the connection but stops answering must not pile up commands forever.
    commandTimeout: 2_000,
  };
  // Never hold a request hostage to Redis: a publish while disconnected is dropped at once.
  const publisher = new Redis(options.url, { ...baseOptions, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  // Subscriptions are (re)made on every "ready" below, followed by a read of the log.
  const subscriber = new Redis(options.url, { ...baseOptions, autoResubscribe: false, commandTimeout: undefined });
  let handlers: EventBusHandlers | undefined;
  let closed = false;
  let markSubscribed: () => void = () => {};
  const firstSubscription = new Promise<void>((resolve) => {
    markSubscribed = resolve;
  });

  for (const [name, client] of [
    ["publisher", publisher],
    ["subscriber", subscriber],
  ] as const) {
    let reported = false;
    client.on("error", (error: Error) => {
      // Once per outage: a retry every two seconds would otherwise flood the log.
      if (reported) return;
      reported = true;
      options.logger.warn({ err: error.message, client: name }, "redis bus unavailable; delivering from the event log meanwhile");
    });
    client.on("ready", () => {
      if (reported) options.logger.info({ client: name }, "redis bus connected again");
      reported = false;
    });
  }

  subscriber.on("ready", () => {
    subscriber
      .subscribe(eventsChannel, ephemeralChannel)
      .then(() => {
        markSubscribed();
        // Anything committed while we were not listening is in the log: read it now.
        handlers?.onGap();
      })
      .catch((error: Error) => {
        options.logger.warn({ err: error.message }, "redis bus could not subscribe");
      });
  });

  subscriber.on("messageBuffer", (channel: Buffer, raw: Buffer) => {
    if (raw.length <= originBytes || raw.toString("latin1", 0, originBytes) === origin) return;
    let payload: unknown;
    try {
      payload = JSON.parse(raw.toString("utf8", originBytes + 1));
    } catch {
      options.logger.warn({}, "redis bus: unreadable message dropped");
      return;
    }
    if (channel.toString() === eventsChannel) handlers?.onEvents(payload as StoredEvent[]);
    else handlers?.onEphemeral(payload as EphemeralEnvelope);
  });

  function send(channel: string, payload: unknown): void {
    if (closed || publisher.status !== "ready") return;
    publisher.publish(channel, `${origin} ${JSON.stringify(payload)}`).catch((error: Error) => {
      options.logger.debug({ err: error.message }, "redis bus publish dropped");
    });
  }

  return {
    kind: "redis",
    connect: async (next) => {
      handlers = next;
      const ignore = () => {
        // Reported by the "error" listener; the client keeps retrying on its own.
      };
      publisher.connect().catch(ignore);
      subscriber.connect().catch(ignore);
      let timer: NodeJS.Timeout | undefined;
      const waited = await Promise.race([
        firstSubscription.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), initialConnectWaitMs);
        }),
      ]);
      clearTimeout(timer);
      if (!waited) {
        options.logger.warn({}, "redis bus not reachable at start; continuing with the event log until it is");
      }
    },
    publishEvents: (events) => {
      handlers?.onEvents(events);
      send(eventsChannel, events);
    },
    publishEphemeral: (envelope) => {
      handlers?.onEphemeral(envelope);
      send(ephemeralChannel, envelope);
    },
    connected: () => !closed && publisher.status === "ready" && subscriber.status === "ready",
    close: async () => {
      closed = true;
      handlers = undefined;
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}
