import type { Clock } from "@parley/auth";
import type { Database } from "@parley/db/client";

import { endRungOutCalls } from "./domain/calls";
import type { Logger } from "./logger";
import type { EventFeed } from "./realtime/feed";

/** How often each node looks for calls that rang out. */
export const callSweepIntervalMs = 1_000;

export interface CallSweeper {
  /** Ends every call whose ringing is past its deadline at the clock's time; resolves with how many. */
  sweep: () => Promise<number>;
  stop: () => Promise<void>;
}

/**
 * Ends unanswered calls after their ring time. The deadline is a column, not a timer in the
 * node that started the call, so a call still times out when that node has died: every node
 * sweeps, and the locks in `endRungOutCalls` let only one of them end each call.
 */
export function startCallSweeper(options: {
  db: Database;
  feed: EventFeed;
  clock: Clock;
  logger: Logger;
  intervalMs?: number;
}): CallSweeper {
  let running: Promise<number> | null = null;
  const sweep = (): Promise<number> => {
    running ??= endRungOutCalls(options, options.clock.now()).finally(() => {
      running = null;
    });
    return running;
  };
  const timer = setInterval(() => {
    sweep().catch((error: unknown) => options.logger.warn({ err: String(error) }, "call sweep failed"));
  }, options.intervalMs ?? callSweepIntervalMs);
  timer.unref();
  return {
    sweep,
    stop: async () => {
      clearInterval(timer);
      await running?.catch(() => 0);
    },
  };
}
