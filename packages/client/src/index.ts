import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  retryLink,
  splitLink,
  TRPCClientError,
  wsLink,
  type TRPCClient,
  type TRPCLink,
} from "@trpc/client";
import { observable } from "@trpc/server/observable";

import type { AppRouter } from "@parley/api";

export type { AppRouter };
export type {
  CallEndReason,
  CallIceCandidate,
  CallJoin,
  CallMedia,
  CallOutcome,
  CallParticipantState,
  CallParticipantView,
  CallSessionDescription,
  CallSignal,
  CallState,
  CallView,
  IceServer,
  ConversationEvent,
  ConversationMemberView,
  ConversationSummary,
  ConversationView,
  DisappearingSetting,
  DisappearingStart,
  DurableEvent,
  EphemeralEvent,
  ForwardResult,
  FriendRequestView,
  FriendView,
  MessageKind,
  MessageSearchPage,
  MessageSearchResult,
  MessageView,
  MemberRole,
  PublicUser,
  ReactionView,
  SessionView,
  StreamEvent,
  StreamReadyEvent,
  SystemNotice,
  UserEvent,
} from "@parley/api";
export { TRPCClientError };

/** A WebSocket class with the browser's constructor: the global one, or the `ws` package's. */
export type WebSocketClass = new (url: string, protocols?: string | string[]) => object;

export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

export interface ParleyClientOptions {
  /** The server's base URL, e.g. `http://localhost:3000`. */
  url: string;
  /** A session token from `auth.login` or `auth.register`. Login and register through this
   * client set it automatically; logout clears it. */
  token?: string | null;
  /** The WebSocket class, for runtimes without a global one (Node before 22: `ws`). */
  WebSocket?: WebSocketClass;
  /** The fetch function (defaults to the global one). */
  fetch?: typeof globalThis.fetch;
  /** Browser pages that sign in with the session cookie set `"include"` and pass no token. */
  credentials?: RequestCredentials;
  /** Extra headers for every HTTP request. */
  headers?: Record<string, string>;
  /** Delay before reconnect attempt N (from 0). Default: 250 ms doubling to 5 s, with jitter. */
  retryDelayMs?: (attempt: number) => number;
}

export interface ParleyClient {
  /** The typed tRPC client: queries and mutations over HTTP, subscriptions over WebSocket. */
  api: TRPCClient<AppRouter>;
  /** The token in use, or null. */
  readonly token: string | null;
  /** Switches identity; an open WebSocket reconnects with the new token. */
  setToken: (token: string | null) => void;
  /** The WebSocket's state now. */
  readonly connectionState: ConnectionState;
  /** Calls `listener` on every state change (and once at once); returns the unsubscribe. */
  onConnectionState: (listener: (state: ConnectionState) => void) => () => void;
  /** Closes the WebSocket for good; HTTP calls still work. */
  close: () => Promise<void>;
}

function defaultRetryDelayMs(attempt: number): number {
  const base = Math.min(250 * 2 ** attempt, 5_000);
  return base / 2 + Math.random() * (base / 2);
}

/**
 * Calls that are safe to repeat after an answer that may have come after the work was done: reads,
 * and the mutations the server de-duplicates (a send by its clientId, a read position only moves on).
 */
const repeatableMutations = new Set(["messages.send", "messages.markRead", "conversations.typing"]);
/** A server that is briefly without its database answers SERVICE_UNAVAILABLE; such calls are retried this often. */
const unavailableRetries = 4;

function unavailableRetryDelayMs(attempt: number): number {
  return Math.min(250 * 2 ** attempt, 2_000);
}

/** Errors after which resubscribing cannot help. */
const finalErrorCodes = new Set(["UNAUTHORIZED", "FORBIDDEN", "BAD_REQUEST", "NOT_FOUND"]);

function toWebSocketUrl(base: string): string {
  const url = new URL("/api/trpc", base);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

export function createParleyClient(options: ParleyClientOptions): ParleyClient {
  let token = options.token ?? null;
  let state: ConnectionState = "idle";
  const listeners = new Set<(state: ConnectionState) => void>();
  // `ws` implements the browser's interface; tRPC's types name only the global class.
  const WebSocketImpl = (options.WebSocket ?? globalThis.WebSocket) as typeof globalThis.WebSocket | undefined;
  const retryDelayMs = options.retryDelayMs ?? defaultRetryDelayMs;

  function setState(next: ConnectionState): void {
    if (next === state) return;
    state = next;
    for (const listener of listeners) listener(next);
  }

  function connectWebSocket() {
    if (!WebSocketImpl) {
      throw new Error("No WebSocket class: pass `WebSocket` (e.g. from the `ws` package) to createParleyClient");
    }
    let opened = false;
    const client = createWSClient({
      url: toWebSocketUrl(options.url),
      WebSocket: WebSocketImpl,
      // Read at every (re)connect, so a new token takes effect on the next connection.
      connectionParams: () => (token ? { token } : {}),
      lazy: { enabled: true, closeMs: 0 },
      retryDelayMs,
      onOpen: () => {
        opened = true;
        setState("open");
      },
      onClose: () => setState(opened ? "reconnecting" : "connecting"),
    });
    client.connectionState.subscribe({
      next: (value) => {
        if (value.state === "connecting" && state !== "reconnecting") setState("connecting");
        if (value.state === "idle" && state === "open") setState("idle");
      },
    });
    return client;
  }

  let webSocketClient: ReturnType<typeof createWSClient> | null = null;
  const webSocketClientNow = () => (webSocketClient ??= connectWebSocket());

  /** Routes subscriptions to the current WebSocket client, which a token change replaces. */
  const liveLink: TRPCLink<AppRouter> = (runtime) => (operation) =>
    observable((observer) => {
      const link = wsLink<AppRouter>({ client: webSocketClientNow() })(runtime);
      return link(operation).subscribe(observer);
    });

  /** Keeps the token in step with login, register and logout made through this client. */
  const sessionLink: TRPCLink<AppRouter> = () => ({ op, next }) =>
    observable((observer) =>
      next(op).subscribe({
        next: (envelope) => {
          const data = envelope.result.type === "data" || !envelope.result.type ? envelope.result.data : undefined;
          if ((op.path === "auth.login" || op.path === "auth.register") && isTokenResult(data)) {
            client.setToken(data.token);
          } else if (op.path === "auth.logout") {
            client.setToken(null);
          }
          observer.next(envelope);
        },
        error: (error) => observer.error(error),
        complete: () => observer.complete(),
      }),
    );

  const api = createTRPCClient<AppRouter>({
    links: [
      sessionLink,
      splitLink({
        condition: (operation) => operation.type === "subscription",
        true: [
          // Resubscribes after a stream error, carrying the last event id: resume is exact.
          retryLink({
            retry: ({ error }) => !(error instanceof TRPCClientError && finalErrorCodes.has(String(error.data?.code))),
            retryDelayMs: retryDelayMs,
          }),
          liveLink,
        ],
        false: [
          retryLink({
            retry: ({ op, error, attempts }) =>
              attempts <= unavailableRetries &&
              error.data?.code === "SERVICE_UNAVAILABLE" &&
              (op.type === "query" || repeatableMutations.has(op.path)),
            retryDelayMs: unavailableRetryDelayMs,
          }),
          httpBatchLink({
            url: new URL("/api/trpc", options.url).toString(),
            fetch: options.fetch,
            maxURLLength: 4_000,
            // The server refuses larger batches (API_MAX_BATCH_CALLS, 50 by default).
            maxItems: 50,
            headers: () => ({
              ...options.headers,
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            }),
            ...(options.credentials
              ? {
                  fetch: (input, init) =>
                    (options.fetch ?? globalThis.fetch)(input, { ...init, credentials: options.credentials }),
                }
              : {}),
          }),
        ],
      }),
    ],
  });

  const client: ParleyClient = {
    api,
    get token() {
      return token;
    },
    setToken: (next) => {
      if (next === token) return;
      token = next;
      // Open subscriptions were authorised as the previous identity: start over on a new socket.
      const previous = webSocketClient;
      webSocketClient = null;
      if (previous) void previous.close();
    },
    get connectionState() {
      return state;
    },
    onConnectionState: (listener) => {
      listeners.add(listener);
      listener(state);
      return () => listeners.delete(listener);
    },
    close: async () => {
      const previous = webSocketClient;
      webSocketClient = null;
      await previous?.close();
      setState("closed");
    },
  };
  return client;
}

function isTokenResult(data: unknown): data is { token: string } {
  return (
    typeof data === "object" &&
    data !== null &&
    "token" in data &&
    typeof (data as { token: unknown }).token === "string"
  );
}
