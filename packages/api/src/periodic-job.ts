import type { Logger } from "./logger";

export interface PeriodicJob<TResult> {
  /** Runs the job now, or joins the run in progress: never two at once in this process. */
  run: () => Promise<TResult>;
  /** No more runs; resolves once the one in progress ended. */
  stop: () => Promise<void>;
}

/**
 * A background job every node runs on a timer (sweeps of expired messages, rung-out calls):
 * one run at a time, a failed run logged and tried again on the next tick, and the timer never
 * keeping the process alive.
 */
export function startPeriodicJob<TResult>(options: {
  work: () => Promise<TResult>;
  intervalMs: number;
  logger: Logger;
  /** The log line of a failed run: "expiry sweep failed". */
  failure: string;
}): PeriodicJob<TResult> {
  let running: Promise<TResult> | null = null;
  const run = (): Promise<TResult> => {
    running ??= options.work().finally(() => {
      running = null;
    });
    return running;
  };
  const timer = setInterval(() => {
    run().catch((error: unknown) => options.logger.warn({ err: String(error) }, options.failure));
  }, options.intervalMs);
  timer.unref();
  return {
    run,
    stop: async () => {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
