import type { ServerResponse } from "node:http";

export interface HealthProbes {
  /** Resolves when the database answers a trivial query. */
  pingDatabase: () => Promise<void>;
  /** True once shutdown has begun: load balancers should stop sending traffic. */
  isShuttingDown: () => boolean;
}

const databasePingTimeoutMs = 1_000;

function reply(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  response.end(JSON.stringify(body));
}

/** `/healthz`: the process is up and serving. */
export function serveLiveness(response: ServerResponse): void {
  reply(response, 200, { ok: true });
}

/** `/readyz`: the process can do useful work, i.e. the database answers. */
export async function serveReadiness(response: ServerResponse, probes: HealthProbes): Promise<void> {
  if (probes.isShuttingDown()) {
    reply(response, 503, { ok: false, reason: "shutting down" });
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probes.pingDatabase(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("database ping timed out")), databasePingTimeoutMs);
      }),
    ]);
    reply(response, 200, { ok: true });
  } catch {
    reply(response, 503, { ok: false, reason: "database unreachable" });
  } finally {
    clearTimeout(timer);
  }
}
