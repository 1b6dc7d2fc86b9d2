/**
 * The server's configuration, read from environment variables once at start. This is the only
 * server module in apps/web that reads `process.env` (Next.js reads its own variables itself).
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { z } from "zod";

/** Relative DATA_DIR values resolve here: npm runs workspace scripts inside apps/web, not where you typed. */
export const repositoryRoot = fileURLToPath(new URL("../../..", import.meta.url));

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// or postgresql:// URL" }).optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" }).optional(),
  PORT: z.coerce
    .number({ error: "must be a port number" })
    .int({ error: "must be a whole number" })
    .min(1, { error: "must be between 1 and 65535" })
    .max(65_535, { error: "must be between 1 and 65535" })
    .default(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  ALLOWED_ORIGINS: z
    .string()
    .transform((value) =>
      value
        .split(",")
        .map((origin) => origin.trim())
        .filter((origin) => origin.length > 0),
    )
    .refine((origins) => origins.every(isOrigin), {
      error: "must be a comma-separated list of origins such as https://chat.example.com (scheme, host and port; no path)",
    })
    .optional(),
  DATA_DIR: z.string().min(1).default(".data"),
  LOG_LEVEL: z.enum(logLevels, { error: `must be one of ${logLevels.join(", ")}` }).default("info"),
  SEND_RATE_BURST: z.coerce
    .number({ error: "must be a number" })
    .int({ error: "must be a whole number" })
    .positive({ error: "must be at least 1" })
    .default(30),
  SEND_RATE_PER_SECOND: z.coerce.number({ error: "must be a number" }).positive({ error: "must be above 0" }).default(10),
});

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
  logLevel: (typeof logLevels)[number];
  sendRate: { burst: number; perSecond: number };
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

export class InvalidEnvError extends Error {
  override name = "InvalidEnvError";
}

/**
 * Validates the environment; throws an `InvalidEnvError` that names every bad variable.
 * Empty variables count as unset, so `PORT=` in a .env file means "use the default".
 */
export function readServerEnv(source: Record<string, string | undefined> = process.env): ServerEnv {
  const present = Object.fromEntries(
    Object.keys(envSchema.shape).map((name) => [name, source[name] === "" ? undefined : source[name]]),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    // Values stay out of the message: DATABASE_URL and REDIS_URL may carry passwords.
    const problems = parsed.error.issues.map((issue) => `  ${String(issue.path[0] ?? "environment")}: ${issue.message}`);
    throw new InvalidEnvError(`Invalid environment configuration (see .env.example):\n${problems.join("\n")}`);
  }
  const env = parsed.data;
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
  };
}
