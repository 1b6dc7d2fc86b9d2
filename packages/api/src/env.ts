/**
 * The environment of a Parley server process, defined once: apps/web's server.ts and the
 * standalone node server (node-server.ts) read the same variables with the same rules, each
 * adding only what is its own. This is the only module that reads `process.env`.
 */
import { join } from "node:path";

import { z } from "zod";

import { uploadDefaultMaxBytes } from "@parley/db/limits";

import type { MediaLimits } from "./services";
import type { BlobStoreConfig } from "./storage/blob-store";

import { pushServiceHostPattern } from "./push/push-services";
import type { CallConfig } from "./realtime/ice-servers";
import { isProxyAddressOrRange } from "./transport/client-address";
import { defaultTransportLimits, type TransportLimits } from "./transport/limits";

/** pino's levels, which the web server's logger uses as they are and the node server maps. */
export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof logLevels)[number];

function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

/** A count, size or interval: a whole number of at least 1. */
function positiveWholeNumber(defaultValue: number) {
  return z.coerce
    .number({ error: "must be a number" })
    .int({ error: "must be a whole number" })
    .positive({ error: "must be at least 1" })
    .default(defaultValue);
}

/** A key in base64url that decodes to exactly `bytes` bytes. */
function base64UrlKey(bytes: number, what: string) {
  return z
    .string()
    .refine((value) => /^[A-Za-z0-9_-]+$/.test(value) && Buffer.from(value, "base64url").length === bytes, {
      error: `must be ${what} in base64url (${bytes} bytes)`,
    });
}

/** A TCP port; 0 asks the system for any free one. */
function port() {
  return z.coerce
    .number({ error: "must be a port number" })
    .int({ error: "must be a whole number" })
    .min(0, { error: "must be between 0 and 65535" })
    .max(65_535, { error: "must be between 0 and 65535" });
}

/** What may be uploaded unless UPLOAD_ALLOWED_TYPES says otherwise; the sniffed type must match too. */
export const defaultUploadTypes = [
  "image/jpeg",
  "image/png",
  "image/webp",
  "image/gif",
  "image/avif",
  "audio/*",
  "video/mp4",
  "video/webm",
  "video/quicktime",
  "application/pdf",
  "application/zip",
  "text/plain",
  "application/octet-stream",
];

const mediaTypePattern = /^(\*|[a-z0-9][a-z0-9!#$&^_.+-]*\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*))$/;
const iceUrl = z
  .string()
  .regex(/^(stun|stuns|turn|turns):[^\s]+$/, { error: "each URL must start with stun:, stuns:, turn: or turns:" });

/** RTCConfiguration.iceServers as JSON; one URL or a list per server, as browsers accept. */
const iceServersJson = z
  .string()
  .transform((value, context) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      context.addIssue({ code: "custom", message: 'must be JSON such as [{"urls":"stun:stun.example.com:3478"}]' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(
        z.object({
          urls: z.union([iceUrl, z.array(iceUrl).min(1)]).transform((urls) => (typeof urls === "string" ? [urls] : urls)),
          username: z.string().optional(),
          credential: z.string().optional(),
        }),
        { error: 'must be a JSON array of {"urls", "username"?, "credential"?} objects' },
      )
      .max(16, { error: "must list at most 16 servers" }),
  );

/**
 * A comma-separated list: entries trimmed (and lower-cased, for names that ignore case), empty
 * ones dropped, each one checked; `required` refuses a list with nothing in it.
 */
function commaSeparated(options: { accepts: (entry: string) => boolean; error: string; lowerCase?: boolean; required?: boolean }) {
  return z
    .string()
    .transform((value) =>
      value
        .split(",")
        .map((entry) => (options.lowerCase ? entry.trim().toLowerCase() : entry.trim()))
        .filter((entry) => entry.length > 0),
    )
    .refine((entries) => (!options.required || entries.length > 0) && entries.every(options.accepts), { error: options.error });
}

const turnUrls = commaSeparated({
  accepts: (url) => /^turns?:[^\s]+$/.test(url),
  required: true,
  error: "must be a comma-separated list of turn: or turns: URLs such as turn:turn.example.com:3478?transport=udp",
});

/** The variables every server process reads; the README's configuration table lists them. */
export const serverEnvSchema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// or postgresql:// URL" }).optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" }).optional(),
  /** 0 asks the system for any free port: what tests and benchmarks starting several nodes use. */
  PORT: port().default(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  ALLOWED_ORIGINS: commaSeparated({
    accepts: isOrigin,
    error: "must be a comma-separated list of origins such as https://chat.example.com (scheme, host and port; no path)",
  }).optional(),
  DATA_DIR: z.string().min(1).default(".data"),
  LOG_LEVEL: z.enum(logLevels, { error: `must be one of ${logLevels.join(", ")}` }).default("info"),
  SEND_RATE_BURST: positiveWholeNumber(30),
  SEND_RATE_PER_SECOND: z.coerce.number({ error: "must be a number" }).positive({ error: "must be above 0" }).default(10),
  /** Accounts one address (an IPv6 /64) may create back to back, then per hour. */
  SIGNUP_RATE_BURST: positiveWholeNumber(10),
  SIGNUP_RATE_PER_HOUR: z.coerce.number({ error: "must be a number" }).positive({ error: "must be above 0" }).default(20),
  /** Postgres: how long opening a connection, and one statement, may take before the call fails. */
  DATABASE_CONNECT_TIMEOUT_MS: positiveWholeNumber(2_000),
  DATABASE_STATEMENT_TIMEOUT_MS: positiveWholeNumber(5_000),
  /** Per connection: calls in one HTTP request or WebSocket frame, and a WebSocket's subscriptions, calls running and unsent bytes. */
  API_MAX_BATCH_CALLS: positiveWholeNumber(defaultTransportLimits.maxBatchCalls),
  WS_MAX_SUBSCRIPTIONS: positiveWholeNumber(defaultTransportLimits.maxSubscriptionsPerSocket),
  WS_MAX_CALLS_IN_FLIGHT: positiveWholeNumber(defaultTransportLimits.maxCallsInFlightPerSocket),
  WS_MAX_BUFFERED_BYTES: positiveWholeNumber(defaultTransportLimits.maxSocketBufferedBytes),
  API_MAX_CALLS_RUNNING_PER_CALLER: positiveWholeNumber(defaultTransportLimits.maxCallsRunningPerCaller),
  /** The load balancers whose `X-Forwarded-For` is believed; unset, the socket's peer is the client. */
  TRUSTED_PROXIES: commaSeparated({
    accepts: isProxyAddressOrRange,
    error: "must be a comma-separated list of addresses or CIDR ranges such as 10.0.0.5,10.1.0.0/16 (or loopback, linklocal, uniquelocal)",
  }).optional(),
  /** Web Push: the VAPID key pair (base64url, as `npx web-push generate-vapid-keys` prints it); unset, one is made and kept in the database. */
  VAPID_PUBLIC_KEY: base64UrlKey(65, "an uncompressed P-256 public key").optional(),
  VAPID_PRIVATE_KEY: base64UrlKey(32, "a P-256 private key").optional(),
  /** Who push services may contact about this server. */
  VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/, { error: "must be a mailto: address or an https:// URL" })
    .optional(),
  /** The push services subscriptions may name (host names, `*.example.com`, or `*` for any); unset, the browsers' own. */
  PUSH_SERVICE_HOSTS: commaSeparated({
    accepts: (entry) => pushServiceHostPattern.test(entry),
    lowerCase: true,
    required: true,
    error: "must be a comma-separated list of host names such as fcm.googleapis.com,*.push.apple.com (or *)",
  }).optional(),
  /** Largest upload, in bytes (25 MiB by default). */
  MAX_UPLOAD_BYTES: positiveWholeNumber(uploadDefaultMaxBytes),
  /** Comma-separated media types (`image/png`, `audio/*`, or `*` for any) that may be uploaded. */
  UPLOAD_ALLOWED_TYPES: commaSeparated({
    accepts: (entry) => mediaTypePattern.test(entry),
    lowerCase: true,
    required: true,
    error: "must be a comma-separated list of media types such as image/png,audio/* (or *)",
  }).optional(),
  UPLOAD_RATE_PER_MINUTE: positiveWholeNumber(30),
  /** With a bucket, attachments live in S3-compatible storage; without, under DATA_DIR/media. */
  S3_BUCKET: z.string().min(1).optional(),
  S3_REGION: z.string().min(1).default("us-east-1"),
  /** For S3-compatible services (MinIO, R2, …); unset: AWS. */
  S3_ENDPOINT: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: z.enum(["0", "1"], { error: "must be 0 or 1" }).default("1"),
  /** Serves Prometheus metrics on this port (HOST's interface) at /metrics; unset, there are none. 0: any free port. */
  METRICS_PORT: port().optional(),
  /** STUN/TURN servers handed to call devices as they are (JSON); unset: none, enough on one machine or LAN. */
  ICE_SERVERS: iceServersJson.optional(),
  /** coturn's `static-auth-secret`: TURN credentials are computed from it per user and call (README, Calls). */
  TURN_SECRET: z.string().min(16, { error: "must be at least 16 characters" }).optional(),
  TURN_URLS: turnUrls.optional(),
  TURN_CREDENTIAL_TTL_SECONDS: positiveWholeNumber(86_400),
});

/** The standalone node server's tuning knobs, on top of the shared variables. */
export const nodeServerEnvSchema = serverEnvSchema.extend({
  DATABASE_POOL_SIZE: positiveWholeNumber(10),
  FEED_POLL_INTERVAL_MS: positiveWholeNumber(1_000),
  PRESENCE_HEARTBEAT_MS: positiveWholeNumber(5_000),
  PRESENCE_NODE_TTL_MS: positiveWholeNumber(30_000),
  /** The bench's statements per send; off by default because counting costs a stack trace per query. */
  COUNT_DATABASE_STATEMENTS: z.enum(["0", "1"], { error: "must be 0 or 1" }).default("0"),
});

export class InvalidEnvError extends Error {
  override name = "InvalidEnvError";
}

/**
 * Validates the environment against `schema`; throws an `InvalidEnvError` that names every bad
 * variable. Empty variables count as unset, so `PORT=` in a .env file means "use the default".
 */
export function readEnv<TSchema extends z.ZodObject>(
  schema: TSchema,
  source: Record<string, string | undefined> = process.env,
): z.output<TSchema> {
  const present = Object.fromEntries(
    Object.keys(schema.shape).map((name) => [name, source[name] === "" ? undefined : source[name]]),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    // Values stay out of the message: DATABASE_URL and REDIS_URL may carry passwords.
    const problems = parsed.error.issues.map((issue) => `  ${String(issue.path[0] ?? "environment")}: ${issue.message}`);
    throw new InvalidEnvError(`Invalid environment configuration (see .env.example):\n${problems.join("\n")}`);
  }
  return parsed.data;
}

type ServerEnvValues = z.output<typeof serverEnvSchema>;

/** The ICE servers calls use; TURN_SECRET and TURN_URLS come together or not at all. */
export function callConfigFromEnv(env: ServerEnvValues): CallConfig {
  if ((env.TURN_SECRET === undefined) !== (env.TURN_URLS === undefined)) {
    throw new InvalidEnvError(
      `Invalid environment configuration (see .env.example):\n  ${env.TURN_SECRET === undefined ? "TURN_SECRET" : "TURN_URLS"}: must be set together with ${env.TURN_SECRET === undefined ? "TURN_URLS" : "TURN_SECRET"}`,
    );
  }
  return {
    iceServers: env.ICE_SERVERS ?? [],
    turn:
      env.TURN_SECRET && env.TURN_URLS
        ? { secret: env.TURN_SECRET, urls: env.TURN_URLS, credentialTtlSeconds: env.TURN_CREDENTIAL_TTL_SECONDS }
        : null,
  };
}

/** The limits the shared variables set, in the shapes a server passes on (ParleyConfig, createDb). */
export function limitsFromEnv(env: ServerEnvValues): {
  signUpRate: { burst: number; perSecond: number };
  transportLimits: TransportLimits;
  database: { connectTimeoutMs: number; statementTimeoutMs: number };
  media: MediaLimits;
} {
  return {
    signUpRate: { burst: env.SIGNUP_RATE_BURST, perSecond: env.SIGNUP_RATE_PER_HOUR / 3_600 },
    transportLimits: {
      maxBatchCalls: env.API_MAX_BATCH_CALLS,
      maxSubscriptionsPerSocket: env.WS_MAX_SUBSCRIPTIONS,
      maxCallsInFlightPerSocket: env.WS_MAX_CALLS_IN_FLIGHT,
      maxSocketBufferedBytes: env.WS_MAX_BUFFERED_BYTES,
      maxCallsRunningPerCaller: env.API_MAX_CALLS_RUNNING_PER_CALLER,
    },
    database: { connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS, statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS },
    media: {
      maxUploadBytes: env.MAX_UPLOAD_BYTES,
      allowedTypes: env.UPLOAD_ALLOWED_TYPES ?? defaultUploadTypes,
      uploadsPerMinute: env.UPLOAD_RATE_PER_MINUTE,
    },
  };
}

/** Where attachments are stored: the S3 bucket when S3_BUCKET is set, else `<dataDir>/media`. */
export function storageFromEnv(env: ServerEnvValues, dataDir: string): BlobStoreConfig {
  if (!env.S3_BUCKET) return { driver: "local", directory: join(dataDir, "media") };
  return {
    driver: "s3",
    bucket: env.S3_BUCKET,
    region: env.S3_REGION,
    endpoint: env.S3_ENDPOINT,
    accessKeyId: env.S3_ACCESS_KEY_ID,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY,
    forcePathStyle: env.S3_FORCE_PATH_STYLE === "1",
  };
}

/** The Web Push settings: both VAPID keys or neither (then the database keeps a generated pair). */
export function pushFromEnv(env: ServerEnvValues): { vapidKeys?: { publicKey: string; privateKey: string }; subject?: string; serviceHosts?: string[] } {
  if ((env.VAPID_PUBLIC_KEY === undefined) !== (env.VAPID_PRIVATE_KEY === undefined)) {
    const missing = env.VAPID_PUBLIC_KEY === undefined ? "VAPID_PUBLIC_KEY" : "VAPID_PRIVATE_KEY";
    throw new InvalidEnvError(`Invalid environment configuration (see .env.example):\n  ${missing}: must be set together with the other VAPID key`);
  }
  return {
    ...(env.VAPID_PUBLIC_KEY && env.VAPID_PRIVATE_KEY
      ? { vapidKeys: { publicKey: env.VAPID_PUBLIC_KEY, privateKey: env.VAPID_PRIVATE_KEY } }
      : {}),
    ...(env.VAPID_SUBJECT ? { subject: env.VAPID_SUBJECT } : {}),
    ...(env.PUSH_SERVICE_HOSTS ? { serviceHosts: env.PUSH_SERVICE_HOSTS } : {}),
  };
}
