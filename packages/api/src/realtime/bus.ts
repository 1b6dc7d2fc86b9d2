import type { EphemeralEnvelope, StoredEvent } from "../events/types";

export interface EventBusHandlers {
  onEvents: (events: StoredEvent[]) => void;
  onEphemeral: (envelope: EphemeralEnvelope) => void;
  /** The bus may have dropped messages (a reconnect): the feed re-reads the log. */
  onGap: () => void;
}

/**
 * Carries notifications between server processes. It is never the record: Postgres is, so a
 * message the bus loses delays delivery (the feed finds it in the log) and never loses it.
 * Every publish is also delivered to this process's own handlers.
 */
export interface EventBus {
  readonly kind: "memory" | "redis";
  connect: (handlers: EventBusHandlers) => Promise<void>;
  publishEvents: (events: StoredEvent[]) => void;
  publishEphemeral: (envelope: EphemeralEnvelope) => void;
  /** Whether publishes reach the other processes now (the in-process bus has none to reach). */
  connected: () => boolean;
  close: () => Promise<void>;
}

/** The single-process bus: delivery to this process's handlers only. */
export function createMemoryBus(): EventBus {
  let handlers: EventBusHandlers | undefined;
  return {
    kind: "memory",
    connect: async (next) => {
      handlers = next;
    },
    publishEvents: (events) => handlers?.onEvents(events),
    publishEphemeral: (envelope) => handlers?.onEphemeral(envelope),
    connected: () => true,
    close: async () => {
      handlers = undefined;
    },
  };
}
