import { percentileCurve } from "../statistics";
import { chatLoad, describeLoad, runWarnings, sustainedMeans, sustains, type MeasuredLoad } from "./chat-load";
import type { BenchContext } from "./context";
import {
  complete,
  judgeGoal,
  notMeasured,
  row,
  sideReport,
  skippedScenario,
  systemNames,
  type Goal,
  type ScenarioResult,
  type System,
} from "./result";

interface TwoNodeRun {
  oneNode: MeasuredLoad;
  twoNodes: MeasuredLoad;
  /** Two-node p99 minus one-node p99, at the same rate in the same run. */
  addedP99Ms: number;
  /** Whether each run sustained the rate; the added p99 is the cost of the hop only when both did. */
  oneNodeSustained: boolean;
  twoNodesSustained: boolean;
}

const addedP99GoalMs = 5;

/**
 * Judged only at a rate one node sustains: above it, both runs queue and their difference says
 * nothing about the hop. Two nodes failing a rate one node sustains is a miss whatever the p99s say.
 */
function addedP99Goal(parley: TwoNodeRun | undefined, rate: number): Goal {
  const description = `two nodes add ≤ ${addedP99GoalMs} ms to p99 send→receive at a rate both sustain`;
  if (!parley) return notMeasured(description, "Parley was not run");
  if (!parley.oneNodeSustained) {
    return notMeasured(description, `one Parley node did not sustain ${rate} msg/s, so the difference is queueing: lower --two-node-rate`);
  }
  if (!parley.twoNodesSustained) {
    return { description, status: "missed", reason: `two Parley nodes did not sustain the ${rate} msg/s one node did` };
  }
  return judgeGoal(description, { Parley: parley.addedP99Ms }, parley.addedP99Ms <= addedP99GoalMs);
}

export async function twoNodesScenario(context: BenchContext): Promise<ScenarioResult> {
  const { clients, groupSize, twoNodeRate, durationSeconds } = context.options;
  const title =
    `Two nodes over Redis: ${clients} clients, each group's members alternating between two processes, ` +
    `${twoNodeRate} msg/s for ${durationSeconds} s, against one node at the same rate`;
  if (!context.redisUrl) return skippedScenario("two-nodes", title, "no Redis (set REDIS_URL or run one on 127.0.0.1:6379)");
  if (context.database.location.kind === "pglite") {
    return skippedScenario(
      "two-nodes",
      title,
      "PGlite cannot be shared by two processes (set DATABASE_URL or run Postgres on 127.0.0.1:5432)",
    );
  }
  const users = await context.seeder.users(clients);
  const groups = await context.seeder.groups(users, groupSize);
  const partial: Partial<Record<System, TwoNodeRun>> = {};
  for (const system of context.options.systems) {
    const runs: MeasuredLoad[] = [];
    for (const nodes of [1, 2]) {
      context.log(`two nodes: ${system} on ${nodes} node${nodes > 1 ? "s (members of every group alternate between them)" : ""}, ${twoNodeRate} msg/s`);
      runs.push(
        await chatLoad(context, {
          system,
          groups,
          nodes,
          ratePerSecond: twoNodeRate,
          durationSeconds,
          label: `two nodes: ${system} on ${nodes}`,
        }),
      );
    }
    const [oneNode, twoNodes] = runs as [MeasuredLoad, MeasuredLoad];
    partial[system] = {
      oneNode,
      twoNodes,
      addedP99Ms: Math.round((twoNodes.sendToReceive.p99 - oneNode.sendToReceive.p99) * 100) / 100,
      oneNodeSustained: sustains(oneNode),
      twoNodesSustained: sustains(twoNodes),
    };
  }
  const { parley, baseline } = complete(partial);
  const warnings = Object.entries(partial).flatMap(([system, result]) => [
    ...runWarnings(`${systemNames[system as System]} on one node`, result.oneNode),
    ...runWarnings(`${systemNames[system as System]} on two nodes`, result.twoNodes),
  ]);
  const notes = [`a run sustains its rate with ${sustainedMeans}`];
  for (const [system, result] of Object.entries(partial)) {
    const unsustained = [result.oneNodeSustained ? null : "one node", result.twoNodesSustained ? null : "two nodes"].filter(Boolean);
    if (unsustained.length > 0) notes.push(`${systemNames[system as System]} did not sustain ${twoNodeRate} msg/s on ${unsustained.join(" or on ")}`);
  }
  const describeRun = (run: TwoNodeRun) => ({
    addedP99Ms: run.addedP99Ms,
    oneNodeSustained: run.oneNodeSustained,
    twoNodesSustained: run.twoNodesSustained,
    oneNode: describeLoad(run.oneNode),
    twoNodes: describeLoad(run.twoNodes),
  });
  return {
    id: "two-nodes",
    title,
    rows: [
      row("one node: send→receive p99", "ms", parley.oneNode.sendToReceive.p99, baseline.oneNode.sendToReceive.p99),
      row("two nodes: send→receive p50", "ms", parley.twoNodes.sendToReceive.p50, baseline.twoNodes.sendToReceive.p50),
      row("two nodes: send→receive p99", "ms", parley.twoNodes.sendToReceive.p99, baseline.twoNodes.sendToReceive.p99),
      row("added p99 (two nodes − one node)", "ms", parley.addedP99Ms, baseline.addedP99Ms, { withRatio: false }),
      row("two nodes: achieved rate", "msg/s", parley.twoNodes.achievedRate, baseline.twoNodes.achievedRate),
      row("two nodes: delivered", "%", parley.twoNodes.deliveredRatio * 100, baseline.twoNodes.deliveredRatio * 100),
    ],
    parley: sideReport(parley, describeRun),
    baseline: sideReport(baseline, describeRun),
    goals: [addedP99Goal(partial.parley, twoNodeRate)],
    warnings,
    notes,
    curves: [
      { label: "2 nodes: Parley", points: percentileCurve(parley.twoNodes.samples) },
      { label: "2 nodes: baseline", points: percentileCurve(baseline.twoNodes.samples) },
    ],
  };
}
