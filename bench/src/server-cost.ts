import type { ServerProcess, ServerStats } from "./processes";

/** What the servers under test spent on a measured window, in their own processes. */
export interface ServerCost {
  acknowledgedSends: number;
  cpuUserMicros: number;
  cpuSystemMicros: number;
  databaseStatements: number;
  /** (user + system CPU) ÷ sends acknowledged in the window; NaN when none was. */
  cpuMicrosPerSend: number;
  /** Statements sent to the database ÷ sends acknowledged in the window; NaN when none was. */
  statementsPerSend: number;
}

/** NaN when a server did not count (a Parley node started without COUNT_DATABASE_STATEMENTS=1). */
function sum(stats: ServerStats[], field: "cpuUserMicros" | "cpuSystemMicros" | "databaseStatements"): number {
  return stats.reduce((total, entry) => total + (entry[field] ?? Number.NaN), 0);
}

function perSend(total: number, sends: number): number {
  return sends > 0 ? Math.round((total / sends) * 100) / 100 : Number.NaN;
}

/**
 * Reads every server's CPU time and statement count now; the function it resolves with reads them
 * again and divides the difference by the sends acknowledged in between.
 */
export async function openCostWindow(servers: ServerProcess[]): Promise<(acknowledgedSends: number) => Promise<ServerCost>> {
  const before = await Promise.all(servers.map((server) => server.stats()));
  return async (acknowledgedSends) => {
    const after = await Promise.all(servers.map((server) => server.stats()));
    const cpuUserMicros = sum(after, "cpuUserMicros") - sum(before, "cpuUserMicros");
    const cpuSystemMicros = sum(after, "cpuSystemMicros") - sum(before, "cpuSystemMicros");
    const databaseStatements = sum(after, "databaseStatements") - sum(before, "databaseStatements");
    return {
      acknowledgedSends,
      cpuUserMicros,
      cpuSystemMicros,
      databaseStatements,
      cpuMicrosPerSend: perSend(cpuUserMicros + cpuSystemMicros, acknowledgedSends),
      statementsPerSend: perSend(databaseStatements, acknowledgedSends),
    };
  };
}
