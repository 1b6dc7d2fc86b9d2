import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";

import type { BenchDatabase } from "./environment";
import {
  closeClients,
  connectClients,
  DeliveryTracker,
  runOpenLoop,
  warmUp,
  type OpenLoopResult,
  type Sender,
} from "./load";
import type { BenchOptions } from "./options";
import { startBaselineServer, startParleyNode, type ServerProcess } from "./processes";
import { baselineProtocol } from "./protocol/baseline";
import { parleyProtocol } from "./protocol/parley";
import type { ChatProtocol } from "./protocol/types";
import type { SeededGroup, SeededUser, Seeder } from "./seed";
import { percentileCurve, summarize, type LatencySummary } from "./statistics";

export interface BenchContext {
  options: BenchOptions;
  database: BenchDatabase;
  redisUrl: string | null;
  seeder: Seeder;
  openFileLimit: number;
  log: (message: string) => void;
}

export interface Goal {
  description: string;
  met: boolean;
}

export interface ScenarioResult {
  id: string;
  title: string;
  skipped?: string;
  /** Headline figures, each with Parley's value, the baseline's and Parley ÷ baseline. */
  rows: { metric: string; unit: string; parley: number; baseline: number; ratio: number }[];
  parley: unknown;
  baseline: unknown;
  goals: Goal[];
  notes: string[];
  /** Latency by percentile, for the chart. */
  curves?: { label: string; points: { percentile: number; ms: number }[] }[];
}

type System = "parley" | "baseline";
const protocols: Record<System, ChatProtocol> = { parley: parleyProtocol, baseline: baselineProtocol };

/** Stands in for the side that was not run (--only): every figure in it reads as NaN. */
function notRun<T>(): T {
  const handler: ProxyHandler<object> = {
    get: (_, key) => (key === Symbol.toPrimitive ? () => Number.NaN : key === "toJSON" ? () => null : proxy),
  };
  const proxy: object = new Proxy({}, handler);
  return proxy as T;
}

/** Fills in the side `--only` left out. */
function complete<T>(results: Partial<Record<System, T>>): Record<System, T> {
  return { parley: results.parley ?? notRun<T>(), baseline: results.baseline ?? notRun<T>() };
}

function ratio(parley: number, baseline: number): number {
  return baseline === 0 || !Number.isFinite(baseline) ? Number.NaN : Math.round((parley / baseline) * 100) / 100;
}

function row(metric: string, unit: string, parley: number, baseline: number) {
  return { metric, unit, parley: Number(parley), baseline: Number(baseline), ratio: ratio(Number(parley), Number(baseline)) };
}

async function startServers(
  context: BenchContext,
  system: System,
  nodes: number,
): Promise<ServerProcess[]> {
  const channel = `parley-bench-baseline:${randomUUID()}`;
  const redisUrl = nodes > 1 ? (context.redisUrl ?? undefined) : undefined;
  const servers: ServerProcess[] = [];
  // One at a time: PGlite and first-run migrations do not like company.
  for (let index = 0; index < nodes; index += 1) {
    servers.push(
      system === "parley"
        ? await startParleyNode({ database: context.database.location, redisUrl })
        : await startBaselineServer({ database: context.database.location, redisUrl, channel }),
    );
  }
  return servers;
}

async function stopServers(servers: ServerProcess[]): Promise<void> {
  await Promise.all(servers.map((server) => server.stop()));
}

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
async function connectGroups(context: BenchContext, system: System, servers: ServerProcess[], groups: SeededGroup[]) {
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

async function chatLoad(
  context: BenchContext,
  system: System,
  groups: SeededGroup[],
  nodes: number,
): Promise<OpenLoopResult> {
  const servers = await startServers(context, system, nodes);
  try {
    const { protocol, tracker, senders, clients } = await connectGroups(context, system, servers, groups);
    const result = await runOpenLoop({
      protocol,
      senders,
      tracker,
      ratePerSecond: context.options.rate,
      durationMs: context.options.durationSeconds * 1_000,
    });
    closeClients(clients);
    return result;
  } finally {
    await stopServers(servers);
  }
}

function describeLoad(result: OpenLoopResult) {
  const { samples: _samples, ...rest } = result;
  return rest;
}

function latencyRows(parley: OpenLoopResult, baseline: OpenLoopResult) {
  return [
    row("send→receive p50", "ms", parley.sendToReceive.p50, baseline.sendToReceive.p50),
    row("send→receive p95", "ms", parley.sendToReceive.p95, baseline.sendToReceive.p95),
    row("send→receive p99", "ms", parley.sendToReceive.p99, baseline.sendToReceive.p99),
    row("ack p50", "ms", parley.ack.p50, baseline.ack.p50),
    row("ack p99", "ms", parley.ack.p99, baseline.ack.p99),
    row("achieved rate", "msg/s", parley.achievedRate, baseline.achievedRate),
    row("delivered", "%", parley.deliveredRatio * 100, baseline.deliveredRatio * 100),
    row("not sent: 1,000 already waiting", "sends", parley.skipped, baseline.skipped),
  ];
}

/** Memo of the one-node Parley run, which the two-node scenario compares against. */
let oneNodeParley: OpenLoopResult | null = null;

export async function latencyScenario(context: BenchContext): Promise<ScenarioResult> {
  const { clients, groupSize, rate, durationSeconds } = context.options;
  const users = await context.seeder.users(clients);
  const groups = await context.seeder.groups(users, groupSize);
  const partial: Partial<Record<System, OpenLoopResult>> = {};
  for (const system of context.options.systems) {
    context.log(`latency: ${system}, ${clients} clients in groups of ${groupSize}, ${rate} msg/s for ${durationSeconds} s`);
    partial[system] = await chatLoad(context, system, groups, 1);
  }
  const results = complete(partial);
  oneNodeParley = results.parley;
  return {
    id: "latency",
    title: `Latency under load: ${clients} clients in groups of ${groupSize}, ${rate} msg/s for ${durationSeconds} s`,
    rows: latencyRows(results.parley, results.baseline),
    parley: describeLoad(results.parley),
    baseline: describeLoad(results.baseline),
    goals: [
      { description: "p99 send→receive ≤ 25 ms", met: results.parley.sendToReceive.p99 <= 25 },
      {
        description: "p99 send→receive within 1.5× of the baseline",
        met: results.parley.sendToReceive.p99 <= 1.5 * results.baseline.sendToReceive.p99,
      },
    ],
    notes: [
      `load generator lag p99: Parley run ${results.parley.loadGeneratorLagP99Ms} ms, baseline run ${results.baseline.loadGeneratorLagP99Ms} ms`,
    ],
    curves: [
      { label: "1 node: Parley", points: percentileCurve(results.parley.samples) },
      { label: "1 node: baseline", points: percentileCurve(results.baseline.samples) },
    ],
  };
}

interface ThroughputStep {
  rate: number;
  achievedRate: number;
  p99: number;
  deliveredRatio: number;
  failed: number;
  passed: boolean;
}

export async function throughputScenario(context: BenchContext): Promise<ScenarioResult> {
  const { clients, groupSize, throughputSteps, throughputStepSeconds } = context.options;
  const users = await context.seeder.users(clients);
  const groups = await context.seeder.groups(users, groupSize);
  const partial: Partial<Record<System, { best: number; steps: ThroughputStep[] }>> = {};
  for (const system of context.options.systems) {
    const servers = await startServers(context, system, 1);
    const steps: ThroughputStep[] = [];
    let best = 0;
    try {
      const { protocol, tracker, senders, clients: connected } = await connectGroups(context, system, servers, groups);
      for (const rate of throughputSteps) {
        const result = await runOpenLoop({
          protocol,
          senders,
          tracker,
          ratePerSecond: rate,
          durationMs: throughputStepSeconds * 1_000,
          drainMs: 3_000,
        });
        const passed =
          result.sendToReceive.p99 <= 100 &&
          result.failed === 0 &&
          result.skipped === 0 &&
          result.deliveredRatio >= 0.999 &&
          result.achievedRate >= rate * 0.95;
        steps.push({
          rate,
          achievedRate: result.achievedRate,
          p99: result.sendToReceive.p99,
          deliveredRatio: result.deliveredRatio,
          failed: result.failed,
          passed,
        });
        context.log(
          `throughput: ${system} ${rate} msg/s → acked ${result.achievedRate}/s, p99 ${result.sendToReceive.p99} ms, ` +
            `delivered ${(result.deliveredRatio * 100).toFixed(2)}% ${passed ? "ok" : "over the limit"}`,
        );
        if (!passed) break;
        best = result.achievedRate;
        // Let the backlog of the step settle before the next one.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      closeClients(connected);
    } finally {
      await stopServers(servers);
    }
    partial[system] = { best, steps };
  }
  const results = complete(partial);
  return {
    id: "throughput",
    title: `Throughput: highest durable send rate with p99 send→receive < 100 ms (${throughputStepSeconds} s steps)`,
    rows: [row("sustained rate", "msg/s", results.parley.best, results.baseline.best)],
    parley: results.parley,
    baseline: results.baseline,
    goals: [
      { description: "throughput ≥ 0.6× the baseline", met: results.parley.best >= 0.6 * results.baseline.best },
    ],
    notes: [`steps tried: ${throughputSteps.join(", ")} msg/s; a step passes with p99 ≤ 100 ms, no errors, ≥ 99.9% delivered, ≥ 95% of the rate acknowledged`],
  };
}

export async function fanOutScenario(context: BenchContext): Promise<ScenarioResult> {
  const { fanOutMembers, fanOutMessages } = context.options;
  const users = await context.seeder.users(fanOutMembers);
  const [group] = await context.seeder.groups(users, fanOutMembers);
  if (!group) throw new Error("fan-out: no group");
  const partial: Partial<Record<System, { lastMember: LatencySummary; ack: LatencySummary; samples: number[] }>> = {};
  for (const system of context.options.systems) {
    context.log(`fan-out: ${system}, one message at a time to ${fanOutMembers} members, ${fanOutMessages} messages`);
    const servers = await startServers(context, system, 1);
    try {
      const { protocol, tracker, clients } = await connectGroups(context, system, servers, [group]);
      const sender = group.members[0] as SeededUser;
      const serverUrl = (servers[0] as ServerProcess).url;
      const lastMember: number[] = [];
      const acks: number[] = [];
      for (let index = 0; index < fanOutMessages; index += 1) {
        const clientId = randomUUID();
        const sentAt = performance.now();
        const complete = new Promise<number>((resolve, reject) => {
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
        lastMember.push(await complete);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      closeClients(clients);
      partial[system] = { lastMember: summarize(lastMember), ack: summarize(acks), samples: lastMember };
    } finally {
      await stopServers(servers);
    }
  }
  const results = complete(partial);
  const strip = (value: (typeof results)[System]) => ({ lastMember: value.lastMember, ack: value.ack });
  return {
    id: "fan-out",
    title: `Fan-out: one message to a ${fanOutMembers}-member group, time until the last member has it (${fanOutMessages} messages)`,
    rows: [
      row("last member p50", "ms", results.parley.lastMember.p50, results.baseline.lastMember.p50),
      row("last member p99", "ms", results.parley.lastMember.p99, results.baseline.lastMember.p99),
      row("ack p50", "ms", results.parley.ack.p50, results.baseline.ack.p50),
    ],
    parley: strip(results.parley),
    baseline: strip(results.baseline),
    goals: [{ description: "last member p99 ≤ 50 ms", met: results.parley.lastMember.p99 <= 50 }],
    notes: [`with ${fanOutMessages} samples, p99 is the second-highest value`],
    curves: [
      { label: `fan-out ${fanOutMembers}: Parley`, points: percentileCurve(results.parley.samples) },
      { label: `fan-out ${fanOutMembers}: baseline`, points: percentileCurve(results.baseline.samples) },
    ],
  };
}

export async function connectionsScenario(context: BenchContext): Promise<ScenarioResult> {
  const notes: string[] = [];
  // Each socket is a file descriptor in both processes; keep room for the database pool and the rest.
  const allowed = Math.max(100, context.openFileLimit - 1_000);
  const count = Math.min(context.options.connections, allowed);
  if (count < context.options.connections) {
    notes.push(`scaled down from ${context.options.connections} to ${count} connections: open file limit is ${context.openFileLimit}`);
  }
  const users = await context.seeder.users(count);
  // Everyone belongs to a group of 20, so each subscription has a real audience to load.
  await context.seeder.groups(users, 20);
  const partial: Partial<
    Record<
      System,
      {
        connections: number;
        connectsPerSecond: number;
        rssPerConnectionKiB: number;
        heapPerConnectionKiB: number;
        externalPerConnectionKiB: number;
        rssBeforeMiB: number;
        rssAfterMiB: number;
      }
    >
  > = {};
  for (const system of context.options.systems) {
    context.log(`connections: ${system}, ${count} authenticated WebSockets with a live subscription`);
    const servers = await startServers(context, system, 1);
    const server = servers[0] as ServerProcess;
    try {
      const protocol = protocols[system];
      // Warm the code paths once, so the figures are about connections, not first use.
      const warm = await connectClients({ protocol, users: users.slice(0, 50).map((user) => ({ user, serverUrl: server.url })) });
      closeClients(warm);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const before = await server.stats();
      const startedAt = performance.now();
      const clients = await connectClients({
        protocol,
        users: users.map((user) => ({ user, serverUrl: server.url })),
        concurrency: 100,
      });
      const elapsedMs = performance.now() - startedAt;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const after = await server.stats();
      if (after.webSocketConnections < count) notes.push(`${system}: only ${after.webSocketConnections} of ${count} sockets open at measurement`);
      closeClients(clients);
      const perConnectionKiB = (bytes: number) => Math.round((bytes / count / 1_024) * 100) / 100;
      partial[system] = {
        connections: count,
        connectsPerSecond: Math.round((count / elapsedMs) * 1_000),
        rssPerConnectionKiB: perConnectionKiB(after.rssBytes - before.rssBytes),
        heapPerConnectionKiB: perConnectionKiB(after.heapUsedBytes - before.heapUsedBytes),
        externalPerConnectionKiB: perConnectionKiB(
          after.externalBytes + after.arrayBuffersBytes - before.externalBytes - before.arrayBuffersBytes,
        ),
        rssBeforeMiB: Math.round(before.rssBytes / 2 ** 20),
        rssAfterMiB: Math.round(after.rssBytes / 2 ** 20),
      };
    } finally {
      await stopServers(servers);
    }
  }
  const results = complete(partial);
  return {
    id: "connections",
    title: `Connections: ${count} authenticated WebSockets, each with a live subscription`,
    rows: [
      row("RSS per connection", "KiB", results.parley.rssPerConnectionKiB, results.baseline.rssPerConnectionKiB),
      row("heap per connection", "KiB", results.parley.heapPerConnectionKiB, results.baseline.heapPerConnectionKiB),
      row("connects per second", "conn/s", results.parley.connectsPerSecond, results.baseline.connectsPerSecond),
    ],
    parley: results.parley,
    baseline: results.baseline,
    goals: [
      { description: `${context.options.connections} connections`, met: count >= context.options.connections },
      { description: "≤ 16 KiB RSS per connection", met: results.parley.rssPerConnectionKiB <= 16 },
    ],
    notes: [...notes, "memory measured in the server process after a forced GC, before and after connecting"],
  };
}

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
  const partial: Partial<Record<System, LatencySummary>> = {};
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
      for (let index = 0; index < 100; index += 1) await page(index);
      const samples: number[] = [];
      for (let index = 0; index < historyQueries; index += 1) {
        const startedAt = performance.now();
        await page(index);
        samples.push(performance.now() - startedAt);
      }
      partial[system] = summarize(samples);
    } finally {
      await stopServers(servers);
    }
  }
  const results = complete(partial);
  const goals: Goal[] = [{ description: "page of 50 p99 ≤ 10 ms", met: results.parley.p99 <= 10 }];
  const notes = [`seeded in ${seedSeconds} s; one request at a time over loopback`];
  if (historyRows < 10_000_000) {
    notes.push(`${historyRows.toLocaleString("en")} rows, not the 10M of the goal: run with --history-rows 10000000`);
  }
  return {
    id: "history",
    title: `History: a page of 50 from a conversation of ${historyRows.toLocaleString("en")} messages (${historyQueries} pages)`,
    rows: [row("page p50", "ms", results.parley.p50, results.baseline.p50), row("page p99", "ms", results.parley.p99, results.baseline.p99)],
    parley: results.parley,
    baseline: results.baseline,
    goals,
    notes,
  };
}

export async function twoNodesScenario(context: BenchContext): Promise<ScenarioResult> {
  const { clients, groupSize, rate, durationSeconds } = context.options;
  const title = `Two nodes over Redis: ${clients} clients split across two processes, ${rate} msg/s for ${durationSeconds} s`;
  if (!context.redisUrl) {
    return { id: "two-nodes", title, skipped: "no Redis (set REDIS_URL or run one on 127.0.0.1:6379)", rows: [], parley: null, baseline: null, goals: [], notes: [] };
  }
  if (context.database.location.kind === "pglite") {
    return { id: "two-nodes", title, skipped: "PGlite cannot be shared by two processes (set DATABASE_URL or run Postgres on 127.0.0.1:5432)", rows: [], parley: null, baseline: null, goals: [], notes: [] };
  }
  const users = await context.seeder.users(clients);
  const groups = await context.seeder.groups(users, groupSize);
  const partial: Partial<Record<System, OpenLoopResult>> = {};
  for (const system of context.options.systems) {
    context.log(`two nodes: ${system}, members of every group alternate between the nodes`);
    partial[system] = await chatLoad(context, system, groups, 2);
  }
  const results = complete(partial);
  const rows = latencyRows(results.parley, results.baseline);
  const notes: string[] = [
    `load generator lag p99: Parley run ${results.parley.loadGeneratorLagP99Ms} ms, baseline run ${results.baseline.loadGeneratorLagP99Ms} ms`,
  ];
  if (oneNodeParley) {
    const added = Math.round((results.parley.sendToReceive.p99 - oneNodeParley.sendToReceive.p99) * 100) / 100;
    notes.unshift(`Parley's p99 with two nodes minus one node: ${added} ms (${oneNodeParley.sendToReceive.p99} → ${results.parley.sendToReceive.p99} ms)`);
  }
  return {
    id: "two-nodes",
    title,
    rows,
    parley: { ...describeLoad(results.parley), oneNodeP99: oneNodeParley?.sendToReceive.p99 ?? null },
    baseline: describeLoad(results.baseline),
    goals: [
      { description: "every message delivered across nodes", met: results.parley.deliveredRatio === 1 },
    ],
    notes,
    curves: [
      { label: "2 nodes: Parley", points: percentileCurve(results.parley.samples) },
      { label: "2 nodes: baseline", points: percentileCurve(results.baseline.samples) },
    ],
  };
}

export const scenarios = {
  latency: latencyScenario,
  throughput: throughputScenario,
  "fan-out": fanOutScenario,
  connections: connectionsScenario,
  "two-nodes": twoNodesScenario,
  history: historyScenario,
} satisfies Record<string, (context: BenchContext) => Promise<ScenarioResult>>;

export type ScenarioId = keyof typeof scenarios;
