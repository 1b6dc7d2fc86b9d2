import { fork, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

import type { DatabaseLocation } from "./sql-client";

const require = createRequire(import.meta.url);
const parleyNodeEntry = require.resolve("@parley/api/node-server");
const baselineEntry = fileURLToPath(new URL("./baseline/server.ts", import.meta.url));
const benchRoot = fileURLToPath(new URL("..", import.meta.url));

export interface ServerStats {
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  webSocketConnections: number;
  /** The server process's `process.cpuUsage()` since it started. */
  cpuUserMicros: number;
  cpuSystemMicros: number;
  /** Statements the server has sent to the database since it started. */
  databaseStatements: number | null;
}

/** A server under test, in its own process so the load generator never shares its event loop. */
export interface ServerProcess {
  url: string;
  pid: number;
  stats: () => Promise<ServerStats>;
  stop: () => Promise<void>;
}

function startProcess(entry: string, env: Record<string, string | undefined>): Promise<ServerProcess> {
  const child: ChildProcess = fork(entry, [], {
    cwd: benchRoot,
    execArgv: [
      "--import",
      "tsx",
      "--expose-gc",
      // BENCH_CPU_PROFILE=<dir> writes a .cpuprofile per server process (open it in Chrome DevTools).
      ...(process.env.BENCH_CPU_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : []),
    ],
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  const stderrTail: string[] = [];
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderrTail.push(chunk);
    if (stderrTail.length > 50) stderrTail.shift();
    if (process.env.BENCH_SERVER_LOGS) process.stderr.write(chunk);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${entry} did not start within 60 s:\n${stderrTail.join("")}`));
    }, 60_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code} before listening:\n${stderrTail.join("")}`));
    });
    child.on("message", function onListening(message: { type?: string; url?: string }) {
      if (message.type !== "listening" || !message.url) return;
      child.off("message", onListening);
      clearTimeout(timer);
      resolve({
        url: message.url,
        pid: child.pid ?? 0,
        stats: () =>
          new Promise((resolveStats) => {
            child.on("message", function onStats(reply: { type?: string } & ServerStats) {
              if (reply.type !== "stats") return;
              child.off("message", onStats);
              resolveStats(reply);
            });
            child.send({ type: "stats" });
          }),
        stop: async () => {
          if (child.exitCode !== null) return;
          child.kill("SIGTERM");
          const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}

export interface StartServerOptions {
  database: DatabaseLocation;
  redisUrl?: string;
}

/** A Parley node: the same transports as apps/web's server, without Next.js. */
export function startParleyNode(options: StartServerOptions): Promise<ServerProcess> {
  return startProcess(parleyNodeEntry, {
    DATABASE_URL: options.database.kind === "postgres" ? options.database.url : "",
    DATA_DIR: options.database.kind === "pglite" ? options.database.dataDir : undefined,
    REDIS_URL: options.redisUrl ?? "",
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    // The benchmark drives a few clients far past a person's send rate.
    SEND_RATE_BURST: "1000000",
    SIGNUP_RATE_BURST: "1000000",
    SEND_RATE_PER_SECOND: "1000000",
    COUNT_DATABASE_STATEMENTS: "1",
  });
}

export function startBaselineServer(options: StartServerOptions & { channel?: string }): Promise<ServerProcess> {
  return startProcess(baselineEntry, {
    BASELINE_CONFIG: JSON.stringify({ database: options.database, redisUrl: options.redisUrl, channel: options.channel }),
  });
}
