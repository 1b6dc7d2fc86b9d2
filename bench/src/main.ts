import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { createBenchDatabase, findRedis, machineInfo } from "./environment";
import { parseOptions, usage } from "./options";
import { renderLatencySvg, renderTable } from "./report";
import type { BenchContext } from "./scenarios/context";
import { scenarios, type ScenarioId } from "./scenarios/index";
import type { ScenarioResult } from "./scenarios/result";
import { openSeeder } from "./seed";
import { loadAverageWarning } from "./warnings";

const defaultOutput = fileURLToPath(new URL("../results", import.meta.url));

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), defaultOutput);
  if (!options) {
    process.stdout.write(usage);
    return;
  }
  const machine = machineInfo();
  const database = await createBenchDatabase({ keep: options.keepDatabase, pglite: options.pglite });
  const redisUrl = await findRedis();
  log(`database: ${database.description}`);
  log(`redis: ${redisUrl ?? "none (the two-node scenario is skipped)"}`);
  log(`machine: ${machine.cpuCount} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, node ${machine.node}, open files ${machine.openFileLimit}, load average ${machine.loadAverageAtStart}`);
  // Every scenario carries this one, so each table and each JSON entry says it on its own.
  const runWarnings = loadAverageWarning(machine.loadAverageAtStart);
  for (const warning of runWarnings) log(`WARNING: ${warning}`);
  // Interrupted: the servers exit with us (they watch their IPC channel); the database goes too.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log(`${signal}: dropping the bench database and stopping`);
      void database.drop().finally(() => process.exit(130));
    });
  }
  const seeder = openSeeder(database.location);
  const context: BenchContext = { options, database, redisUrl, seeder, openFileLimit: machine.openFileLimit, log };
  const results: ScenarioResult[] = [];
  const startedAt = Date.now();
  try {
    for (const id of options.scenarios as ScenarioId[]) {
      const result = await scenarios[id](context);
      result.warnings.unshift(...runWarnings);
      results.push(result);
      process.stdout.write(`${renderTable([result])}\n`);
    }
  } finally {
    await seeder.close();
    await database.drop();
  }
  const report = {
    generatedAt: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt) / 1_000),
    machine: { ...machine, loadAverageAtEnd: Math.round((loadavg()[0] ?? 0) * 100) / 100 },
    database: database.location.kind === "postgres" ? database.description.replace(/, database .*/, "") : "PGlite (embedded)",
    redis: redisUrl ? "Redis on loopback" : null,
    options,
    warnings: [
      ...runWarnings,
      ...results.flatMap((result) => result.warnings.filter((warning) => !runWarnings.includes(warning)).map((warning) => `${result.id}: ${warning}`)),
    ],
    scenarios: results.map(({ curves, ...rest }) => ({ ...rest, percentiles: curves ?? [] })),
  };
  mkdirSync(options.output, { recursive: true });
  writeFileSync(join(options.output, "latest.json"), `${JSON.stringify(report, null, 2)}\n`);
  const subtitle = `${machine.cpuCount} × ${machine.cpuModel}; ${report.database}; loopback; ${report.generatedAt.slice(0, 10)}`;
  writeFileSync(join(options.output, "latency.svg"), renderLatencySvg(results, subtitle));
  log(`done in ${report.durationSeconds} s; wrote ${join(options.output, "latest.json")} and latency.svg`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
