import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";

import postgres from "postgres";
import { WebSocket } from "ws";

import {
  createNodeRequestListener,
  createWebSocketTransport,
  startServices,
  type BlobStoreConfig,
  type ParleyConfig,
  type ParleyServices,
  type StartServicesOptions,
  type StreamEvent,
} from "@parley/api";
import type { Clock } from "@parley/auth";
import { createDb, type DatabaseHandle } from "@parley/db/client";
import { migrate } from "@parley/db/migrate";

import { createParleyClient, type ConversationView, type ParleyClient, type PublicUser } from "../src/index";

export interface TestDatabase {
  handle: DatabaseHandle;
  /** A URL another process can use; null on in-memory PGlite. */
  url: string | null;
  drop: () => Promise<void>;
}

/** A fresh, migrated database: its own Postgres database when DATABASE_URL is set, else PGlite in memory. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) {
    const handle = createDb({ memory: true });
    await migrate(handle);
    return { handle, url: null, drop: () => handle.close() };
  }
  const name = `parley_t_${randomBytes(6).toString("hex")}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const handle = createDb({ url: url.toString(), maxConnections: 10 });
  await migrate(handle);
  return {
    handle,
    url: url.toString(),
    drop: async () => {
      await handle.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/** The rows of one SQL statement run straight on the test database, for what the API does not show. */
export async function queryRows<TRow>(database: TestDatabase, text: string, parameters: unknown[] = []): Promise<TRow[]> {
  const { postgres: client, pglite } = database.handle;
  if (client) return (await client.unsafe(text, parameters as never[])) as unknown as TRow[];
  if (pglite) return (await pglite.query<TRow>(text, parameters)).rows;
  throw new Error("the test database has neither a Postgres nor a PGlite client");
}

export interface TestUser {
  client: ParleyClient;
  user: PublicUser;
  token: string;
  username: string;
  password: string;
}

export interface TestServer {
  url: string;
  services: ParleyServices;
  database: TestDatabase;
  /** A client with no session. */
  anonymous: () => ParleyClient;
  /** Registers a new user and returns a signed-in client for them. */
  signUp: (name?: string) => Promise<TestUser>;
  /** Another signed-in client (device) for an existing user. */
  signIn: (user: Pick<TestUser, "username" | "password">) => Promise<TestUser>;
  /** Drops every open WebSocket, as a network cut would. */
  cutConnections: () => void;
  stop: () => Promise<void>;
}

export interface StartTestServerOptions {
  sendRate?: { burst: number; perSecond: number };
  clock?: Clock;
  database?: TestDatabase;
  redisUrl?: string;
  /** TRUSTED_PROXIES: the load balancers whose X-Forwarded-For names the client. */
  trustedProxies?: readonly string[];
  /** Limits beyond the send rate (sign-ups, per-connection limits, uploads, calls). */
  config?: Pick<ParleyConfig, "signUpRate" | "transportLimits" | "webSocketKeepAlive" | "media" | "calls">;
  /** Web Push settings (a test push service's certificate authority, retry timing). */
  push?: StartServicesOptions["push"];
  /** Attachment storage; absent: a fresh folder under the system temp folder. */
  blobStore?: BlobStoreConfig;
}

export const testOrigin = "http://parley.test";

export async function startTestServer(options: StartTestServerOptions = {}): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase());
  const mediaDir = options.blobStore ? null : await mkdtemp(join(tmpdir(), "parley-media-"));
  const services = await startServices({
    blobStore: options.blobStore ?? { driver: "local", directory: mediaDir as string },
    db: database.handle.db,
    clock: options.clock,
    redisUrl: options.redisUrl,
    feedPollIntervalMs: 500,
    push: options.push,
    config: {
      allowedOrigins: [testOrigin],
      sendRate: options.sendRate ?? { burst: 30, perSecond: 10 },
      secureCookies: false,
      trustedProxies: options.trustedProxies,
      ...options.config,
    },
  });
  const listener = createNodeRequestListener(services);
  const webSocket = createWebSocketTransport(services);
  const server: Server = createServer((request, response) => void listener(request, response));
  const upgradedSockets = new Set<Duplex>();
  server.on("upgrade", (request, socket, head) => {
    if (!webSocket.handles(request)) {
      socket.destroy();
      return;
    }
    upgradedSockets.add(socket);
    socket.on("close", () => upgradedSockets.delete(socket));
    webSocket.handleUpgrade(request, socket, head);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: ParleyClient[] = [];

  const newClient = (token?: string): ParleyClient => {
    const client = createParleyClient({
      url,
      token,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      retryDelayMs: () => 20,
    });
    clients.push(client);
    return client;
  };

  return {
    url,
    services,
    database,
    anonymous: () => newClient(),
    signUp: async (name) => {
      const username = `${name ?? "user"}_${randomUUID().slice(0, 8)}`;
      const password = `pw-${randomUUID()}`;
      const client = newClient();
      const { user, token } = await client.api.auth.register.mutate({ username, password, displayName: name ?? username });
      if (!token) throw new Error("register returned no token");
      return { client, user, token, username, password };
    },
    signIn: async ({ username, password }) => {
      const client = newClient();
      const { user, token } = await client.api.auth.login.mutate({ username, password });
      if (!token) throw new Error("login returned no token");
      return { client, user, token, username, password };
    },
    cutConnections: () => {
      // Destroying the TCP socket is what a dropped network looks like to both ends.
      for (const socket of upgradedSockets) socket.destroy();
    },
    stop: async () => {
      await Promise.all(clients.map((client) => client.close()));
      await webSocket.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await services.stop();
      if (!options.database) await database.drop();
      if (mediaDir) await rm(mediaDir, { recursive: true, force: true });
    },
  };
}

/** A signed-in user as the helpers below need them, on an in-process server or a node process. */
export type SignedInUser = Pick<TestUser, "client" | "user" | "username">;

/** Makes two users friends through the API. */
export async function befriend(a: SignedInUser, b: SignedInUser): Promise<void> {
  await a.client.api.friends.request.mutate({ username: b.username });
  await b.client.api.friends.accept.mutate({ userId: a.user.id });
}

export interface EventRecorder {
  events: StreamEvent[];
  /** Resolves with the first recorded event (past or future) matching `predicate`. */
  next: <TEvent extends StreamEvent>(predicate: (event: StreamEvent) => event is TEvent, timeoutMs?: number) => Promise<TEvent>;
  waitFor: (predicate: (event: StreamEvent) => boolean, timeoutMs?: number) => Promise<StreamEvent>;
  /** Resolves once the subscription is live on the server. */
  ready: Promise<void>;
  /** The position of the last event received, to resume from. */
  lastEventId: () => string | null;
  stop: () => void;
}

/** Subscribes to `events.stream` (resuming after `lastEventId` when given) and records everything it yields. */
export function recordEvents(client: ParleyClient, lastEventId?: string): EventRecorder {
  const events: StreamEvent[] = [];
  let lastId: string | null = null;
  const waiters: { predicate: (event: StreamEvent) => boolean; resolve: (event: StreamEvent) => void }[] = [];
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const subscription = client.api.events.stream.subscribe(
    lastEventId ? { lastEventId } : {},
    {
      onStarted: () => markReady(),
      onData: (envelope) => {
        const tracked = typeof envelope === "object" && envelope !== null && "data" in envelope && "id" in envelope;
        const event = (tracked ? envelope.data : envelope) as StreamEvent;
        if (tracked) lastId = envelope.id;
        events.push(event);
        for (const waiter of [...waiters]) {
          if (waiter.predicate(event)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(event);
          }
        }
      },
    },
  );
  const waitFor = (predicate: (event: StreamEvent) => boolean, timeoutMs = 5_000) => {
    const found = events.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise<StreamEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timed out waiting for an event")), timeoutMs);
      waiters.push({
        predicate,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      });
    });
  };
  return {
    events,
    ready,
    waitFor,
    next: (predicate, timeoutMs) => waitFor(predicate, timeoutMs) as never,
    lastEventId: () => lastId,
    stop: () => subscription.unsubscribe(),
  };
}

/** Records `events.stream` once it is live, so nothing committed afterwards can be missed. */
export async function listen(client: ParleyClient, lastEventId?: string): Promise<EventRecorder> {
  const recorder = recordEvents(client, lastEventId);
  await recorder.waitFor((event) => event.type === "stream.ready");
  return recorder;
}

/** A group owned by `owner` with `members`, each befriended with the owner first. */
export async function createGroup(owner: SignedInUser, members: SignedInUser[], title = "Team"): Promise<ConversationView> {
  for (const member of members) await befriend(owner, member);
  return owner.client.api.conversations.createGroup.mutate({
    title,
    memberIds: members.map((member) => member.user.id),
  });
}

/** Resolves once `condition` holds, checking every 25 ms; throws naming `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
