import { closeClients, connectClients, DeliveryTracker, runOpenLoop, warmUp, type OpenLoopResult, type Sender } from "../load";
import type { ServerProcess } from "../processes";
import type { ChatProtocol } from "../protocol/types";
import type { SeededGroup, SeededUser } from "../seed";
import { openCostWindow, type ServerCost } from "../server-cost";
import { failedSendsWarning, loadGeneratorWarnings } from "../warnings";
import type { BenchContext } from "./context";
import { row, type ResultRow, type System } from "./result";
import { protocols, startServers, stopServers } from "./servers";

/*
 * The chat load shared by the latency, throughput and two-node scenarios: groups whose members
 * all hold a live subscription, sending at a fixed rate while the servers' cost is metered.
 */

/** An open-loop run and what it cost the servers. */
export type MeasuredLoad = OpenLoopResult & { serverCost: ServerCost };

function sendersFor(groups: SeededGroup[], serverUrlOf: (user: SeededUser, index: number) => string): Sender[] {
  const senders: Sender[] = [];
  let index = 0;
  for (const group of groups) {
    for (const member of group.members) {
      senders.push({
        user: member,
        serverUrl: serverUrlOf(member, index++),
        conversationId: group.conversationId,
        receivers: group.members.length - 1,
      });
    }
  }
  return senders;
}

/** Connects every group member to a node (round robin over `servers`) and warms every group up. */
export async function connectGroups(system: System, servers: ServerProcess[], groups: SeededGroup[]) {
  const protocol = protocols[system];
  const tracker = new DeliveryTracker();
  const senders = sendersFor(groups, (_, index) => (servers[index % servers.length] as ServerProcess).url);
  const clients = await connectClients({
    protocol,
    users: senders.map((sender) => ({ user: sender.user, serverUrl: sender.serverUrl })),
    tracker,
  });
  // One sender per group for the warm-up.
  const groupOwners = senders.filter((_, index) => index % (groups[0]?.members.length ?? 1) === 0);
  await warmUp(protocol, groupOwners, tracker);
  return { protocol, tracker, senders, clients };
}

/** One open-loop run on connected groups, with the servers' CPU and statements read around it. */
export async function runMeasuredLoad(
  context: BenchContext,
  options: {
    label: string;
    servers: ServerProcess[];
    protocol: ChatProtocol;
    senders: Sender[];
    tracker: DeliveryTracker;
    ratePerSecond: number;
    durationMs: number;
    drainMs?: number;
  },
): Promise<MeasuredLoad> {
  const closeCostWindow = await openCostWindow(options.servers);
  const result = await runOpenLoop({ ...options, progress: { log: context.log, label: options.label } });
  const serverCost = await closeCostWindow(result.acknowledged);
  return { ...result, serverCost };
}

/** Starts `nodes` servers, connects the groups, runs the load once and stops the servers. */
export async function chatLoad(
  context: BenchContext,
  options: { system: System; groups: SeededGroup[]; nodes: number; ratePerSecond: number; durationSeconds: number; label: string },
): Promise<MeasuredLoad> {
  const servers = await startServers(context, options.system, options.nodes);
  try {
    const { protocol, tracker, senders, clients } = await connectGroups(options.system, servers, options.groups);
    const result = await runMeasuredLoad(context, {
      label: options.label,
      servers,
      protocol,
      senders,
      tracker,
      ratePerSecond: options.ratePerSecond,
      durationMs: options.durationSeconds * 1_000,
    });
    closeClients(clients);
    return result;
  } finally {
    await stopServers(servers);
  }
}

/** The run's figures for the JSON report, without the raw samples. */
export function describeLoad(result: MeasuredLoad): Omit<MeasuredLoad, "samples"> {
  const { samples: _samples, ...rest } = result;
  return rest;
}

export function latencyRows(parley: OpenLoopResult, baseline: OpenLoopResult): ResultRow[] {
  return [
    row("send→receive p50", "ms", parley.sendToReceive.p50, baseline.sendToReceive.p50),
    row("send→receive p95", "ms", parley.sendToReceive.p95, baseline.sendToReceive.p95),
    row("send→receive p99", "ms", parley.sendToReceive.p99, baseline.sendToReceive.p99),
    row("ack p50", "ms", parley.ack.p50, baseline.ack.p50),
    row("ack p99", "ms", parley.ack.p99, baseline.ack.p99),
    row("achieved rate", "msg/s", parley.achievedRate, baseline.achievedRate),
    row("delivered", "%", parley.deliveredRatio * 100, baseline.deliveredRatio * 100),
    row("not sent: 1,000 already waiting", "sends", parley.skipped, baseline.skipped, { withRatio: false }),
  ];
}

type CostPerSend = Pick<ServerCost, "cpuMicrosPerSend" | "statementsPerSend">;

export function serverCostRows(parley: CostPerSend, baseline: CostPerSend, qualifier = ""): ResultRow[] {
  return [
    row(`server CPU per send${qualifier}`, "µs", parley.cpuMicrosPerSend, baseline.cpuMicrosPerSend),
    row(`database statements per send${qualifier}`, "", parley.statementsPerSend, baseline.statementsPerSend),
  ];
}

/** What a run must show for its rate to count as sustained (the throughput steps and the two-node runs). */
export const sustainedMeans = "p99 send→receive ≤ 100 ms, no failed or unsent sends, ≥ 99.9% delivered, ≥ 95% of the rate acknowledged";

export function sustains(result: OpenLoopResult): boolean {
  return (
    result.sendToReceive.p99 <= 100 &&
    result.failed === 0 &&
    result.skipped === 0 &&
    result.deliveredRatio >= 0.999 &&
    result.achievedRate >= result.targetRate * 0.95
  );
}

/** Warnings about one run: the load generator falling behind, and sends that failed. */
export function runWarnings(run: string, result: OpenLoopResult): string[] {
  return [...loadGeneratorWarnings(run, result), ...failedSendsWarning(run, result)];
}
