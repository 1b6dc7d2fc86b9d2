import { parseArgs } from "node:util";

import { scenarioIds } from "./scenarios/index";

export interface BenchOptions {
  scenarios: string[];
  clients: number;
  groupSize: number;
  rate: number;
  durationSeconds: number;
  /** Offered load of the two-node scenario's runs: one a single node sustains. */
  twoNodeRate: number;
  throughputSteps: number[];
  throughputStepSeconds: number;
  fanOutMembers: number;
  fanOutMessages: number;
  connections: number;
  historyRows: number;
  historyQueries: number;
  /** Which servers to run; both unless profiling one. */
  systems: ("parley" | "baseline")[];
  keepDatabase: boolean;
  /** Run on embedded PGlite even when a Postgres server answers. */
  pglite: boolean;
  output: string;
}

export const usage = `npm run bench -- [options]

  --scenarios <list>        comma-separated, default all: ${scenarioIds.join(",")}
  --duration <s>            latency and two-node runs (default 30)
  --rate <msg/s>            offered load of the latency runs (default 500)
  --two-node-rate <msg/s>   offered load of the two-node scenario, on one node and on two (default 50;
                            it must be a rate one node sustains, or the added p99 is not measured)
  --clients <n>             chat clients (default 200), in groups of --group-size (default 20)
  --throughput-steps <list> send rates tried in turn (default 50,100,200,300,500,750,1000,1500,2000,3000)
  --step <s>                length of each throughput step (default 5)
  --fan-out-members <n>     group size of the fan-out scenario (default 1000)
  --fan-out-messages <n>    messages sent to it (default 50)
  --connections <n>         WebSockets in the connections scenario (default 10000)
  --history-rows <n>        messages seeded for the history and search scenarios (default 1000000, at least 100)
  --history-queries <n>     pages read, and searches made (default 1000)
  --only <system>           parley or baseline: run one side only (for profiling; no ratios)
  --keep-database           leave the parley_bench_* database (or PGlite folder) in place
  --pglite                  run on embedded PGlite even when Postgres answers (no two-node scenario)
  --output <dir>            where latest.json and latency.svg go (default bench/results)
`;

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive whole number, not "${value}"`);
  return parsed;
}

export function parseOptions(argv: string[], defaultOutput: string): BenchOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenarios: { type: "string" },
      duration: { type: "string" },
      rate: { type: "string" },
      "two-node-rate": { type: "string" },
      clients: { type: "string" },
      "group-size": { type: "string" },
      "throughput-steps": { type: "string" },
      step: { type: "string" },
      "fan-out-members": { type: "string" },
      "fan-out-messages": { type: "string" },
      connections: { type: "string" },
      "history-rows": { type: "string" },
      "history-queries": { type: "string" },
      only: { type: "string" },
      "keep-database": { type: "boolean", default: false },
      pglite: { type: "boolean", default: false },
      output: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return null;
  const scenarios = values.scenarios ? values.scenarios.split(",").map((id) => id.trim()) : scenarioIds;
  for (const id of scenarios) {
    if (!(scenarioIds as string[]).includes(id)) throw new Error(`unknown scenario "${id}"; choose from ${scenarioIds.join(", ")}`);
  }
  const groupSize = positiveInteger("group-size", values["group-size"], 20);
  const clients = positiveInteger("clients", values.clients, 200);
  if (clients % groupSize !== 0 || groupSize < 2) throw new Error("--clients must be a multiple of --group-size (at least 2)");
  const historyRows = positiveInteger("history-rows", values["history-rows"], 1_000_000);
  // Pages start anywhere from seq 51, so each of them is full.
  if (historyRows < 100) throw new Error("--history-rows must be at least 100");
  return {
    scenarios,
    clients,
    groupSize,
    rate: positiveInteger("rate", values.rate, 500),
    durationSeconds: positiveInteger("duration", values.duration, 30),
    twoNodeRate: positiveInteger("two-node-rate", values["two-node-rate"], 50),
    throughputSteps: (values["throughput-steps"] ?? "50,100,200,300,500,750,1000,1500,2000,3000")
      .split(",")
      .map((step) => positiveInteger("throughput-steps", step.trim(), 1)),
    throughputStepSeconds: positiveInteger("step", values.step, 5),
    fanOutMembers: positiveInteger("fan-out-members", values["fan-out-members"], 1_000),
    fanOutMessages: positiveInteger("fan-out-messages", values["fan-out-messages"], 50),
    connections: positiveInteger("connections", values.connections, 10_000),
    historyRows,
    historyQueries: positiveInteger("history-queries", values["history-queries"], 1_000),
    systems:
      values.only === undefined
        ? ["parley", "baseline"]
        : values.only === "parley" || values.only === "baseline"
          ? [values.only]
          : (() => {
              throw new Error(`--only must be parley or baseline, not "${values.only}"`);
            })(),
    keepDatabase: values["keep-database"] ?? false,
    pglite: values.pglite ?? false,
    output: values.output ?? defaultOutput,
  };
}
