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

import type { AppRouter, PublicUser } from "@parley/api";

export type { AppRouter };
export type {
  AttachmentKind,
  AttachmentView,
  StickerView,
  UploadTarget,
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
  /** The WebSocket class; without one, the global one, or else the `ws` package's (Node 20). */
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
  /**
   * Uploads a file for a conversation and returns its `attachmentId`, ready to pass to
   * `messages.send({ attachmentIds })`: asks for an upload, sends the bytes where the server
   * says (Parley itself or S3-compatible storage), then has the server check them.
   */
  uploadAttachment: (options: UploadAttachmentOptions) => Promise<string>;
  /**
   * Uploads an image and makes it the signed-in user's profile picture (a 256-pixel square;
   * `crop` in the upright image's pixels, else the centre). Returns the updated user.
   */
  uploadAvatar: (options: UploadAvatarOptions) => Promise<PublicUser>;
}

export interface UploadAvatarOptions {
  file: UploadSource;
  /** The type to declare: an image type; default: the Blob's type. */
  contentType?: string;
  crop?: { x: number; y: number; side: number };
  onProgress?: UploadAttachmentOptions["onProgress"];
}

/** A file's bytes: a browser `Blob`/`File`, a Node `Buffer` or any bytes, or a stream of them. */
export type UploadSource = Blob | ArrayBuffer | Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

export interface UploadAttachmentOptions {
  conversationId: string;
  file: UploadSource;
  /** Shown to the recipients; required unless `file` is a `File`. */
  name?: string;
  /** The type to declare; the server decides from the bytes. Default: the Blob's type, else application/octet-stream. */
  contentType?: string;
  /** Bytes sent so far (in browsers as they go; elsewhere at the start and the end). */
  onProgress?: (progress: { loaded: number; total: number }) => void;
  /** What the device measured of a recording or a video, used when the server cannot measure it. */
  metadata?: { durationMs?: number; waveform?: number[]; width?: number; height?: number };
}

/** The storage service or Parley refused the bytes of an upload. */
export class ParleyUploadError extends Error {
  override name = "ParleyUploadError";
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function defaultRetryDelayMs(attempt: number): number {
  const base = Math.min(250 * 2 ** attempt, 5_000);
  return base / 2 + Math.random() * (base / 2);
}

/**
 * Calls that are safe to repeat after an answer that may have come after the work was done: reads,
 * and the mutations the server de-duplicates (a send by its clientId, a read position only moves on).
 */
const repeatableMutations = new Set(["messages.send", "messages.markRead", "conversations.typing", "attachments.complete"]);
/** A server that is briefly without its database answers SERVICE_UNAVAILABLE; such calls are retried this often. */
const unavailableRetries = 4;

function unavailableRetryDelayMs(attempt: number): number {
  return Math.min(250 * 2 ** attempt, 2_000);
}

/** Errors after which resubscribing cannot help. */
const finalErrorCodes = new Set(["UNAUTHORIZED", "FORBIDDEN", "BAD_REQUEST", "NOT_FOUND"]);

/**
 * The WebSocket class when none is passed: the runtime's own, or on Node 20 (which has none) the
 * `ws` package, loaded through Node's require so that browser bundles never see it.
 */
function defaultWebSocketClass(): typeof globalThis.WebSocket | undefined {
  if (typeof globalThis.WebSocket === "function") return globalThis.WebSocket;
  const getBuiltinModule = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  if (typeof getBuiltinModule !== "function") return undefined;
  try {
    const { createRequire } = getBuiltinModule("node:module") as { createRequire: (from: string) => (id: string) => unknown };
    const ws = createRequire(import.meta.url)("ws") as { WebSocket?: typeof globalThis.WebSocket };
    return ws.WebSocket;
  } catch {
    return undefined;
  }
}

async function toBlob(file: UploadSource, contentType: string | undefined): Promise<Blob> {
  if (file instanceof Blob) return file;
  if (file instanceof ArrayBuffer || ArrayBuffer.isView(file)) return new Blob([file as BlobPart], contentType ? { type: contentType } : {});
  const chunks: BlobPart[] = [];
  if (typeof (file as ReadableStream<Uint8Array>).getReader === "function") {
    const reader = (file as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value as BlobPart);
    }
  } else {
    for await (const chunk of file as AsyncIterable<Uint8Array>) chunks.push(chunk as BlobPart);
  }
  return new Blob(chunks, contentType ? { type: contentType } : {});
}

async function uploadErrorOf(status: number, text: string): Promise<ParleyUploadError> {
  let message = text.trim().slice(0, 500);
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } };
    if (parsed.error?.message) message = parsed.error.message;
  } catch {
    const xml = /<Message>([^<]*)<\/Message>/.exec(text);
    if (xml?.[1]) message = xml[1];
  }
  return new ParleyUploadError(status, message || `The upload failed with HTTP ${status}`);
}

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
  const WebSocketImpl = (options.WebSocket as typeof globalThis.WebSocket | undefined) ?? defaultWebSocketClass();
  const retryDelayMs = options.retryDelayMs ?? defaultRetryDelayMs;

  function setState(next: ConnectionState): void {
    if (next === state) return;
    state = next;
    for (const listener of listeners) listener(next);
  }

  function connectWebSocket() {
    if (!WebSocketImpl) {
      throw new Error("No WebSocket class: install the `ws` package, or pass `WebSocket` to createParleyClient");
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

  /** Sends an upload's bytes as the server said; the token goes only to Parley itself, never to a bucket. */
  async function sendBytes(target: { url: string; method: "PUT" | "POST"; headers?: Record<string, string>; fields?: Record<string, string> }, blob: Blob, name: string, onProgress?: UploadAttachmentOptions["onProgress"]): Promise<void> {
    const url = new URL(target.url, options.url);
    const toParley = url.origin === new URL(options.url).origin;
    const headers: Record<string, string> = { ...target.headers, ...(toParley && token ? { authorization: `Bearer ${token}` } : {}) };
    let body: Blob | FormData = blob;
    if (target.method === "POST") {
      const form = new FormData();
      for (const [field, value] of Object.entries(target.fields ?? {})) form.append(field, value);
      form.append("file", blob, name);
      body = form;
    }
    const total = blob.size;
    onProgress?.({ loaded: 0, total });
    const XHR = (globalThis as { XMLHttpRequest?: typeof XMLHttpRequest }).XMLHttpRequest;
    if (XHR && onProgress) {
      // Only XMLHttpRequest reports upload progress in browsers.
      await new Promise<void>((resolve, reject) => {
        const request = new XHR();
        request.open(target.method, url.toString());
        request.withCredentials = toParley && options.credentials === "include";
        for (const [name, value] of Object.entries(headers)) request.setRequestHeader(name, value);
        request.upload.onprogress = (event) => onProgress({ loaded: event.loaded, total });
        request.onload = () => {
          if (request.status >= 200 && request.status < 300) resolve();
          else void uploadErrorOf(request.status, String(request.responseText)).then(reject);
        };
        request.onerror = () => reject(new ParleyUploadError(0, "The upload could not reach the server"));
        request.send(body);
      });
    } else {
      const response = await (options.fetch ?? globalThis.fetch)(url, {
        method: target.method,
        headers,
        body,
        ...(toParley && options.credentials ? { credentials: options.credentials } : {}),
      });
      if (!response.ok) throw await uploadErrorOf(response.status, await response.text());
    }
    onProgress?.({ loaded: total, total });
  }

  const client: ParleyClient = {
    uploadAttachment: async (upload) => {
      const fileName = upload.name ?? (typeof File !== "undefined" && upload.file instanceof File ? upload.file.name : undefined);
      if (!fileName) throw new TypeError("uploadAttachment needs a `name` unless `file` is a File");
      const blob = await toBlob(upload.file, upload.contentType);
      const contentType = upload.contentType ?? (blob.type || "application/octet-stream");
      const { attachmentId, upload: target } = await api.attachments.createUpload.mutate({
        conversationId: upload.conversationId,
        name: fileName,
        size: blob.size,
        contentType,
      });
      await sendBytes(target, blob, fileName, upload.onProgress);
      await api.attachments.complete.mutate({ attachmentId, ...upload.metadata });
      return attachmentId;
    },
    uploadAvatar: async (upload) => {
      const blob = await toBlob(upload.file, upload.contentType);
      const contentType = upload.contentType ?? blob.type;
      if (!contentType) throw new TypeError("uploadAvatar needs a `contentType` unless `file` is a Blob with a type");
      const { uploadId, upload: target } = await api.users.createAvatarUpload.mutate({ size: blob.size, contentType });
      await sendBytes(target, blob, "avatar", upload.onProgress);
      return api.users.setAvatar.mutate({ uploadId, crop: upload.crop });
    },
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
