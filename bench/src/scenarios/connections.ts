import { performance } from "node:perf_hooks";

import { watchEventLoopLag } from "../event-loop-lag";
import { closeClients, connectClients } from "../load";
import type { ServerProcess, ServerStats } from "../processes";
import { loadGeneratorWarnings } from "../warnings";
import type { BenchContext } from "./context";
import { complete, judgeGoal, row, sideReport, systemNames, type ScenarioResult, type System } from "./result";
import { protocols, startServers, stopServers } from "./servers";

interface ConnectionsRun {
  /** Sockets the server held at measurement, beyond those it held before. */
  connections: number;
  connectsPerSecond: number;
  /** NaN when the server did not grow (too few connections to see past the allocator's noise). */
  rssPerConnectionKiB: number;
  heapPerConnectionKiB: number;
  externalPerConnectionKiB: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  loadGeneratorLagP99Ms: number;
}

const rssGoalKiB = 12;
const settleSampleMs = 2_000;
const settleMaxMs = 30_000;

/**
 * The server's memory once the connect burst has settled: right after it, RSS still holds the
 * pages the allocator kept from the burst (tens of MB for either server), which it returns over
 * the next seconds. What stays is what the idle connections cost.
 */
async function settledStats(server: ServerProcess): Promise<ServerStats> {
  const startedAt = performance.now();
  await new Promise((resolve) => setTimeout(resolve, settleSampleMs));
  let latest = await server.stats();
  while (performance.now() - startedAt < settleMaxMs) {
    await new Promise((resolve) => setTimeout(resolve, settleSampleMs));
    const next = await server.stats();
    const settled = next.rssBytes > latest.rssBytes * 0.99;
    latest = next;
    if (settled) break;
  }
  return latest;
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
  await context.seeder.groups(users, Math.min(20, count));
  const partial: Partial<Record<System, ConnectionsRun>> = {};
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
      const lag = watchEventLoopLag();
      const startedAt = performance.now();
      const clients = await connectClients({
        protocol,
        users: users.map((user) => ({ user, serverUrl: server.url })),
        concurrency: 100,
        progress: { log: context.log, label: `connections: ${system}` },
      });
      const elapsedMs = performance.now() - startedAt;
      const loadGeneratorLagP99Ms = lag.stop();
      const after = await settledStats(server);
      const opened = after.webSocketConnections - before.webSocketConnections;
      if (opened < count) notes.push(`${systemNames[system]}: only ${opened} of ${count} sockets open at measurement`);
      closeClients(clients);
      const perConnectionKiB = (bytes: number) =>
        opened > 0 && bytes > 0 ? Math.round((bytes / opened / 1_024) * 100) / 100 : Number.NaN;
      const rssGrowth = after.rssBytes - before.rssBytes;
      if (!(rssGrowth > 0)) notes.push(`${systemNames[system]}: RSS did not grow (${rssGrowth} bytes), so no per-connection figure`);
      partial[system] = {
        connections: opened,
        connectsPerSecond: Math.round((count / elapsedMs) * 1_000),
        rssPerConnectionKiB: perConnectionKiB(rssGrowth),
        heapPerConnectionKiB: perConnectionKiB(after.heapUsedBytes - before.heapUsedBytes),
        externalPerConnectionKiB: perConnectionKiB(
          after.externalBytes + after.arrayBuffersBytes - before.externalBytes - before.arrayBuffersBytes,
        ),
        rssBeforeMiB: Math.round(before.rssBytes / 2 ** 20),
        rssAfterMiB: Math.round(after.rssBytes / 2 ** 20),
        loadGeneratorLagP99Ms,
      };
    } finally {
      await stopServers(servers);
    }
  }
  const { parley, baseline } = complete(partial);
  return {
    id: "connections",
    title: `Connections: ${count} authenticated WebSockets, each with a live subscription`,
    rows: [
      row("RSS per connection", "KiB", parley.rssPerConnectionKiB, baseline.rssPerConnectionKiB),
      row("heap per connection", "KiB", parley.heapPerConnectionKiB, baseline.heapPerConnectionKiB),
      row("connects per second", "conn/s", parley.connectsPerSecond, baseline.connectsPerSecond),
    ],
    parley: sideReport(parley, (value) => value),
    baseline: sideReport(baseline, (value) => value),
    goals: [
      judgeGoal(
        `RSS per live subscription ≤ ${rssGoalKiB} KiB`,
        { Parley: parley.rssPerConnectionKiB },
        parley.rssPerConnectionKiB <= rssGoalKiB,
      ),
    ],
    warnings: Object.entries(partial).flatMap(([system, result]) => loadGeneratorWarnings(`${systemNames[system as System]} run`, result)),
    notes: [
      ...notes,
      `memory measured in the server process after a forced GC, before connecting and once the connect burst has settled (RSS sampled every ${settleSampleMs / 1_000} s until it falls by less than 1%, at most ${settleMaxMs / 1_000} s)`,
    ],
  };
}
