/** The two servers every scenario runs against. */
export type System = "parley" | "baseline";

export const systemNames: Record<System, string> = { parley: "Parley", baseline: "baseline" };

export type GoalStatus = "met" | "missed" | "not measured";

export interface Goal {
  description: string;
  status: GoalStatus;
  /** Why a goal was not measured, or missed where the figures alone do not show it. */
  reason?: string;
}

export interface ResultRow {
  metric: string;
  unit: string;
  parley: number;
  baseline: number;
  ratio: number;
}

export interface ScenarioResult {
  id: string;
  title: string;
  skipped?: string;
  /** Headline figures, each with Parley's value, the baseline's and Parley ÷ baseline. */
  rows: ResultRow[];
  parley: unknown;
  baseline: unknown;
  goals: Goal[];
  /** Why these figures may not be comparable with another run's (see ../warnings.ts). */
  warnings: string[];
  notes: string[];
  /** Latency by percentile, for the chart. */
  curves?: { label: string; points: { percentile: number; ms: number }[] }[];
}

export function skippedScenario(id: string, title: string, reason: string): ScenarioResult {
  return { id, title, skipped: reason, rows: [], parley: null, baseline: null, goals: [], warnings: [], notes: [] };
}

function ratio(parley: number, baseline: number): number {
  return baseline === 0 || !Number.isFinite(baseline) ? Number.NaN : Math.round((parley / baseline) * 100) / 100;
}

/** A table row; `withRatio: false` for figures whose quotient means nothing (differences, counts that may be 0). */
export function row(metric: string, unit: string, parley: number, baseline: number, options: { withRatio?: boolean } = {}): ResultRow {
  const parleyValue = Number(parley);
  const baselineValue = Number(baseline);
  return {
    metric,
    unit,
    parley: parleyValue,
    baseline: baselineValue,
    ratio: options.withRatio === false ? Number.NaN : ratio(parleyValue, baselineValue),
  };
}

export function notMeasured(description: string, reason: string): Goal {
  return { description, status: "not measured", reason };
}

/**
 * A goal judged on `figures` (by who produced them: "Parley", "the baseline"). It is met or missed
 * only when every figure is a finite number; otherwise it was not measured, and says whose is missing.
 */
export function judgeGoal(description: string, figures: Record<string, number>, holds: boolean): Goal {
  const missing = Object.entries(figures)
    .filter(([, value]) => !Number.isFinite(Number(value)))
    .map(([side]) => side);
  if (missing.length > 0) return notMeasured(description, `no valid figure from ${missing.join(" or ")}`);
  return { description, status: holds ? "met" : "missed" };
}

const notRunSides = new WeakSet<object>();

/** Stands in for the side that was not run (--only): every figure in it reads as NaN. */
function notRun<T>(): T {
  const handler: ProxyHandler<object> = {
    get: (_, key) => (key === Symbol.toPrimitive ? () => Number.NaN : key === "toJSON" ? () => null : proxy),
  };
  const proxy: object = new Proxy({}, handler);
  notRunSides.add(proxy);
  return proxy as T;
}

/** Fills in the side `--only` left out. */
export function complete<T>(results: Partial<Record<System, T>>): Record<System, T> {
  return { parley: results.parley ?? notRun<T>(), baseline: results.baseline ?? notRun<T>() };
}

/** A side's figures for the JSON report: null for a side that was not run. */
export function sideReport<T extends object, TReport>(side: T, describe: (value: T) => TReport): TReport | null {
  return notRunSides.has(side) ? null : describe(side);
}
