import { monitorEventLoopDelay } from "node:perf_hooks";

/**
 * Watches how late the load generator's own event loop runs. Whatever it lags is added to every
 * latency it measures, and delays the sends it is meant to make on time.
 */
export function watchEventLoopLag(): { stop: () => number } {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  return {
    /** Stops watching; returns the p99 lag in milliseconds. */
    stop: () => {
      histogram.disable();
      return Math.round((histogram.percentile(99) / 1e6) * 100) / 100;
    },
  };
}
