import { percentileCurve } from "../statistics";
import { chatLoad, describeLoad, latencyRows, runWarnings, serverCostRows, type MeasuredLoad } from "./chat-load";
import type { BenchContext } from "./context";
import { complete, judgeGoal, sideReport, systemNames, type ScenarioResult, type System } from "./result";

const serverCpuPerSendGoalMicros = 1_000;

export async function latencyScenario(context: BenchContext): Promise<ScenarioResult> {
  const { clients, groupSize, rate, durationSeconds } = context.options;
  const users = await context.seeder.users(clients);
  const groups = await context.seeder.groups(users, groupSize);
  const partial: Partial<Record<System, MeasuredLoad>> = {};
  for (const system of context.options.systems) {
    context.log(`latency: ${system}, ${clients} clients in groups of ${groupSize}, ${rate} msg/s for ${durationSeconds} s`);
    partial[system] = await chatLoad(context, {
      system,
      groups,
      nodes: 1,
      ratePerSecond: rate,
      durationSeconds,
      label: `latency: ${system}`,
    });
  }
  const { parley, baseline } = complete(partial);
  const notes = [
    `load generator lag p99: ${Object.entries(partial)
      .map(([system, result]) => `${systemNames[system as System]} run ${result.loadGeneratorLagP99Ms} ms`)
      .join(", ")}`,
  ];
  if (context.database.location.kind === "pglite") {
    notes.push("on PGlite the database engine runs inside each server process, so its work is part of the server CPU");
  }
  return {
    id: "latency",
    title: `Latency under load: ${clients} clients in groups of ${groupSize}, ${rate} msg/s for ${durationSeconds} s`,
    rows: [...latencyRows(parley, baseline), ...serverCostRows(parley.serverCost, baseline.serverCost)],
    parley: sideReport(parley, describeLoad),
    baseline: sideReport(baseline, describeLoad),
    goals: [
      judgeGoal("p99 send→receive ≤ 25 ms", { Parley: parley.sendToReceive.p99 }, parley.sendToReceive.p99 <= 25),
      judgeGoal(
        "p99 send→receive ≤ 1.5× the baseline's",
        { Parley: parley.sendToReceive.p99, "the baseline": baseline.sendToReceive.p99 },
        parley.sendToReceive.p99 <= 1.5 * baseline.sendToReceive.p99,
      ),
      judgeGoal(
        `server CPU per send ≤ ${serverCpuPerSendGoalMicros.toLocaleString("en")} µs`,
        { Parley: parley.serverCost.cpuMicrosPerSend },
        parley.serverCost.cpuMicrosPerSend <= serverCpuPerSendGoalMicros,
      ),
    ],
    warnings: Object.entries(partial).flatMap(([system, result]) => runWarnings(`${systemNames[system as System]} run`, result)),
    notes,
    curves: [
      { label: "1 node: Parley", points: percentileCurve(parley.samples) },
      { label: "1 node: baseline", points: percentileCurve(baseline.samples) },
    ],
  };
}
