import type { Clock, SessionCache } from "@parley/auth";
import type { Database } from "@parley/db/client";

import type { AttemptLocks } from "./attempt-locks";
import type { CallSweeper } from "./call-sweeper";
import type { MessageWriter } from "./domain/message-writer";
import type { FairShare } from "./fair-share";
import type { Logger } from "./logger";
import type { ParleyMetrics } from "./metrics";
import type { PushServiceList } from "./push/push-services";
import type { RateLimiter, RateLimitOptions } from "./rate-limit";
import type { BlobStore } from "./storage/blob-store";
import type { TransportLimits } from "./transport/limits";
import type { CallConfig } from "./realtime/ice-servers";
import type { EventFeed } from "./realtime/feed";
import type { Presence } from "./realtime/presence";
import type { TypingService } from "./realtime/typing";
import type { ConversationViewing } from "./realtime/viewing";

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
  /** ICE servers for calls (ICE_SERVERS, TURN_*); absent: none, enough on one machine or one LAN. */
  calls?: CallConfig;
  /** How often silent WebSockets are pinged and how long an answer may take (defaults in transport/websocket.ts). */
  webSocketKeepAlive?: { sweepMs: number; pongWaitMs: number };
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
  /** Which conversation each device has on screen; push leaves out members who see it there. */
  viewing: ConversationViewing;
  /** Web Push: the VAPID public key browsers subscribe with, and the push services the server sends to. */
  push: { publicKey: string; services: PushServiceList };
  /** Ends calls that rang out; every node runs one, each call is ended once. */
  callSweeper: CallSweeper;
  /** Per device: how many `calls.signal` a device may send. */
  callSignalLimiter: RateLimiter;
  /** Per user; shared through Redis when there is one, like every limit below. */
  sendLimiter: RateLimiter;
  /** Per user: uploads started. */
  uploadLimiter: RateLimiter;
  /** Attachment, thumbnail and avatar bytes: local disk or S3-compatible storage. */
  blobStore: BlobStore;
  /** Per client address; null when the config sets no sign-up limit. */
  signUpLimiter: RateLimiter | null;
  /** A few running calls per caller at a time, so that one client's flood waits behind itself. */
  fairShare: FairShare;
  /** One password check at a time per account and address. */
  loginAttempts: AttemptLocks;
  clock: Clock;
  logger: Logger;
  config: ParleyConfig & { media: MediaLimits };
  /** This process's Prometheus series, served on METRICS_PORT when it is set. */
  metrics: ParleyMetrics;
}
