import { connectionsScenario } from "./connections";
import type { BenchContext } from "./context";
import { fanOutScenario } from "./fan-out";
import { historyScenario } from "./history";
import { latencyScenario } from "./latency";
import type { ScenarioResult } from "./result";
import { searchScenario } from "./search";
import { throughputScenario } from "./throughput";
import { twoNodesScenario } from "./two-nodes";

/** Every scenario, in the order a full run takes them. */
export const scenarios = {
  latency: latencyScenario,
  throughput: throughputScenario,
  "fan-out": fanOutScenario,
  connections: connectionsScenario,
  "two-nodes": twoNodesScenario,
  history: historyScenario,
  search: searchScenario,
} satisfies Record<string, (context: BenchContext) => Promise<ScenarioResult>>;

export type ScenarioId = keyof typeof scenarios;

export const scenarioIds = Object.keys(scenarios) as ScenarioId[];
