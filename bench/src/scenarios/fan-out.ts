import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";

import { watchEventLoopLag } from "../event-loop-lag";
import { closeClients } from "../load";
import type { ServerProcess } from "../processes";
import { reportProgress } from "../progress";
import type { SeededUser } from "../seed";
import { percentileCurve, summarize, type LatencySummary } from "../statistics";
import { loadGeneratorWarnings } from "../warnings";
import { connectGroups } from "./chat-load";
import type { BenchContext } from "./context";
import { complete, judgeGoal, row, sideReport, systemNames, type ScenarioResult, type System } from "./result";
import { startServers, stopServers } from "./servers";

interface FanOutRun {
  lastMember: LatencySummary;
  ack: LatencySummary;
  loadGeneratorLagP99Ms: number;
  samples: number[];
}

/** Which sample p99 is, by nearest rank as statistics.ts takes it: with few messages, the slowest. */
function p99RankNote(samples: number): string {
  const rank = Math.ceil(0.99 * samples);
  return rank >= samples
    ? `with ${samples} samples, p99 is the slowest of them`
    : `with ${samples} samples, p99 is value ${rank} of ${samples} from the fastest`;
}

export async function fanOutScenario(context: BenchContext): Promise<ScenarioResult> {
  const { fanOutMembers, fanOutMessages } = context.options;
  const users = await context.seeder.users(fanOutMembers);
  const [group] = await context.seeder.groups(users, fanOutMembers);
  if (!group) throw new Error("fan-out: no group");
  const partial: Partial<Record<System, FanOutRun>> = {};
  for (const system of context.options.systems) {
    context.log(`fan-out: ${system}, one message at a time to ${fanOutMembers} members, ${fanOutMessages} messages`);
    const servers = await startServers(context, system, 1);
    try {
      const { protocol, tracker, clients } = await connectGroups(system, servers, [group]);
      const sender = group.members[0] as SeededUser;
      const serverUrl = (servers[0] as ServerProcess).url;
      const lastMember: number[] = [];
      const acks: number[] = [];
      const lag = watchEventLoopLag();
      const stopProgress = reportProgress(
        context.log,
        (elapsedSeconds) => `fan-out: ${system}: ${elapsedSeconds} s, ${lastMember.length} of ${fanOutMessages} messages heard by every member`,
      );
      try {
        for (let index = 0; index < fanOutMessages; index += 1) {
          const clientId = randomUUID();
          const sentAt = performance.now();
          const everyoneHasIt = new Promise<number>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error("fan-out: a member never received the message")), 10_000);
            tracker.expect(clientId, {
              senderId: sender.id,
              sentAt,
              remaining: group.members.length - 1,
              onComplete: (ms) => {
                clearTimeout(timer);
                resolve(ms);
              },
            });
          });
          await protocol.send(serverUrl, sender.token, { conversationId: group.conversationId, clientId, body: `fan-out ${index}` });
          acks.push(performance.now() - sentAt);
          lastMember.push(await everyoneHasIt);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } finally {
        stopProgress();
      }
      const loadGeneratorLagP99Ms = lag.stop();
      closeClients(clients);
      partial[system] = { lastMember: summarize(lastMember), ack: summarize(acks), loadGeneratorLagP99Ms, samples: lastMember };
    } finally {
      await stopServers(servers);
    }
  }
  const { parley, baseline } = complete(partial);
  const withoutSamples = ({ samples: _samples, ...rest }: FanOutRun) => rest;
  return {
    id: "fan-out",
    title: `Fan-out: one message to a ${fanOutMembers}-member group, time until the last member has it (${fanOutMessages} messages)`,
    rows: [
      row("last member p50", "ms", parley.lastMember.p50, baseline.lastMember.p50),
      row("last member p99", "ms", parley.lastMember.p99, baseline.lastMember.p99),
      row("ack p50", "ms", parley.ack.p50, baseline.ack.p50),
    ],
    parley: sideReport(parley, withoutSamples),
    baseline: sideReport(baseline, withoutSamples),
    goals: [
      judgeGoal("last member p99 ≤ 50 ms", { Parley: parley.lastMember.p99 }, parley.lastMember.p99 <= 50),
      judgeGoal(
        "last member p99 ≤ 1.5× the baseline's",
        { Parley: parley.lastMember.p99, "the baseline": baseline.lastMember.p99 },
        parley.lastMember.p99 <= 1.5 * baseline.lastMember.p99,
      ),
    ],
    warnings: Object.entries(partial).flatMap(([system, result]) => loadGeneratorWarnings(`${systemNames[system as System]} run`, result)),
    notes: [p99RankNote(fanOutMessages)],
    curves: [
      { label: `fan-out ${fanOutMembers}: Parley`, points: percentileCurve(parley.samples) },
      { label: `fan-out ${fanOutMembers}: baseline`, points: percentileCurve(baseline.samples) },
    ],
  };
}
