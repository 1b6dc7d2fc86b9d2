import { describe, expect, it } from "vitest";

import { callConfigFromEnv, defaultUploadTypes, InvalidEnvError, limitsFromEnv, nodeServerEnvSchema, pushFromEnv, readEnv, serverEnvSchema, storageFromEnv } from "./env";

/** The limit variables' defaults, as the schema reads them. */
const defaultLimits = {
  SIGNUP_RATE_BURST: 10,
  SIGNUP_RATE_PER_HOUR: 20,
  DATABASE_CONNECT_TIMEOUT_MS: 2_000,
  DATABASE_STATEMENT_TIMEOUT_MS: 5_000,
  API_MAX_BATCH_CALLS: 50,
  WS_MAX_SUBSCRIPTIONS: 10,
  WS_MAX_CALLS_IN_FLIGHT: 32,
  WS_MAX_BUFFERED_BYTES: 1_048_576,
  API_MAX_CALLS_RUNNING_PER_CALLER: 4,
  MAX_UPLOAD_BYTES: 26_214_400,
  UPLOAD_RATE_PER_MINUTE: 30,
  S3_REGION: "us-east-1",
  S3_FORCE_PATH_STYLE: "1",
  TURN_CREDENTIAL_TTL_SECONDS: 86_400,
};

describe("the shared server environment", () => {
  it("needs no variables at all: PGlite in .data, 127.0.0.1:3000, log level info", () => {
    expect(readEnv(serverEnvSchema, {})).toEqual({
      DATA_DIR: ".data",
      HOST: "127.0.0.1",
      PORT: 3000,
      LOG_LEVEL: "info",
      SEND_RATE_BURST: 30,
      SEND_RATE_PER_SECOND: 10,
      ...defaultLimits,
    });
  });

  it("turns the limit variables into the sign-up rate, per-connection limits and database timeouts", () => {
    const env = readEnv(serverEnvSchema, {
      SIGNUP_RATE_BURST: "3",
      SIGNUP_RATE_PER_HOUR: "36",
      DATABASE_CONNECT_TIMEOUT_MS: "1500",
      DATABASE_STATEMENT_TIMEOUT_MS: "8000",
      API_MAX_BATCH_CALLS: "20",
      WS_MAX_SUBSCRIPTIONS: "4",
      WS_MAX_CALLS_IN_FLIGHT: "8",
      WS_MAX_BUFFERED_BYTES: "65536",
    });
    expect(limitsFromEnv(env)).toEqual({
      signUpRate: { burst: 3, perSecond: 0.01 },
      transportLimits: { maxBatchCalls: 20, maxSubscriptionsPerSocket: 4, maxCallsInFlightPerSocket: 8, maxSocketBufferedBytes: 65_536, maxCallsRunningPerCaller: 4 },
      database: { connectTimeoutMs: 1_500, statementTimeoutMs: 8_000 },
      media: { maxUploadBytes: 26_214_400, allowedTypes: defaultUploadTypes, uploadsPerMinute: 30 },
    });
    expect(() => readEnv(serverEnvSchema, { WS_MAX_BUFFERED_BYTES: "0" })).toThrow(/WS_MAX_BUFFERED_BYTES: must be at least 1/);
  });

  it("reads upload limits, and stores attachments under DATA_DIR unless S3_BUCKET names a bucket", () => {
    const env = readEnv(serverEnvSchema, { MAX_UPLOAD_BYTES: "1048576", UPLOAD_ALLOWED_TYPES: "image/png, Audio/*", UPLOAD_RATE_PER_MINUTE: "5" });
    expect(limitsFromEnv(env).media).toEqual({ maxUploadBytes: 1_048_576, allowedTypes: ["image/png", "audio/*"], uploadsPerMinute: 5 });
    expect(storageFromEnv(env, "/var/lib/parley")).toEqual({ driver: "local", directory: "/var/lib/parley/media" });
    const s3 = readEnv(serverEnvSchema, {
      S3_BUCKET: "parley-media",
      S3_ENDPOINT: "http://minio:9000",
      S3_ACCESS_KEY_ID: "key",
      S3_SECRET_ACCESS_KEY: "secret",
      S3_FORCE_PATH_STYLE: "0",
    });
    expect(storageFromEnv(s3, ".data")).toEqual({
      driver: "s3",
      bucket: "parley-media",
      region: "us-east-1",
      endpoint: "http://minio:9000",
      accessKeyId: "key",
      secretAccessKey: "secret",
      forcePathStyle: false,
    });
    expect(() => readEnv(serverEnvSchema, { UPLOAD_ALLOWED_TYPES: "images" })).toThrow(/UPLOAD_ALLOWED_TYPES: must be a comma-separated list of media types/);
    expect(() => readEnv(serverEnvSchema, { S3_ENDPOINT: "minio:9000" })).toThrow(/S3_ENDPOINT: must be an http/);
  });

  it("treats empty variables as unset", () => {
    const env = readEnv(serverEnvSchema, { PORT: "", LOG_LEVEL: "", DATABASE_URL: "", ALLOWED_ORIGINS: "" });
    expect(env.PORT).toBe(3000);
    expect(env.LOG_LEVEL).toBe("info");
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.ALLOWED_ORIGINS).toBeUndefined();
  });

  it("reads every variable, with PORT=0 for any free port and origins split on commas", () => {
    const env = readEnv(serverEnvSchema, {
      DATABASE_URL: "postgresql://parley:secret@db/parley",
      REDIS_URL: "rediss://cache:6380",
      PORT: "0",
      HOST: "::",
      ALLOWED_ORIGINS: "https://chat.example.com, http://localhost:8080",
      DATA_DIR: "/var/lib/parley",
      LOG_LEVEL: "trace",
      SEND_RATE_BURST: "5",
      SEND_RATE_PER_SECOND: "0.5",
    });
    expect(env).toEqual({
      DATABASE_URL: "postgresql://parley:secret@db/parley",
      REDIS_URL: "rediss://cache:6380",
      PORT: 0,
      HOST: "::",
      ALLOWED_ORIGINS: ["https://chat.example.com", "http://localhost:8080"],
      DATA_DIR: "/var/lib/parley",
      LOG_LEVEL: "trace",
      SEND_RATE_BURST: 5,
      SEND_RATE_PER_SECOND: 0.5,
      ...defaultLimits,
    });
  });

  it("names each bad variable in one message, without echoing its value", () => {
    const read = () =>
      readEnv(serverEnvSchema, {
        REDIS_URL: "http://:hunter2@cache:6379",
        PORT: "65536",
        LOG_LEVEL: "verbose",
        SEND_RATE_PER_SECOND: "0",
      });
    expect(read).toThrow(InvalidEnvError);
    expect(read).toThrow(/REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(read).toThrow(/PORT: must be between 0 and 65535/);
    expect(read).toThrow(/LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent/);
    expect(read).toThrow(/SEND_RATE_PER_SECOND: must be above 0/);
    expect(read).not.toThrow(/hunter2/);
  });

  it("reads trusted proxies as a list of addresses and ranges, and a metrics port", () => {
    const env = readEnv(serverEnvSchema, { TRUSTED_PROXIES: "10.0.0.2, 10.1.0.0/16,fd00::/8,loopback", METRICS_PORT: "9464" });
    expect(env.TRUSTED_PROXIES).toEqual(["10.0.0.2", "10.1.0.0/16", "fd00::/8", "loopback"]);
    expect(env.METRICS_PORT).toBe(9464);
    expect(() => readEnv(serverEnvSchema, { TRUSTED_PROXIES: "10.0.0.2,nginx.internal" })).toThrow(
      /TRUSTED_PROXIES: must be a comma-separated list of addresses or CIDR ranges/,
    );
    expect(() => readEnv(serverEnvSchema, { METRICS_PORT: "70000" })).toThrow(/METRICS_PORT: must be between 0 and 65535/);
  });

  it("reports only the bad variable when the others are fine", () => {
    expect(() => readEnv(serverEnvSchema, { SEND_RATE_BURST: "2.5", PORT: "8080" })).toThrow(
      "Invalid environment configuration (see .env.example):\n  SEND_RATE_BURST: must be a whole number",
    );
  });
});

describe("call ICE servers", () => {
  it("has none by default: one machine needs no STUN or TURN", () => {
    expect(callConfigFromEnv(readEnv(serverEnvSchema, {}))).toEqual({ iceServers: [], turn: null });
  });

  it("reads ICE_SERVERS as JSON and TURN_SECRET with TURN_URLS", () => {
    const env = readEnv(serverEnvSchema, {
      ICE_SERVERS: '[{"urls":"stun:stun.example.com:3478"},{"urls":["turns:turn.example.com:5349"],"username":"u","credential":"p"}]',
      TURN_SECRET: "0123456789abcdef0123",
      TURN_URLS: "turn:turn.example.com:3478?transport=udp, turns:turn.example.com:5349",
      TURN_CREDENTIAL_TTL_SECONDS: "600",
    });
    expect(callConfigFromEnv(env)).toEqual({
      iceServers: [
        { urls: ["stun:stun.example.com:3478"] },
        { urls: ["turns:turn.example.com:5349"], username: "u", credential: "p" },
      ],
      turn: {
        secret: "0123456789abcdef0123",
        urls: ["turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349"],
        credentialTtlSeconds: 600,
      },
    });
  });

  it("names bad ICE variables without echoing the secret", () => {
    expect(() => readEnv(serverEnvSchema, { ICE_SERVERS: "stun:stun.example.com" })).toThrow(/ICE_SERVERS: must be JSON/);
    expect(() => readEnv(serverEnvSchema, { ICE_SERVERS: '[{"urls":"http://stun.example.com"}]' })).toThrow(/ICE_SERVERS: each URL must start with stun:/);
    expect(() => readEnv(serverEnvSchema, { TURN_URLS: "stun:stun.example.com" })).toThrow(/TURN_URLS: must be a comma-separated list of turn:/);
    expect(() => readEnv(serverEnvSchema, { TURN_SECRET: "short-secret" })).toThrow(/TURN_SECRET: must be at least 16 characters/);
    expect(() => readEnv(serverEnvSchema, { TURN_SECRET: "short-secret" })).not.toThrow(/short-secret/);
    expect(() => callConfigFromEnv(readEnv(serverEnvSchema, { TURN_SECRET: "0123456789abcdef0123" }))).toThrow(
      /TURN_URLS: must be set together with TURN_SECRET/,
    );
  });
});

describe("the node server's environment", () => {
  it("adds its tuning variables to the shared ones", () => {
    const env = readEnv(nodeServerEnvSchema, { PORT: "0", FEED_POLL_INTERVAL_MS: "50" });
    expect(env).toMatchObject({
      PORT: 0,
      LOG_LEVEL: "info",
      DATABASE_POOL_SIZE: 10,
      FEED_POLL_INTERVAL_MS: 50,
      PRESENCE_HEARTBEAT_MS: 5_000,
      PRESENCE_NODE_TTL_MS: 30_000,
    });
  });

  it("names a bad tuning variable", () => {
    expect(() => readEnv(nodeServerEnvSchema, { PRESENCE_NODE_TTL_MS: "0" })).toThrow(
      /PRESENCE_NODE_TTL_MS: must be at least 1/,
    );
    expect(() => readEnv(nodeServerEnvSchema, { DATABASE_POOL_SIZE: "many" })).toThrow(/DATABASE_POOL_SIZE: must be a number/);
  });
});

describe("pushFromEnv", () => {
  const publicKey = "BHQSEPG7oWJW1VpKkZUx2UzPfWv13t98lAFiaZSqnHkGfM1JpksmV-rUUFGzK7tBaTBJbHJuUB5dA2ghyeLp3hY";
  const privateKey = "EkaZvycD0tqb7Z9CPFfyLms6ewtLgYF18Ov8ttOAUdQ";

  it("takes both VAPID keys, or neither, and names the missing one", () => {
    expect(pushFromEnv(readEnv(serverEnvSchema, {}))).toEqual({});
    expect(pushFromEnv(readEnv(serverEnvSchema, { VAPID_PUBLIC_KEY: publicKey, VAPID_PRIVATE_KEY: privateKey }))).toEqual({
      vapidKeys: { publicKey, privateKey },
    });
    expect(() => pushFromEnv(readEnv(serverEnvSchema, { VAPID_PUBLIC_KEY: publicKey }))).toThrow(/VAPID_PRIVATE_KEY: must be set together/);
  });

  it("takes the push services subscriptions may name, and refuses what is not a host", () => {
    expect(pushFromEnv(readEnv(serverEnvSchema, { PUSH_SERVICE_HOSTS: " push.example.com, *.Push.Apple.com ,[::1]" }))).toEqual({
      serviceHosts: ["push.example.com", "*.push.apple.com", "[::1]"],
    });
    expect(pushFromEnv(readEnv(serverEnvSchema, { PUSH_SERVICE_HOSTS: "*" }))).toEqual({ serviceHosts: ["*"] });
    for (const value of ["https://push.example.com", "push.example.com/path", "*push.example.com", ","]) {
      expect(() => readEnv(serverEnvSchema, { PUSH_SERVICE_HOSTS: value })).toThrow(/PUSH_SERVICE_HOSTS: must be a comma-separated list of host names/);
    }
  });

  it("refuses keys of the wrong size and subjects push services cannot use", () => {
    expect(() => readEnv(serverEnvSchema, { VAPID_PUBLIC_KEY: privateKey })).toThrow(/VAPID_PUBLIC_KEY: must be an uncompressed P-256 public key/);
    expect(() => readEnv(serverEnvSchema, { VAPID_PRIVATE_KEY: "not a key" })).toThrow(/VAPID_PRIVATE_KEY/);
    expect(() => readEnv(serverEnvSchema, { VAPID_SUBJECT: "admin@example.com" })).toThrow(/VAPID_SUBJECT: must be a mailto: address or an https:\/\/ URL/);
    expect(readEnv(serverEnvSchema, { VAPID_SUBJECT: "https://chat.example.com" }).VAPID_SUBJECT).toBe("https://chat.example.com");
  });
});

