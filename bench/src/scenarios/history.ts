import { performance } from "node:perf_hooks";

import { watchEventLoopLag } from "../event-loop-lag";
import type { ServerProcess } from "../processes";
import { reportProgress } from "../progress";
import type { SeededUser } from "../seed";
import { summarize, type LatencySummary } from "../statistics";
import { loadGeneratorWarnings } from "../warnings";
import type { BenchContext } from "./context";
import { complete, judgeGoal, notMeasured, row, sideReport, systemNames, type ScenarioResult, type System } from "./result";
import { protocols, startServers, stopServers } from "./servers";

type HistoryRun = LatencySummary & { loadGeneratorLagP99Ms: number };

/** The absolute goal is set for a conversation of this many messages. */
const absoluteGoalRows = 10_000_000;
const absoluteGoalMs = 10;
const warmUpPages = 100;

export async function historyScenario(context: BenchContext): Promise<ScenarioResult> {
  const { historyRows, historyQueries } = context.options;
  const users = await context.seeder.users(2);
  const [group] = await context.seeder.groups(users, 2);
  if (!group) throw new Error("history: no group");
  context.log(`history: seeding ${historyRows.toLocaleString("en")} messages in one conversation`);
  const seedStartedAt = performance.now();
  await context.seeder.history(group, historyRows);
  const seedSeconds = Math.round((performance.now() - seedStartedAt) / 100) / 10;
  const reader = group.members[1] as SeededUser;
  const partial: Partial<Record<System, HistoryRun>> = {};
  for (const system of context.options.systems) {
    context.log(`history: ${system}, ${historyQueries} pages of 50`);
    const servers = await startServers(context, system, 1);
    const serverUrl = (servers[0] as ServerProcess).url;
    try {
      const protocol = protocols[system];
      const page = async (index: number) => {
        // One in ten is the newest page; the rest start anywhere in the conversation.
        const beforeSeq = index % 10 === 0 ? undefined : 51 + Math.floor(Math.random() * (historyRows - 50));
        const count = await protocol.history(serverUrl, reader.token, { conversationId: group.conversationId, beforeSeq, limit: 50 });
        if (count !== 50) throw new Error(`history: a page had ${count} messages`);
      };
      for (let index = 0; index < Math.min(warmUpPages, historyQueries); index += 1) await page(index);
      const samples: number[] = [];
      const lag = watchEventLoopLag();
      const stopProgress = reportProgress(
        context.log,
        (elapsedSeconds) => `history: ${system}: ${elapsedSeconds} s, ${samples.length} of ${historyQueries} pages read`,
      );
      try {
        for (let index = 0; index < historyQueries; index += 1) {
          const startedAt = performance.now();
          await page(index);
          samples.push(performance.now() - startedAt);
        }
      } finally {
        stopProgress();
      }
      partial[system] = { ...summarize(samples), loadGeneratorLagP99Ms: lag.stop() };
    } finally {
      await stopServers(servers);
    }
  }
  const { parley, baseline } = complete(partial);
  const absoluteGoal = `page of 50 p99 ≤ ${absoluteGoalMs} ms in a conversation of ${absoluteGoalRows.toLocaleString("en")} messages`;
  return {
    id: "history",
    title: `History: a page of 50 from a conversation of ${historyRows.toLocaleString("en")} messages (${historyQueries} pages)`,
    rows: [row("page p50", "ms", parley.p50, baseline.p50), row("page p99", "ms", parley.p99, baseline.p99)],
    parley: sideReport(parley, (value) => value),
    baseline: sideReport(baseline, (value) => value),
    goals: [
      judgeGoal("page of 50 p99 ≤ 1.5× the baseline's", { Parley: parley.p99, "the baseline": baseline.p99 }, parley.p99 <= 1.5 * baseline.p99),
      historyRows >= absoluteGoalRows
        ? judgeGoal(absoluteGoal, { Parley: parley.p99 }, parley.p99 <= absoluteGoalMs)
        : notMeasured(absoluteGoal, `this run seeded ${historyRows.toLocaleString("en")}: use --history-rows ${absoluteGoalRows}`),
    ],
    warnings: Object.entries(partial).flatMap(([system, result]) => loadGeneratorWarnings(`${systemNames[system as System]} run`, result)),
    notes: [`seeded in ${seedSeconds} s; one request at a time over loopback`],
  };
}
