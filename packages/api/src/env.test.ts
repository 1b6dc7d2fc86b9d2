import { describe, expect, it } from "vitest";

import { callConfigFromEnv, InvalidEnvError, limitsFromEnv, nodeServerEnvSchema, readEnv, serverEnvSchema } from "./env";

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
      transportLimits: { maxBatchCalls: 20, maxSubscriptionsPerSocket: 4, maxCallsInFlightPerSocket: 8, maxSocketBufferedBytes: 65_536 },
      database: { connectTimeoutMs: 1_500, statementTimeoutMs: 8_000 },
    });
    expect(() => readEnv(serverEnvSchema, { WS_MAX_BUFFERED_BYTES: "0" })).toThrow(/WS_MAX_BUFFERED_BYTES: must be at least 1/);
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
