import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";

import { Redis } from "ioredis";
import postgres from "postgres";

import { createDb } from "@parley/db/client";
import { migrate } from "@parley/db/migrate";

import type { DatabaseLocation } from "./sql-client";

const localPostgresUrl = "postgres://postgres@127.0.0.1:5432/postgres";
const localRedisUrl = "redis://127.0.0.1:6379";

export interface BenchDatabase {
  location: DatabaseLocation;
  /** What the report says about it. */
  description: string;
  drop: () => Promise<void>;
}

async function postgresReachable(url: string): Promise<boolean> {
  const probe = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await probe`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await probe.end({ timeout: 1 });
  }
}

/**
 * A fresh, migrated database for this run: `parley_bench_<timestamp>` beside DATABASE_URL (or on
 * the local Postgres when it answers), else (or with `pglite`) a PGlite folder in the temp directory.
 */
export async function createBenchDatabase(options: { keep: boolean; pglite: boolean }): Promise<BenchDatabase> {
  const adminUrl = options.pglite
    ? null
    : process.env.DATABASE_URL || ((await postgresReachable(localPostgresUrl)) ? localPostgresUrl : null);
  if (!adminUrl) {
    const dataDir = mkdtempSync(join(tmpdir(), "parley-bench-"));
    const handle = createDb({ dataDir });
    await migrate(handle);
    await handle.close();
    return {
      location: { kind: "pglite", dataDir },
      description: `PGlite (embedded) in ${dataDir}`,
      drop: async () => {
        if (!options.keep) rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const name = `parley_bench_${Date.now()}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = createDb({ url: url.toString(), maxConnections: 1 });
  await migrate(handle);
  const [version] = await admin<{ server_version: string }[]>`show server_version`;
  await handle.close();
  return {
    location: { kind: "postgres", url: url.toString() },
    description: `Postgres ${version?.server_version ?? "?"} at ${url.host}, database ${name}`,
    drop: async () => {
      if (!options.keep) await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}

/** REDIS_URL, or the local Redis when one answers; null without Redis. */
export async function findRedis(): Promise<string | null> {
  const url = process.env.REDIS_URL || localRedisUrl;
  const probe = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: 2_000 });
  probe.on("error", () => {});
  try {
    await probe.connect();
    await probe.ping();
    return url;
  } catch {
    return null;
  } finally {
    probe.disconnect();
  }
}

export function openFileLimit(): number {
  try {
    return Number(execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim()) || 1_024;
  } catch {
    return 1_024;
  }
}

export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  memoryGiB: number;
  node: string;
  platform: string;
  openFileLimit: number;
  /** The 1-minute load average when the run started: anything else running skews every figure. */
  loadAverageAtStart: number;
}

export function machineInfo(): MachineInfo {
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model ?? "unknown",
    cpuCount: processors.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    openFileLimit: openFileLimit(),
    loadAverageAtStart: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}
