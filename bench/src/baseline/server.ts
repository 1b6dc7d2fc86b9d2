/**
 * The baseline: the least a chat server can do for the same durable work as Parley, written
 * with raw `ws` and `postgres` (no Next.js, no tRPC, no Drizzle, no event feed).
 *
 * - POST /send: one statement that bumps the conversation's seq under its row lock, inserts the
 *   message and appends an event row with an id from the same counter row Parley uses, then
 *   fans the message out to the sockets subscribed to the conversation (serialised once).
 * - GET /history: a keyset page of 50 on (conversation_id, seq).
 * - WebSocket /ws: a session token in the Authorization header; the socket hears every
 *   conversation the user belongs to.
 *
 * With REDIS_URL, nodes exchange the serialised frames over one Redis channel.
 * Started through child_process.fork; configured with BASELINE_CONFIG (JSON).
 */
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { Redis } from "ioredis";
import { WebSocketServer, type WebSocket } from "ws";

import { openSqlClient, type DatabaseLocation } from "../sql-client";

interface BaselineConfig {
  database: DatabaseLocation;
  redisUrl?: string;
  channel?: string;
  port?: number;
}

const config = JSON.parse(process.env.BASELINE_CONFIG ?? "{}") as BaselineConfig;
const db = openSqlClient(config.database, { maxConnections: 10 });
const rooms = new Map<string, Set<WebSocket>>();
const origin = randomUUID();

async function authenticate(authorization: string | undefined): Promise<string | null> {
  const token = authorization?.startsWith("Bearer ") ? authorization.slice(7) : "";
  const [id, secret] = token.split(".");
  if (!id || !secret) return null;
  const [row] = await db.query<{ user_id: string; secret_hash: Uint8Array }>(
    "select user_id, secret_hash from sessions where id = $1 and expires_at > now()",
    [id],
  );
  if (!row) return null;
  const hash = createHash("sha256").update(secret).digest();
  return hash.length === row.secret_hash.length && timingSafeEqual(hash, row.secret_hash) ? row.user_id : null;
}

const sendStatement = `
with member as (
  select 1 from conversation_members where conversation_id = $1 and user_id = $2 and left_at is null
), bumped as (
  update conversations set last_seq = last_seq + 1, last_activity_at = now()
  where id = $1 and exists (select 1 from member)
  returning last_seq
), inserted as (
  insert into messages (conversation_id, seq, sender_id, client_id, body)
  select $1, last_seq, $2, $3, $4 from bumped
  returning id, conversation_id, seq, sender_id, client_id, kind, body, created_at
), counter as (
  insert into event_counter (id, value) select 1, 1 from inserted
  on conflict (id) do update set value = event_counter.value + 1
  returning value
), event as (
  insert into events (id, conversation_id, type, payload)
  select counter.value, inserted.conversation_id, 'message.created', jsonb_build_object(
    'type', 'message.created', 'conversationId', inserted.conversation_id, 'message', jsonb_build_object(
      'id', inserted.id, 'conversationId', inserted.conversation_id, 'seq', inserted.seq,
      'senderId', inserted.sender_id, 'clientId', inserted.client_id, 'kind', inserted.kind,
      'body', inserted.body, 'createdAt', inserted.created_at))
  from counter, inserted
  returning id
)
select inserted.id, inserted.seq, inserted.created_at, event.id as event_id from inserted, event`;

interface MessageRow {
  id: string;
  seq: number;
  created_at: Date | string;
  event_id: string | number;
}

function deliver(conversationId: string, frame: string): void {
  for (const socket of rooms.get(conversationId) ?? []) socket.send(frame);
}

const redisPublisher = config.redisUrl ? new Redis(config.redisUrl, { enableOfflineQueue: false }) : null;
if (config.redisUrl && config.channel) {
  const subscriber = new Redis(config.redisUrl);
  void subscriber.subscribe(config.channel);
  subscriber.on("message", (_channel: string, raw: string) => {
    if (raw.startsWith(origin)) return;
    const conversationId = raw.slice(37, 73);
    deliver(conversationId, raw.slice(74));
  });
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => {
      body += chunk;
      if (body.length > 256 * 1024) reject(new Error("body too large"));
    });
    request.on("end", () => resolve(body));
    request.on("error", reject);
  });
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

async function send(userId: string, input: { conversationId: string; clientId: string; body: string }) {
  const [row] = await db.query<MessageRow>(sendStatement, [input.conversationId, userId, input.clientId, input.body]);
  if (!row) return null;
  const message = {
    id: row.id,
    conversationId: input.conversationId,
    seq: row.seq,
    senderId: userId,
    clientId: input.clientId,
    kind: "text",
    body: input.body,
    createdAt: new Date(row.created_at).toISOString(),
  };
  const frame = JSON.stringify({ type: "message.created", eventId: String(row.event_id), message });
  deliver(input.conversationId, frame);
  if (redisPublisher?.status === "ready" && config.channel) {
    redisPublisher.publish(config.channel, `${origin} ${input.conversationId} ${frame}`).catch(() => {});
  }
  return message;
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? "/", "http://localhost");
  if (url.pathname === "/healthz") {
    response.end("ok");
    return;
  }
  const userId = await authenticate(request.headers.authorization);
  if (!userId) return reply(response, 401, { error: "unauthorized" });
  if (request.method === "POST" && url.pathname === "/send") {
    const input = JSON.parse(await readBody(request)) as { conversationId: string; clientId: string; body: string };
    const message = await send(userId, input);
    return message ? reply(response, 200, message) : reply(response, 403, { error: "not a member" });
  }
  if (request.method === "GET" && url.pathname === "/history") {
    const conversationId = url.searchParams.get("conversationId") ?? "";
    const beforeSeq = Number(url.searchParams.get("beforeSeq") ?? 2_147_483_647);
    const limit = Math.min(100, Number(url.searchParams.get("limit") ?? 50));
    const [member] = await db.query(
      "select 1 from conversation_members where conversation_id = $1 and user_id = $2 and left_at is null",
      [conversationId, userId],
    );
    if (!member) return reply(response, 403, { error: "not a member" });
    const rows = await db.query(
      `select id, conversation_id as "conversationId", seq, sender_id as "senderId", client_id as "clientId",
              kind, body, created_at as "createdAt"
       from messages where conversation_id = $1 and seq < $2 order by seq desc limit $3`,
      [conversationId, beforeSeq, limit],
    );
    return reply(response, 200, { messages: rows });
  }
  reply(response, 404, { error: "not found" });
}

const server = createServer((request, response) => {
  handle(request, response).catch((error: unknown) => {
    if (!response.headersSent) reply(response, 500, { error: String(error) });
  });
});
const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });

server.on("upgrade", (request, socket, head) => {
  authenticate(request.headers.authorization)
    .then(async (userId) => {
      if (!userId) {
        socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      const memberships = await db.query<{ conversation_id: string }>(
        "select conversation_id from conversation_members where user_id = $1 and left_at is null",
        [userId],
      );
      wss.handleUpgrade(request, socket, head, (client) => {
        const joined = memberships.map((row) => row.conversation_id);
        for (const conversationId of joined) {
          let room = rooms.get(conversationId);
          if (!room) rooms.set(conversationId, (room = new Set()));
          room.add(client);
        }
        client.on("close", () => {
          for (const conversationId of joined) {
            const room = rooms.get(conversationId);
            room?.delete(client);
            if (room?.size === 0) rooms.delete(conversationId);
          }
        });
        client.send('{"type":"ready"}');
      });
    })
    .catch(() => socket.destroy());
});

server.listen(config.port ?? 0, "127.0.0.1", () => {
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.send?.({ type: "listening", url });
});

process.on("message", (message: { type?: string }) => {
  if (message?.type !== "stats") return;
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  // Read after the collection, as Parley's node does, so neither counts the forced one.
  const cpu = process.cpuUsage();
  process.send?.({
    type: "stats",
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    externalBytes: memory.external,
    arrayBuffersBytes: memory.arrayBuffers,
    webSocketConnections: wss.clients.size,
    cpuUserMicros: cpu.user,
    cpuSystemMicros: cpu.system,
    databaseStatements: db.statementCount(),
  });
});

async function stop(): Promise<void> {
  for (const client of wss.clients) client.terminate();
  server.close();
  server.closeAllConnections();
  redisPublisher?.disconnect();
  await db.close();
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("disconnect", () => void stop());
