import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

import { applyWSSHandler } from "@trpc/server/adapters/ws";
import { WebSocketServer } from "ws";

import { isOriginAllowed } from "../origin";
import { appRouter } from "../root";
import type { ParleyServices } from "../services";
import { createContext, sessionCookieName } from "../trpc";
import { trpcEndpoint } from "./http";

/** Largest accepted WebSocket frame. */
export const maxWebSocketFrameBytes = 64 * 1024;

/** Each event object's JSON, written once however many subscribers it goes to. */
const eventJsonCache = new WeakMap<object, string>();

function eventJson(event: object): string {
  let json = eventJsonCache.get(event);
  if (json === undefined) {
    json = JSON.stringify(event);
    eventJsonCache.set(event, json);
  }
  return json;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/**
 * tRPC's JSON encoding, except that a subscription's data is serialised once per event rather
 * than once per subscriber: the feed hands the same (never mutated) event object to every
 * subscriber, so only the few bytes around it differ from one socket to the next.
 */
export const subscriptionEncoder = {
  encode: (message: unknown): string => {
    if (!isObject(message) || !isObject(message.result) || message.result.type !== "data" || !("id" in message)) {
      return JSON.stringify(message);
    }
    const { result } = message;
    const head = `{"id":${JSON.stringify(message.id)}${message.jsonrpc === undefined ? "" : `,"jsonrpc":${JSON.stringify(message.jsonrpc)}`}`;
    const { data } = result;
    // A tracked event: { id, data: event }, with the id repeated on the result.
    if (typeof result.id === "string" && isObject(data) && data.id === result.id && isObject(data.data)) {
      const id = JSON.stringify(result.id);
      return `${head},"result":{"type":"data","id":${id},"data":{"id":${id},"data":${eventJson(data.data)}}}}`;
    }
    // An ephemeral event (typing, presence): the event itself.
    if (result.id === undefined && isObject(data) && !Array.isArray(data) && typeof data.type === "string" && Object.keys(result).length === 2) {
      return `${head},"result":{"type":"data","data":${eventJson(data)}}}`;
    }
    return JSON.stringify(message);
  },
  decode: (data: string | ArrayBuffer | Uint8Array): unknown => {
    if (typeof data !== "string") throw new Error("Parley's WebSocket speaks JSON in text frames");
    return JSON.parse(data);
  },
};

export interface WebSocketTransport {
  /** Whether this transport serves the upgrade request's path. */
  handles: (request: IncomingMessage) => boolean;
  handleUpgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Asks every client to reconnect (to another process) before shutdown. */
  broadcastReconnect: () => void;
  connectionCount: () => number;
  close: () => Promise<void>;
}

function toHeaders(request: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === "string") headers.set(name, value);
    else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
  }
  return headers;
}

function hasSessionCookie(request: IncomingMessage): boolean {
  return (request.headers.cookie ?? "").split(";").some((part) => part.trim().startsWith(`${sessionCookieName}=`));
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** tRPC over WebSocket on `/api/trpc`, attached to an existing HTTP server's upgrades. */
export function createWebSocketTransport(services: ParleyServices): WebSocketTransport {
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxWebSocketFrameBytes });
  const handler = applyWSSHandler({
    wss,
    router: appRouter,
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 10_000 },
    experimental_encoder: subscriptionEncoder,
    createContext: ({ req, info }) =>
      createContext({
        services,
        headers: toHeaders(req),
        connectionParams: info.connectionParams,
        transport: "websocket",
        ipAddress: req.socket.remoteAddress,
      }),
    onError: ({ error, path }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") {
        services.logger.error({ path, err: error.cause ? String(error.cause.stack ?? error.cause) : error.message }, "trpc websocket call failed");
      }
    },
  });

  return {
    handles: (request) => new URL(request.url ?? "/", "http://localhost").pathname === trpcEndpoint,
    handleUpgrade: (request, socket, head) => {
      // A cookie rides along on cross-site upgrades too: only our own pages may use it.
      if (hasSessionCookie(request) && !isOriginAllowed(request.headers.origin ?? null, services.config.allowedOrigins)) {
        refuse(socket, 403, "Forbidden");
        return;
      }
      wss.handleUpgrade(request, socket, head, (client) => wss.emit("connection", client, request));
    },
    broadcastReconnect: () => handler.broadcastReconnectNotification(),
    connectionCount: () => wss.clients.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}
