import type { Clock, SessionCache } from "@parley/auth";
import type { Database } from "@parley/db/client";

import type { AttemptLocks } from "./attempt-locks";
import type { MessageWriter } from "./domain/message-writer";
import type { Logger } from "./logger";
import type { ParleyMetrics } from "./metrics";
import type { RateLimiter, RateLimitOptions } from "./rate-limit";
import type { BlobStore } from "./storage/blob-store";
import type { TransportLimits } from "./transport/limits";
import type { EventFeed } from "./realtime/feed";
import type { Presence } from "./realtime/presence";
import type { TypingService } from "./realtime/typing";

/*
 * The shapes of the services only: domain code imports these types, and the construction in
 * start-services.ts imports domain code, so keeping the two apart leaves no cycle.
 */

export interface ParleyConfig {
  /** Origins allowed to make cookie-authenticated changes and WebSocket upgrades. */
  allowedOrigins: string[];
  /** Per-user message send allowance. */
  sendRate: RateLimitOptions;
  /** Per-address sign-up allowance; absent: no limit (tests and tools that make many accounts). */
  signUpRate?: RateLimitOptions;
  /** Adds `Secure` to the session cookie (production behind HTTPS). */
  secureCookies: boolean;
  /** Load balancers whose `X-Forwarded-For` names the client (TRUSTED_PROXIES); none by default. */
  trustedProxies?: readonly string[];
  /** Per-connection limits; each one left out takes its default (transport/limits.ts). */
  transportLimits?: Partial<TransportLimits>;
  /** Upload limits; each one left out takes its default (MAX_UPLOAD_BYTES and the rest in env.ts). */
  media?: Partial<MediaLimits>;
}

export interface MediaLimits {
  maxUploadBytes: number;
  /** Exact types and `family/*` patterns, checked against the declared type and the sniffed one. */
  allowedTypes: string[];
  /** Uploads (and stickers) one user may start per minute. */
  uploadsPerMinute: number;
}

/** Everything a request handler may use; one instance per process. */
export interface ParleyServices {
  db: Database;
  feed: EventFeed;
  /** Validated sessions, remembered per process and forgotten when their revocation is in the log. */
  sessions: SessionCache;
  /** The send path: concurrent sends are stored in batches, one statement each. */
  messageWriter: MessageWriter;
  presence: Presence;
  typing: TypingService;
  /** Per user; shared through Redis when there is one, like every limit below. */
  sendLimiter: RateLimiter;
  /** Per user: uploads started. */
  uploadLimiter: RateLimiter;
  /** Attachment, thumbnail and avatar bytes: local disk or S3-compatible storage. */
  blobStore: BlobStore;
  /** Per client address; null when the config sets no sign-up limit. */
  signUpLimiter: RateLimiter | null;
  /** One password check at a time per account and address. */
  loginAttempts: AttemptLocks;
  clock: Clock;
  logger: Logger;
  config: ParleyConfig & { media: MediaLimits };
  /** This process's Prometheus series, served on METRICS_PORT when it is set. */
  metrics: ParleyMetrics;
}
