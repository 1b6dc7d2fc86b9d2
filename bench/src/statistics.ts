export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** The nearest-rank percentile of ascending `sorted` values. */
export function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank] as number;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

export function summarize(samples: number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const values = Array.from(sorted);
  const total = values.reduce((sum, value) => sum + value, 0);
  return {
    count: values.length,
    p50: round(percentile(values, 0.5)),
    p95: round(percentile(values, 0.95)),
    p99: round(percentile(values, 0.99)),
    max: round(values.at(-1) ?? Number.NaN),
    mean: round(values.length ? total / values.length : Number.NaN),
  };
}

/** Latency at fixed percentiles, for the chart: 0 to 99.99 on a "nines" scale. */
export function percentileCurve(samples: number[]): { percentile: number; ms: number }[] {
  if (!Array.isArray(samples)) return [];
  const sorted = Array.from(Float64Array.from(samples).sort());
  const points: { percentile: number; ms: number }[] = [];
  for (const nines of [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75, 3, 3.5, 4]) {
    const fraction = 1 - 10 ** -nines;
    if (sorted.length === 0 || (nines > 0 && 1 / (1 - fraction) > sorted.length)) break;
    points.push({ percentile: round(fraction * 100), ms: round(percentile(sorted, Math.max(fraction, 1 / sorted.length))) });
  }
  return points;
}
