/**
 * The server's configuration, read from environment variables once at start: the variables
 * shared with every Parley server process (@parley/api/env) plus NODE_ENV, turned into the
 * settings server.ts needs. Next.js reads its own variables itself.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { z } from "zod";

import { callConfigFromEnv, limitsFromEnv, readEnv, serverEnvSchema, type LogLevel } from "@parley/api/env";

/** Relative DATA_DIR values resolve here: npm runs workspace scripts inside apps/web, not where you typed. */
export const repositoryRoot = fileURLToPath(new URL("../../..", import.meta.url));

const webEnvSchema = serverEnvSchema
  .extend({ NODE_ENV: z.enum(["development", "production", "test"]).default("development") })
  // Next.js and the default allowed origins need the port before the server listens.
  .refine((env) => env.PORT !== 0, { path: ["PORT"], error: "must be between 1 and 65535 (the web server needs a fixed port)" });

export interface ServerEnv {
  nodeEnv: "development" | "production" | "test";
  /** Absent: embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  /** Absent: events fan out in this process only. */
  redisUrl: string | undefined;
  port: number;
  host: string;
  allowedOrigins: string[];
  /** Absolute path of the PGlite data folder. */
  dataDir: string;
  logLevel: LogLevel;
  sendRate: { burst: number; perSecond: number };
  /** Sign-up, database and per-connection limits (README, Security). */
  limits: ReturnType<typeof limitsFromEnv>;
  /** ICE servers for calls (ICE_SERVERS, TURN_*). */
  calls: ReturnType<typeof callConfigFromEnv>;
  /** Load balancers whose X-Forwarded-For names the client; empty: the socket's peer is the client. */
  trustedProxies: string[];
  /** Absent: no metrics listener. */
  metricsPort: number | undefined;
}

/**
 * Adds the variables of `.env` at the repository root, if there is one, to the environment.
 * Variables already set in the environment win over the file.
 */
export function loadDotEnvFile(): string | null {
  const path = join(repositoryRoot, ".env");
  if (!existsSync(path)) return null;
  process.loadEnvFile(path);
  return path;
}

/**
 * Validates the environment (the process's own unless `source` is given); throws an
 * `InvalidEnvError` from @parley/api/env that names every bad variable.
 */
export function readServerEnv(source?: Record<string, string | undefined>): ServerEnv {
  const env = readEnv(webEnvSchema, source);
  return {
    nodeEnv: env.NODE_ENV,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    port: env.PORT,
    host: env.HOST,
    allowedOrigins: env.ALLOWED_ORIGINS ?? [`http://localhost:${env.PORT}`, `http://127.0.0.1:${env.PORT}`],
    dataDir: isAbsolute(env.DATA_DIR) ? env.DATA_DIR : resolve(repositoryRoot, env.DATA_DIR),
    logLevel: env.LOG_LEVEL,
    sendRate: { burst: env.SEND_RATE_BURST, perSecond: env.SEND_RATE_PER_SECOND },
    limits: limitsFromEnv(env),
    calls: callConfigFromEnv(env),
    trustedProxies: env.TRUSTED_PROXIES ?? [],
    metricsPort: env.METRICS_PORT,
  };
}
