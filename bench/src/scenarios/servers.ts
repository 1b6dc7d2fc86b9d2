import { randomUUID } from "node:crypto";

import { startBaselineServer, startParleyNode, type ServerProcess } from "../processes";
import { baselineProtocol } from "../protocol/baseline";
import { parleyProtocol } from "../protocol/parley";
import type { ChatProtocol } from "../protocol/types";
import type { BenchContext } from "./context";
import type { System } from "./result";

export const protocols: Record<System, ChatProtocol> = { parley: parleyProtocol, baseline: baselineProtocol };

/** `nodes` processes of one system; with more than one, they share Redis (which the caller checked for). */
export async function startServers(context: BenchContext, system: System, nodes: number): Promise<ServerProcess[]> {
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

export async function stopServers(servers: ServerProcess[]): Promise<void> {
  await Promise.all(servers.map((server) => server.stop()));
}
