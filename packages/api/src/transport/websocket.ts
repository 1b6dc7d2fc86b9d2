import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

import {
  callTRPCProcedure,
  getTRPCErrorFromUnknown,
  getTRPCErrorShape,
  isTrackedEnvelope,
  TRPCError,
  type TRPCProcedureType,
} from "@trpc/server";
import { parseConnectionParamsFromUnknown } from "@trpc/server/http";
import { parseTRPCMessage, type TRPCClientOutgoingMessage, type TRPCResponseMessage } from "@trpc/server/rpc";
import { WebSocketServer, type RawData, type WebSocket } from "ws";

import { DomainError } from "../errors";
import { isOriginAllowed } from "../origin";
import { appRouter } from "../root";
import type { ParleyServices } from "../services";
import { readSessionCookie } from "../session-cookie";
import { createContext, type Context } from "../trpc";
import { createClientAddressResolver } from "./client-address";
import { trpcEndpoint } from "./http";
import { defaultTransportLimits } from "./limits";

/** Largest accepted WebSocket frame. */
export const maxWebSocketFrameBytes = 64 * 1024;

/** How the server closes a socket; after each, the SDK reconnects and resumes from its last event id. */
export const webSocketCloseCodes = {
  /** Shutdown (SIGTERM): reconnect, to another node or to this one once it is back. */
  serviceRestart: 1012,
  /** The client stopped reading and its unsent frames passed the limit: reconnect and resume. */
  tryAgainLater: 1013,
} as const;

/** How long a closing socket gets to finish its close handshake before it is cut. */
const closeGraceMs = 1_000;
/**
 * A socket closed for falling behind holds at most its limit meanwhile (nothing more is queued),
 * and its client sees the close code only once it reads up to it: it gets longer.
 */
const slowConsumerCloseGraceMs = 10_000;

/**
 * A client silent since the previous keep-alive sweep (10 to 20 s) is sent "PING": well inside
 * the 60 s idle timeouts common in proxies, and often enough that a client whose network is
 * gone (no close ever arrives) is cut, and shown offline to its friends, within 30 s…
 */
const defaultKeepAlive = {
  sweepMs: 10_000,
  /** …as it is if nothing arrives within this long after the "PING" (shorter than a sweep). */
  pongWaitMs: 8_000,
};

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

/** The last frame built for each event, with the ids it was built for. */
const eventFrameCache = new WeakMap<object, { ids: string; frame: Buffer }>();

/**
 * A message's frame. A stream event's frame differs between subscribers only in the
 * subscription's id (and a typing notice's position), which is nearly always the same: then every
 * socket is handed the one Buffer, encoded once, instead of a string ws would encode per socket.
 */
function frameOf(message: unknown): string | Buffer {
  // Only the stream's tracked events: they are never mutated once the feed has them.
  if (!isObject(message) || !isObject(message.result) || typeof message.result.id !== "string") return subscriptionEncoder.encode(message);
  const { data } = message.result;
  if (!isObject(data) || data.id !== message.result.id || !isObject(data.data)) return subscriptionEncoder.encode(message);
  const event = data.data;
  const ids = `${String(message.id)} ${String(message.jsonrpc)} ${message.result.id}`;
  const cached = eventFrameCache.get(event);
  if (cached?.ids === ids) return cached.frame;
  const frame = Buffer.from(subscriptionEncoder.encode(message));
  eventFrameCache.set(event, { ids, frame });
  return frame;
}

export interface WebSocketTransport {
  /** Whether this transport serves the upgrade request's path. */
  handles: (request: IncomingMessage) => boolean;
  handleUpgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Asks every client to reconnect (to another process) before shutdown. */
  broadcastReconnect: () => void;
  connectionCount: () => number;
  close: () => Promise<void>;
}

/**
 * The upgrade request's headers that a WebSocket context reads: the token's (`authorization`,
 * `cookie`), the cookie origin check's and the session record's (`origin`, `user-agent`). The
 * rest of the request is not kept: a socket lives for hours.
 */
const contextHeaderNames = ["authorization", "cookie", "origin", "user-agent"] as const;

function contextHeaders(request: IncomingMessage): Headers {
  const headers = new Headers();
  for (const name of contextHeaderNames) {
    const value = request.headers[name];
    if (typeof value === "string") headers.set(name, value);
  }
  return headers;
}

/** Read with the same parser as the session lookup, so that no spelling of the cookie skips the origin check. */
function hasSessionCookie(request: IncomingMessage): boolean {
  return readSessionCookie(request.headers.cookie) !== undefined;
}

function expectsConnectionParams(request: IncomingMessage): boolean {
  return new URL(request.url ?? "/", "http://localhost").searchParams.get("connectionParams") === "1";
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return isObject(value) && Symbol.asyncIterator in value;
}

/**
 * Seconds from a new message's commit to now, for the delivery-lag histogram: its `createdAt`
 * is stamped by the database in the send's transaction. Null for any other event.
 */
function messageAgeSeconds(event: unknown): number | null {
  if (!isObject(event) || event.type !== "message.created" || !isObject(event.message)) return null;
  const { createdAt } = event.message;
  return typeof createdAt === "string" ? (Date.now() - Date.parse(createdAt)) / 1_000 : null;
}

function isStreamReady(event: unknown): boolean {
  return isObject(event) && event.type === "stream.ready";
}

function isAbortError(cause: unknown): boolean {
  return isObject(cause) && cause.name === "AbortError";
}

/** A procedure's raw input, as tRPC's `getRawInput` hands it over. */
function rawInputOf(input: unknown): () => Promise<unknown> {
  return async () => input;
}

type RequestId = string | number;
type ContextResult = { ok: true; ctx: Context } | { ok: false; error: TRPCError };
type Call = { type: TRPCProcedureType | "unknown"; path?: string; input?: unknown };

/** What stands in for a generator's next value once its subscription is stopped. */
const stopped = Symbol("stopped");

/** A live subscription: stopping it aborts the procedure's signal and ends the wait for its next value. */
class Subscription extends AbortController {
  readonly id: RequestId;
  #interruptWait: ((value: typeof stopped) => void) | null = null;

  constructor(id: RequestId) {
    super();
    this.id = id;
  }

  /**
   * The generator's next value, or `stopped` as soon as the subscription is stopped. (Racing
   * `next()` against one long-lived "stopped" promise would add a reaction to it per value.)
   */
  next(iterator: AsyncIterator<unknown>): Promise<IteratorResult<unknown> | typeof stopped> {
    if (this.signal.aborted) return Promise.resolve(stopped);
    return new Promise((resolve, reject) => {
      this.#interruptWait = resolve;
      iterator.next().then(resolve, reject);
    });
  }

  stop(): void {
    if (!this.signal.aborted) this.abort();
    this.#interruptWait?.(stopped);
    this.#interruptWait = null;
  }
}

/**
 * tRPC over WebSocket on `/api/trpc`, attached to an existing HTTP server's upgrades.
 *
 * It speaks the wire protocol of `@trpc/server/adapters/ws` (connection params, calls, batches,
 * subscriptions with started / data / stopped, `subscription.stop`, "PING" / "PONG", reconnect
 * notices, the same errors) and runs every call through tRPC itself: `callTRPCProcedure` (the
 * router, its middlewares, input parsers and error formatter). What it does differently is keep
 * little per socket, since a chat server holds tens of thousands of mostly idle ones: one
 * object per socket and one per subscription, listeners shared by all sockets, one keep-alive
 * timer for all of them, and none of the upgrade request beyond the headers its context reads.
 * With tRPC's adapter a socket with its `events.stream` held about 23 KiB of heap (its handler
 * keeps some 50 closures and 20 promises per socket); with this one, about 10 KiB.
 */
export function createWebSocketTransport(services: ParleyServices): WebSocketTransport {
  const config = appRouter._def._config;
  const { metrics } = services;
  const clientAddress = createClientAddressResolver(services.config.trustedProxies);
  // Compression is off (as is ws's default): a deflate context per socket would cost more than
  // everything else the socket holds, for frames that are mostly small JSON.
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxWebSocketFrameBytes, perMessageDeflate: false, clientTracking: false });
  const connections = new Map<WebSocket, Connection>();
  const limits = { ...defaultTransportLimits, ...services.config.transportLimits };
  const keepAliveTiming = services.config.webSocketKeepAlive ?? defaultKeepAlive;

  /** A socket whose client stopped reading: closed (its close frame waits behind the unread data), then cut. */
  function cutSlowConsumer(socket: WebSocket): void {
    services.logger.warn({ bufferedBytes: socket.bufferedAmount }, "websocket closed: the client stopped reading");
    socket.close(webSocketCloseCodes.tryAgainLater, "Too far behind: reconnect and resume");
    setTimeout(() => socket.terminate(), slowConsumerCloseGraceMs).unref();
  }

  function send(socket: WebSocket, message: TRPCResponseMessage): void {
    // Replies to a socket that is closing are dropped, as tRPC's adapter drops them.
    if (socket.readyState !== socket.OPEN) return;
    // Unsent frames would otherwise grow without bound for a client that stopped reading; its
    // resume from the log brings back everything this drops.
    if (socket.bufferedAmount > limits.maxSocketBufferedBytes) {
      cutSlowConsumer(socket);
      return;
    }
    const { serialize } = config.transformer.output;
    const transformed =
      "error" in message
        ? { ...message, error: serialize(message.error) }
        : "data" in message.result
          ? { ...message, result: { ...message.result, data: serialize(message.result.data) } }
          : message;
    socket.send(frameOf(transformed), { binary: false });
  }

  function report(error: TRPCError, path: string | undefined): void {
    if (error.code === "INTERNAL_SERVER_ERROR") {
      services.logger.error({ path, err: error.cause ? String(error.cause.stack ?? error.cause) : error.message }, "trpc websocket call failed");
    }
  }

  class Connection {
    readonly socket: WebSocket;
    /** What the context is built from, until it is built. */
    #pending: { headers: Headers; ipAddress: string | undefined } | null;
    /** The context being made; once made, the result itself, so that no settled promise is kept. */
    #context: Promise<ContextResult> | ContextResult | null = null;
    #ctx: Context | undefined;
    /** A list rather than a Map: a socket usually has one subscription, and a Map's table is larger than the rest of it. */
    #subscriptions: Subscription[] | null = null;
    /** Whether anything arrived since the last keep-alive sweep; whether a "PING" is unanswered. */
    heard = true;
    pinged = false;
    /** Queries and mutations of this socket still running. */
    #callsInFlight = 0;

    constructor(socket: WebSocket, request: IncomingMessage) {
      this.socket = socket;
      // The socket's peer, or the client a trusted proxy names in X-Forwarded-For.
      this.#pending = { headers: contextHeaders(request), ipAddress: clientAddress(request) };
      // With `?connectionParams=1` the first frame carries them; otherwise the context is made now.
      if (!expectsConnectionParams(request)) this.#context = this.#makeContext(null);
    }

    async #makeContext(paramsFrame: string | Buffer | null): Promise<ContextResult> {
      const pending = this.#pending;
      this.#pending = null;
      let result: ContextResult;
      try {
        if (!pending) throw new Error("The connection's context was already made");
        this.#ctx = await createContext({
          services,
          headers: pending.headers,
          connectionParams: paramsFrame === null ? null : parseConnectionParamsFrame(paramsFrame),
          transport: "websocket",
          ipAddress: pending.ipAddress,
        });
        result = { ok: true, ctx: this.#ctx };
      } catch (cause) {
        const error = getTRPCErrorFromUnknown(cause);
        report(error, undefined);
        this.#sendError(null, undefined, error, { type: "unknown" });
        setImmediate(() => this.socket.close());
        result = { ok: false, error };
      }
      this.#context = result;
      return result;
    }

    receive(rawData: RawData, isBinary: boolean): void {
      this.heard = true;
      this.pinged = false;
      if (!Buffer.isBuffer(rawData)) {
        const error = new TRPCError({ code: "UNPROCESSABLE_CONTENT", message: "Unexpected WebSocket message format" });
        this.#sendError(null, undefined, error, { type: "unknown" });
        return;
      }
      const data = isBinary ? rawData : rawData.toString("utf8");
      if (data === "PONG") return;
      if (data === "PING") {
        this.socket.send("PONG");
        return;
      }
      if (!this.#context) {
        this.#context = this.#makeContext(data);
        return;
      }
      let messages: TRPCClientOutgoingMessage[];
      try {
        const decoded = subscriptionEncoder.decode(data);
        messages = (Array.isArray(decoded) ? decoded : [decoded]).map((raw) => parseTRPCMessage(raw, config.transformer));
      } catch (cause) {
        this.#sendError(null, undefined, new TRPCError({ code: "PARSE_ERROR", cause }), { type: "unknown" });
        return;
      }
      if (messages.length > limits.maxBatchCalls) {
        const error = new TRPCError({ code: "BAD_REQUEST", message: `A batch may hold at most ${limits.maxBatchCalls} calls` });
        for (const message of messages) if (message.id !== null) this.#sendError(message.id, message.jsonrpc, error, { type: "unknown" });
        return;
      }
      for (const [batchIndex, message] of messages.entries()) {
        void this.#handle(message, batchIndex, this.#context).catch((cause: unknown) => report(getTRPCErrorFromUnknown(cause), undefined));
      }
    }

    closed(): void {
      if (connections.delete(this.socket)) metrics.webSocketConnections.dec();
      for (const subscription of this.#subscriptions ?? []) subscription.stop();
    }

    #sendError(id: RequestId | null, jsonrpc: "2.0" | undefined, error: TRPCError, call: Call): void {
      const shape = getTRPCErrorShape({ config, error, type: call.type, path: call.path, input: call.input, ctx: this.#ctx });
      send(this.socket, { id, jsonrpc, error: shape });
    }

    #fail(id: RequestId, jsonrpc: "2.0" | undefined, cause: unknown, call: Call): void {
      const error = getTRPCErrorFromUnknown(cause);
      report(error, call.path);
      this.#sendError(id, jsonrpc, error, call);
    }

    async #handle(message: TRPCClientOutgoingMessage, batchIndex: number, context: Promise<ContextResult> | ContextResult): Promise<void> {
      const { id, jsonrpc } = message;
      if (id === null) {
        this.#sendError(id, jsonrpc, new TRPCError({ code: "PARSE_ERROR", message: "`id` is required" }), { type: "unknown" });
        return;
      }
      if (message.method === "subscription.stop") {
        this.#subscriptions?.find((subscription) => subscription.id === id)?.stop();
        return;
      }
      const { method: type, params } = message;
      const { path, lastEventId } = params;
      let { input } = params;
      // A resubscribing client names its last event id beside the input; the procedure reads it from the input.
      if (lastEventId !== undefined) input = isObject(input) ? { ...input, lastEventId } : (input ?? { lastEventId });
      // Returned, not awaited: a live subscription keeps only #subscribe's frame.
      if (type === "subscription") return this.#subscribe(id, jsonrpc, { type, path, input }, batchIndex, context);
      const call = { type, path, input };
      if (this.#callsInFlight >= limits.maxCallsInFlightPerSocket) {
        const message = `At most ${limits.maxCallsInFlightPerSocket} calls may run at once on one connection`;
        this.#fail(id, jsonrpc, new TRPCError({ code: "TOO_MANY_REQUESTS", message, cause: new DomainError("TOO_MANY_REQUESTS", message, { retryAfterSeconds: 1 }) }), call);
        return;
      }
      this.#callsInFlight += 1;
      try {
        const result = await context;
        if (!result.ok) throw result.error;
        const data: unknown = await callTRPCProcedure({
          router: appRouter, path, getRawInput: rawInputOf(input), ctx: result.ctx, type, signal: undefined, batchIndex,
        });
        if (isAsyncIterable(data)) {
          throw new TRPCError({ code: "UNSUPPORTED_MEDIA_TYPE", message: `Cannot return an async iterable from a ${type} procedure with WebSockets` });
        }
        send(this.socket, { id, jsonrpc, result: { type: "data", data } });
      } catch (cause) {
        this.#fail(id, jsonrpc, cause, call);
      } finally {
        this.#callsInFlight -= 1;
      }
    }

    /**
     * Runs a subscription: started, its values, stopped (or an error), as one async function so
     * that an idle subscription keeps one suspended frame.
     */
    async #subscribe(id: RequestId, jsonrpc: "2.0" | undefined, call: Call & { path: string }, batchIndex: number, context: Promise<ContextResult> | ContextResult): Promise<void> {
      if (this.#subscriptions?.some((subscription) => subscription.id === id)) {
        this.#fail(id, jsonrpc, new TRPCError({ code: "BAD_REQUEST", message: `Duplicate id ${id}` }), call);
        return;
      }
      if ((this.#subscriptions?.length ?? 0) >= limits.maxSubscriptionsPerSocket) {
        const message = `At most ${limits.maxSubscriptionsPerSocket} subscriptions may be open on one connection`;
        this.#fail(id, jsonrpc, new TRPCError({ code: "TOO_MANY_REQUESTS", message }), call);
        return;
      }
      const subscription = new Subscription(id);
      this.#subscriptions = this.#subscriptions ? [...this.#subscriptions, subscription] : [subscription];
      // A failure to start is answered with the error alone, as tRPC's adapter answers it.
      let answered = false;
      try {
        let iterator: AsyncIterator<unknown> | null = null;
        try {
          const result = await context;
          if (!result.ok) throw result.error;
          if (!subscription.signal.aborted && this.socket.readyState === this.socket.OPEN) {
            const output: unknown = await callTRPCProcedure({
              router: appRouter, path: call.path, getRawInput: rawInputOf(call.input), ctx: result.ctx, type: "subscription", signal: subscription.signal, batchIndex,
            });
            if (!isAsyncIterable(output)) {
              throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: `Subscription ${call.path} did not return an AsyncGenerator` });
            }
            iterator = output[Symbol.asyncIterator]();
          }
        } catch (cause) {
          const error = getTRPCErrorFromUnknown(cause);
          // Stopped while the procedure was starting: that ends quietly.
          if (!(subscription.signal.aborted && error.code === "INTERNAL_SERVER_ERROR" && isAbortError(error.cause))) {
            this.#fail(id, jsonrpc, error, call);
            answered = true;
          }
        }
        if (!iterator) return;
        let failure: { cause: unknown } | null = null;
        if (!subscription.signal.aborted && this.socket.readyState === this.socket.OPEN) {
          send(this.socket, { id, jsonrpc, result: { type: "started" } });
          metrics.streamSubscriptions.inc();
          // Lag is measured on live events only: what the stream replays before its ready marker is old by design.
          let live = false;
          try {
            for (;;) {
              const next = await subscription.next(iterator);
              if (next === stopped || next.done) break;
              const value: unknown = next.value;
              const tracked = isTrackedEnvelope(value);
              send(
                this.socket,
                tracked
                  ? { id, jsonrpc, result: { type: "data", id: value[0], data: { id: value[0], data: value[1] } } }
                  : { id, jsonrpc, result: { type: "data", data: value } },
              );
              const event: unknown = tracked ? value[1] : value;
              if (!live) {
                live = isStreamReady(event);
              } else {
                const ageSeconds = messageAgeSeconds(event);
                if (ageSeconds !== null) metrics.deliveryLagSeconds.observe(Math.max(0, ageSeconds));
              }
            }
          } catch (cause) {
            failure = { cause };
          } finally {
            metrics.streamSubscriptions.dec();
          }
        }
        subscription.stop();
        try {
          await iterator.return?.();
        } catch (cause) {
          report(getTRPCErrorFromUnknown(cause), call.path);
        }
        if (failure) this.#fail(id, jsonrpc, failure.cause, call);
      } finally {
        subscription.stop();
        const others = (this.#subscriptions ?? []).filter((other) => other !== subscription);
        this.#subscriptions = others.length > 0 ? others : null;
        if (!answered) send(this.socket, { id, jsonrpc, result: { type: "stopped" } });
      }
    }
  }

  // Shared by every socket: `this` is the socket that emitted.
  function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    connections.get(this)?.receive(data, isBinary);
  }
  function onClose(this: WebSocket): void {
    connections.get(this)?.closed();
  }
  function onError(cause: Error): void {
    report(getTRPCErrorFromUnknown(cause), undefined);
  }

  // One sweep for every socket: "PING" those silent since the last sweep, then drop the ones
  // still silent a little later. A client's PONG or any other frame counts as an answer.
  let pongCheck: NodeJS.Timeout | null = null;
  const keepAlive = setInterval(() => {
    let pinged = false;
    for (const connection of connections.values()) {
      if (connection.heard) {
        connection.heard = false;
      } else if (!connection.pinged) {
        connection.pinged = true;
        connection.socket.send("PING");
        pinged = true;
      }
    }
    if (!pinged || pongCheck) return;
    pongCheck = setTimeout(() => {
      pongCheck = null;
      for (const connection of connections.values()) if (connection.pinged) connection.socket.terminate();
    }, keepAliveTiming.pongWaitMs);
    pongCheck.unref();
  }, keepAliveTiming.sweepMs);
  keepAlive.unref();

  return {
    handles: (request) => new URL(request.url ?? "/", "http://localhost").pathname === trpcEndpoint,
    handleUpgrade: (request, socket, head) => {
      // A cookie rides along on cross-site upgrades too: only our own pages may use it.
      if (hasSessionCookie(request) && !isOriginAllowed(request.headers.origin ?? null, services.config.allowedOrigins)) {
        refuse(socket, 403, "Forbidden");
        return;
      }
      wss.handleUpgrade(request, socket, head, (client) => {
        connections.set(client, new Connection(client, request));
        metrics.webSocketConnections.inc();
        client.on("message", onMessage);
        client.once("close", onClose);
        client.on("error", onError);
      });
    },
    broadcastReconnect: () => {
      const notice = subscriptionEncoder.encode({ id: null, method: "reconnect" });
      for (const socket of connections.keys()) if (socket.readyState === socket.OPEN) socket.send(notice);
    },
    connectionCount: () => connections.size,
    close: async () => {
      clearInterval(keepAlive);
      if (pongCheck) clearTimeout(pongCheck);
      // A normal close that says why (1012, service restart) rather than a dropped connection
      // (1006); a socket that does not finish the handshake in time is cut.
      const sockets = [...connections.keys()];
      const allClosed = Promise.all(
        sockets.map(
          (socket) =>
            new Promise<void>((resolve) => {
              if (socket.readyState === socket.CLOSED) resolve();
              else socket.once("close", () => resolve());
            }),
        ),
      );
      for (const socket of sockets) socket.close(webSocketCloseCodes.serviceRestart, "Server restarting: reconnect");
      const cutOff = setTimeout(() => {
        for (const socket of sockets) socket.terminate();
      }, closeGraceMs);
      await allClosed;
      clearTimeout(cutOff);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** The first frame of a `?connectionParams=1` socket: `{ method: "connectionParams", data }`. */
function parseConnectionParamsFrame(frame: string | Buffer): Record<string, string | undefined> | null {
  let message: unknown;
  try {
    message = subscriptionEncoder.decode(frame);
    if (!isObject(message)) throw new Error("Message was not an object");
  } catch (cause) {
    throw new TRPCError({ code: "PARSE_ERROR", message: "Malformed TRPCConnectionParamsMessage", cause });
  }
  return parseConnectionParamsFromUnknown(message.data);
}
