/*
 * When the figures of a run cannot be compared with another run's: the machine was busy before the
 * bench started, or the load generator itself fell behind, so part of what it measured is its own
 * delay. Each check gives a sentence for the report, or nothing.
 */

/** The 1-minute load average above which other work competes with the bench for the cores. */
export const maxLoadAverageAtStart = 1.5;
/** The load generator's event-loop lag p99 above which its own delay shows in the latencies. */
export const maxLoadGeneratorLagMs = 20;
/** A send made this much after its slot in the schedule was not made on time. */
export const lateSendThresholdMs = 20;
/** The share of late sends above which the offered load was not the load asked for. */
export const maxLateSendShare = 0.01;

export function loadAverageWarning(loadAverageAtStart: number): string[] {
  if (loadAverageAtStart <= maxLoadAverageAtStart) return [];
  return [
    `load average was ${loadAverageAtStart} when the run started (above ${maxLoadAverageAtStart}): other work shared the cores, so these figures are not comparable with another run's`,
  ];
}

export interface LoadGeneratorFigures {
  loadGeneratorLagP99Ms: number;
  /** Sends made more than `lateSendThresholdMs` after their slot; absent where sends are not scheduled. */
  lateSends?: number;
  scheduledSends?: number;
}

/** `run` names the run, e.g. "Parley run" or "baseline, 2 nodes". */
export function loadGeneratorWarnings(run: string, figures: LoadGeneratorFigures): string[] {
  const warnings: string[] = [];
  if (figures.loadGeneratorLagP99Ms > maxLoadGeneratorLagMs) {
    warnings.push(
      `${run}: the load generator's event loop lagged ${figures.loadGeneratorLagP99Ms} ms at p99 (above ${maxLoadGeneratorLagMs} ms), so its own delay is part of the latencies`,
    );
  }
  const { lateSends = 0, scheduledSends = 0 } = figures;
  if (scheduledSends > 0 && lateSends / scheduledSends > maxLateSendShare) {
    warnings.push(
      `${run}: the load generator made ${lateSends} of ${scheduledSends} sends more than ${lateSendThresholdMs} ms late, so the offered rate was not the one asked for`,
    );
  }
  return warnings;
}

export function failedSendsWarning(run: string, figures: { failed: number; sent: number; firstError: string | null }): string[] {
  if (figures.failed === 0) return [];
  return [`${run}: ${figures.failed} of ${figures.sent} sends failed (first: ${figures.firstError ?? "unknown"})`];
}
