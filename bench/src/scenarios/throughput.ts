import { closeClients } from "../load";
import type { ServerCost } from "../server-cost";
import { loadGeneratorWarnings } from "../warnings";
import { connectGroups, runMeasuredLoad, serverCostRows, sustainedMeans, sustains } from "./chat-load";
import type { BenchContext } from "./context";
import { complete, notMeasured, row, sideReport, systemNames, type Goal, type ScenarioResult, type System } from "./result";
import { startServers, stopServers } from "./servers";

interface ThroughputStep {
  rate: number;
  achievedRate: number;
  p99: number;
  deliveredRatio: number;
  failed: number;
  skipped: number;
  passed: boolean;
  loadGeneratorLagP99Ms: number;
  lateSends: number;
  serverCost: ServerCost;
}

interface SustainedRate {
  steps: ThroughputStep[];
  /** The acknowledged rate of the highest step that passed; NaN when none did. */
  best: number;
  /** The server's cost at that step. */
  bestCost: ServerCost | null;
  /** False when every step passed: the server may sustain more than `best`. */
  limitFound: boolean;
}

const goalDescription = "sustained rate ≥ 2× the baseline's highest";

/**
 * Each side's figure is the highest step it passed, so the comparison holds only where the steps
 * decide it: a side that passed every step may go higher, and one that passed none is below the
 * lowest step (which the baseline, having passed it, is not).
 */
function throughputGoal(parley: SustainedRate | undefined, baseline: SustainedRate | undefined): Goal {
  if (!parley || !baseline) return notMeasured(goalDescription, `${parley ? "the baseline" : "Parley"} was not run`);
  if (!(baseline.best > 0)) return notMeasured(goalDescription, "the baseline sustained none of the steps");
  const holds = (Number.isFinite(parley.best) ? parley.best : 0) >= 2 * baseline.best;
  if (holds && !baseline.limitFound) {
    return notMeasured(goalDescription, "the baseline passed every step, so its highest rate is above them: add higher --throughput-steps");
  }
  if (!holds && !parley.limitFound) {
    return notMeasured(goalDescription, "Parley passed every step but not twice the baseline's rate: add higher --throughput-steps");
  }
  return { description: goalDescription, status: holds ? "met" : "missed" };
}

export async function throughputScenario(context: BenchContext): Promise<ScenarioResult> {
  const { clients, groupSize, throughputSteps, throughputStepSeconds } = context.options;
  const users = await context.seeder.users(clients);
  const groups = await context.seeder.groups(users, groupSize);
  const partial: Partial<Record<System, SustainedRate>> = {};
  const warnings: string[] = [];
  for (const system of context.options.systems) {
    const servers = await startServers(context, system, 1);
    const sustained: SustainedRate = { steps: [], best: Number.NaN, bestCost: null, limitFound: false };
    try {
      const { protocol, tracker, senders, clients: connected } = await connectGroups(system, servers, groups);
      for (const rate of throughputSteps) {
        const result = await runMeasuredLoad(context, {
          label: `throughput: ${system} at ${rate} msg/s`,
          servers,
          protocol,
          senders,
          tracker,
          ratePerSecond: rate,
          durationMs: throughputStepSeconds * 1_000,
          drainMs: 3_000,
        });
        const passed = sustains(result);
        sustained.steps.push({
          rate,
          achievedRate: result.achievedRate,
          p99: result.sendToReceive.p99,
          deliveredRatio: result.deliveredRatio,
          failed: result.failed,
          skipped: result.skipped,
          passed,
          loadGeneratorLagP99Ms: result.loadGeneratorLagP99Ms,
          lateSends: result.lateSends,
          serverCost: result.serverCost,
        });
        // Failed sends are what ends a step here, so only the load generator's own lag is a warning.
        warnings.push(...loadGeneratorWarnings(`${systemNames[system]}, ${rate} msg/s step`, result));
        context.log(
          `throughput: ${system} ${rate} msg/s → acked ${result.achievedRate}/s, p99 ${result.sendToReceive.p99} ms, ` +
            `delivered ${(result.deliveredRatio * 100).toFixed(2)}%, ${result.serverCost.cpuMicrosPerSend} µs CPU and ` +
            `${result.serverCost.statementsPerSend} statements per send: ${passed ? "ok" : "over the limit"}`,
        );
        if (!passed) {
          sustained.limitFound = true;
          break;
        }
        sustained.best = result.achievedRate;
        sustained.bestCost = result.serverCost;
        // Let the backlog of the step settle before the next one.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      closeClients(connected);
    } finally {
      await stopServers(servers);
    }
    partial[system] = sustained;
  }
  const { parley, baseline } = complete(partial);
  const lowestStep = Math.min(...throughputSteps);
  const notes = [`steps tried: ${throughputSteps.join(", ")} msg/s; a step passes with ${sustainedMeans}`];
  for (const [system, result] of Object.entries(partial)) {
    if (!Number.isFinite(result.best)) notes.push(`${systemNames[system as System]} sustained none of the steps (the lowest is ${lowestStep} msg/s)`);
    else if (!result.limitFound) notes.push(`${systemNames[system as System]} passed every step: its highest rate is above ${result.best} msg/s`);
  }
  const costAtBest = (result: SustainedRate) => result.bestCost ?? { cpuMicrosPerSend: Number.NaN, statementsPerSend: Number.NaN };
  return {
    id: "throughput",
    title: `Throughput: highest durable send rate with p99 send→receive ≤ 100 ms (${throughputStepSeconds} s steps)`,
    rows: [
      row("sustained rate", "msg/s", parley.best, baseline.best),
      ...serverCostRows(costAtBest(parley), costAtBest(baseline), " at that rate"),
    ],
    parley: sideReport(parley, (value) => value),
    baseline: sideReport(baseline, (value) => value),
    goals: [throughputGoal(partial.parley, partial.baseline)],
    warnings,
    notes,
  };
}
