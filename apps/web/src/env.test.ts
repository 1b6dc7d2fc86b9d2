import { resolve } from "node:path";

import { describe, expect, it } from "vitest";

import { readServerEnv, repositoryRoot } from "./env";

describe("readServerEnv", () => {
  it("runs with no environment at all: PGlite in .data at the repository root, on localhost:3000", () => {
    const env = readServerEnv({});
    expect(env).toMatchObject({
      nodeEnv: "development",
      databaseUrl: undefined,
      redisUrl: undefined,
      port: 3000,
      host: "127.0.0.1",
      allowedOrigins: ["http://localhost:3000", "http://127.0.0.1:3000"],
      dataDir: resolve(repositoryRoot, ".data"),
      logLevel: "info",
      sendRate: { burst: 30, perSecond: 10 },
    });
  });

  it("derives the default allowed origins from PORT and treats empty variables as unset", () => {
    const env = readServerEnv({ PORT: "8080", ALLOWED_ORIGINS: "", LOG_LEVEL: "" });
    expect(env.allowedOrigins).toEqual(["http://localhost:8080", "http://127.0.0.1:8080"]);
    expect(env.logLevel).toBe("info");
  });

  it("reads every variable", () => {
    const env = readServerEnv({
      NODE_ENV: "production",
      DATABASE_URL: "postgres://parley:secret@db:5432/parley",
      REDIS_URL: "redis://cache:6379",
      PORT: "443",
      HOST: "0.0.0.0",
      ALLOWED_ORIGINS: "https://chat.example.com, https://www.chat.example.com",
      DATA_DIR: "/var/lib/parley",
      LOG_LEVEL: "warn",
      SEND_RATE_BURST: "5",
      SEND_RATE_PER_SECOND: "0.5",
      TRUSTED_PROXIES: "10.0.0.2,10.1.0.0/16",
      METRICS_PORT: "9464",
      VAPID_PUBLIC_KEY: "BHQSEPG7oWJW1VpKkZUx2UzPfWv13t98lAFiaZSqnHkGfM1JpksmV-rUUFGzK7tBaTBJbHJuUB5dA2ghyeLp3hY",
      VAPID_PRIVATE_KEY: "EkaZvycD0tqb7Z9CPFfyLms6ewtLgYF18Ov8ttOAUdQ",
      VAPID_SUBJECT: "mailto:admin@chat.example.com",
    });
    expect(env).toEqual({
      nodeEnv: "production",
      databaseUrl: "postgres://parley:secret@db:5432/parley",
      redisUrl: "redis://cache:6379",
      port: 443,
      host: "0.0.0.0",
      allowedOrigins: ["https://chat.example.com", "https://www.chat.example.com"],
      dataDir: "/var/lib/parley",
      logLevel: "warn",
      sendRate: { burst: 5, perSecond: 0.5 },
      trustedProxies: ["10.0.0.2", "10.1.0.0/16"],
      metricsPort: 9464,
      push: {
        vapidKeys: { publicKey: "BHQSEPG7oWJW1VpKkZUx2UzPfWv13t98lAFiaZSqnHkGfM1JpksmV-rUUFGzK7tBaTBJbHJuUB5dA2ghyeLp3hY", privateKey: "EkaZvycD0tqb7Z9CPFfyLms6ewtLgYF18Ov8ttOAUdQ" },
        subject: "mailto:admin@chat.example.com",
      },
      limits: {
        signUpRate: { burst: 10, perSecond: 20 / 3_600 },
        transportLimits: {
          maxBatchCalls: 50,
          maxSubscriptionsPerSocket: 10,
          maxCallsInFlightPerSocket: 32,
          maxSocketBufferedBytes: 1_048_576,
          maxCallsRunningPerCaller: 4,
        },
        database: { connectTimeoutMs: 2_000, statementTimeoutMs: 5_000 },
        media: { maxUploadBytes: 26_214_400, allowedTypes: expect.arrayContaining(["image/jpeg", "audio/*"]), uploadsPerMinute: 30 },
      },
      storage: { driver: "local", directory: "/var/lib/parley/media" },
      calls: { iceServers: [], turn: null },
    });
  });

  it("names each bad variable without echoing secrets", () => {
    const read = () =>
      readServerEnv({
        DATABASE_URL: "mysql://root:hunter2@db/parley",
        PORT: "http",
        ALLOWED_ORIGINS: "https://chat.example.com/app",
        SEND_RATE_BURST: "0",
      });
    expect(read).toThrow(/DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(read).toThrow(/PORT: must be a port number/);
    expect(read).toThrow(/ALLOWED_ORIGINS: must be a comma-separated list of origins/);
    expect(read).toThrow(/SEND_RATE_BURST: must be at least 1/);
    expect(read).not.toThrow(/hunter2/);
  });

  it("refuses PORT=0, which only the standalone node server can use", () => {
    expect(() => readServerEnv({ PORT: "0" })).toThrow(/PORT: must be between 1 and 65535/);
  });
});
