import type { Clock } from "@parley/auth";
import type { Database } from "@parley/db/client";

import { endRungOutCalls, endSilentCallDevices, markCallDevicesSeen } from "./domain/calls";
import type { Logger } from "./logger";
import { startPeriodicJob } from "./periodic-job";
import type { EventFeed } from "./realtime/feed";

/** How often each node looks for calls that rang out. */
export const callSweepIntervalMs = 1_000;

export interface CallSweeper {
  /**
   * Marks this node's live call devices as seen, ends every call whose ringing is past its
   * deadline at the clock's time, and takes long-silent devices out of their calls; resolves
   * with how many calls and devices it ended.
   */
  sweep: () => Promise<number>;
  stop: () => Promise<void>;
}

/**
 * Ends unanswered calls after their ring time. The deadline is a column, not a timer in the
 * node that started the call, so a call still times out when that node has died: every node
 * sweeps, and the locks in `endRungOutCalls` let only one of them end each call. The same sweep
 * keeps call devices alive: one that no node has held a stream for in 45 s has left its call.
 */
export function startCallSweeper(options: {
  db: Database;
  feed: EventFeed;
  clock: Clock;
  logger: Logger;
  intervalMs?: number;
}): CallSweeper {
  const sweepOnce = async (): Promise<number> => {
    const now = options.clock.now();
    await markCallDevicesSeen(options.db, { sessionIds: options.feed.liveSessionIds(), now });
    return (await endRungOutCalls(options, now)) + (await endSilentCallDevices(options, now));
  };
  const job = startPeriodicJob({ work: sweepOnce, intervalMs: options.intervalMs ?? callSweepIntervalMs, logger: options.logger, failure: "call sweep failed" });
  return { sweep: job.run, stop: job.stop };
}
