import { randomUUID } from "node:crypto";
import { connect } from "node:net";

import { afterAll, beforeAll, expect, it } from "vitest";
import { WebSocket, type RawData } from "ws";

import { befriend, recordEvents, startTestServer, type TestServer, type TestUser } from "./harness";
import { seededRandom, type SeededRandom } from "./seeded-random";

/**
 * A barrage of malformed HTTP requests and WebSocket frames, generated from a fixed seed. Every
 * one must get a typed tRPC error (or, below tRPC, a 4xx from Node's HTTP parser or a close from
 * the WebSocket server) while a well-behaved pair of users keeps chatting on the same server.
 */

const seed = 1_009;
const httpCaseCount = 760;
const webSocketCaseCount = 320;
const httpConcurrency = 6;
const webSocketLanes = 3;
const maxRequestBodyBytes = 256 * 1024;
const maxWebSocketFrameBytes = 64 * 1024;
const responseTimeoutMs = 15_000;

const typedErrorCodes = new Set([
  "BAD_REQUEST",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "TOO_MANY_REQUESTS",
  "PARSE_ERROR",
  "METHOD_NOT_SUPPORTED",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "UNPROCESSABLE_CONTENT",
]);

type ErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "NOT_FOUND"
  | "PARSE_ERROR"
  | "METHOD_NOT_SUPPORTED"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE";

/* The API's procedures, by the inputs they require */

type FieldKind = "uuid" | "text" | "integer" | "role" | "emoji" | "uuidList";

interface ProcedureShape {
  path: string;
  type: "query" | "mutation";
  /** Public procedures validate input without a session; the others refuse first. */
  isPublic?: boolean;
  /** Required fields only: removing or mistyping any of them must be rejected. */
  fields: Record<string, FieldKind>;
}

const procedures: ProcedureShape[] = [
  { path: "auth.register", type: "mutation", isPublic: true, fields: { username: "text", password: "text" } },
  { path: "auth.login", type: "mutation", isPublic: true, fields: { username: "text", password: "text" } },
  { path: "auth.revokeSession", type: "mutation", fields: { sessionId: "text" } },
  { path: "auth.changePassword", type: "mutation", fields: { currentPassword: "text", newPassword: "text" } },
  { path: "users.search", type: "query", fields: { query: "text" } },
  { path: "users.byId", type: "query", fields: { userId: "uuid" } },
  { path: "users.updateProfile", type: "mutation", fields: { displayName: "text" } },
  { path: "friends.request", type: "mutation", fields: { username: "text" } },
  { path: "friends.accept", type: "mutation", fields: { userId: "uuid" } },
  { path: "friends.decline", type: "mutation", fields: { userId: "uuid" } },
  { path: "friends.cancel", type: "mutation", fields: { userId: "uuid" } },
  { path: "friends.remove", type: "mutation", fields: { userId: "uuid" } },
  { path: "friends.block", type: "mutation", fields: { userId: "uuid" } },
  { path: "friends.unblock", type: "mutation", fields: { userId: "uuid" } },
  { path: "conversations.get", type: "query", fields: { conversationId: "uuid" } },
  { path: "conversations.openDirect", type: "mutation", fields: { userId: "uuid" } },
  { path: "conversations.createGroup", type: "mutation", fields: { title: "text" } },
  { path: "conversations.rename", type: "mutation", fields: { conversationId: "uuid", title: "text" } },
  { path: "conversations.addMembers", type: "mutation", fields: { conversationId: "uuid", userIds: "uuidList" } },
  { path: "conversations.removeMember", type: "mutation", fields: { conversationId: "uuid", userId: "uuid" } },
  { path: "conversations.leave", type: "mutation", fields: { conversationId: "uuid" } },
  { path: "conversations.setRole", type: "mutation", fields: { conversationId: "uuid", userId: "uuid", role: "role" } },
  { path: "conversations.typing", type: "mutation", fields: { conversationId: "uuid" } },
  { path: "messages.send", type: "mutation", fields: { conversationId: "uuid", clientId: "uuid", body: "text" } },
  { path: "messages.history", type: "query", fields: { conversationId: "uuid" } },
  { path: "messages.edit", type: "mutation", fields: { messageId: "uuid", body: "text" } },
  { path: "messages.delete", type: "mutation", fields: { messageId: "uuid" } },
  { path: "messages.react", type: "mutation", fields: { messageId: "uuid", emoji: "emoji" } },
  { path: "messages.unreact", type: "mutation", fields: { messageId: "uuid", emoji: "emoji" } },
  { path: "messages.markRead", type: "mutation", fields: { conversationId: "uuid", seq: "integer" } },
  { path: "calls.answer", type: "mutation", fields: { callId: "uuid" } },
  { path: "calls.decline", type: "mutation", fields: { callId: "uuid" } },
  { path: "calls.hangup", type: "mutation", fields: { callId: "uuid" } },
];

const protectedQueries = procedures.filter((shape) => shape.type === "query" && !shape.isPublic);
const protectedMutations = procedures.filter((shape) => shape.type === "mutation" && !shape.isPublic);
const inputlessQueries = ["auth.me", "auth.sessions", "friends.list", "friends.requests", "friends.blocked", "conversations.list", "calls.current"];

function validValue(kind: FieldKind, random: SeededRandom): unknown {
  switch (kind) {
    case "uuid":
      return randomUUIDFrom(random);
    case "text":
      return `t${random.string(random.integer(1, 20))}`;
    case "integer":
      return random.integer(0, 1_000);
    case "role":
      return random.pick(["admin", "member"]);
    case "emoji":
      return random.pick(["👍", "🎉", "❤️"]);
    case "uuidList":
      return [randomUUIDFrom(random)];
  }
}

/** A value of the wrong type or format for `kind`, which validation must refuse. */
function invalidValue(kind: FieldKind, random: SeededRandom): unknown {
  const wrongTypes: unknown[] = [null, true, {}, { nested: [1] }, [1, 2], -1];
  switch (kind) {
    case "uuid":
      return random.pick([...wrongTypes, 12, `not-a-uuid-${random.string(8)}`, "", randomUUIDFrom(random).slice(1)]);
    case "text":
      return random.pick([...wrongTypes, 42, "x".repeat(20_000)]);
    case "integer":
      return random.pick([...wrongTypes.filter((value) => value !== -1), "12", 1.5, -1, 2 ** 40, "NaN"]);
    case "role":
      return random.pick([...wrongTypes, "owner", "superuser", "", 1]);
    case "emoji":
      return random.pick([...wrongTypes, "abc", "", "👍👍", "x".repeat(40)]);
    case "uuidList":
      return random.pick([...wrongTypes, "x", [], ["nope"], [1, 2]]);
  }
}

function randomUUIDFrom(random: SeededRandom): string {
  const hex = random.string(32, "0123456789abcdef");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function validInput(shape: ProcedureShape, random: SeededRandom): Record<string, unknown> {
  return Object.fromEntries(Object.entries(shape.fields).map(([name, kind]) => [name, validValue(kind, random)]));
}

/** An input that breaks `shape` in one of several ways. */
function malformedInput(shape: ProcedureShape, random: SeededRandom): unknown {
  const input = validInput(shape, random);
  const names = Object.keys(shape.fields);
  const name = random.pick(names);
  switch (random.integer(0, 3)) {
    case 0:
      delete input[name];
      return input;
    case 1:
      return random.pick([null, 7, "input", [input], true]);
    default:
      input[name] = invalidValue(shape.fields[name] as FieldKind, random);
      return input;
  }
}

/* HTTP */

interface HttpCase {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | (() => ReadableStream<Uint8Array>);
  expect: ErrorCode[];
}

interface Identity {
  token: string;
  conversationId: string;
}

function forgedToken(random: SeededRandom): string {
  const base32 = "abcdefghijklmnopqrstuvwxyz234567";
  return random.pick([
    "abc.def",
    `${random.string(32, base32)}.${random.string(32, base32)}`,
    `${random.string(32, base32)}.${random.string(32, base32)}`.toUpperCase(),
    `${random.string(31, base32)}.${random.string(33, base32)}`,
    random.string(random.integer(1, 300)),
    `${random.string(32, base32)}..${random.string(31, base32)}`,
    "null",
    "undefined",
  ]);
}

function unauthenticatedHeaders(random: SeededRandom, token: string): Record<string, string> {
  switch (random.integer(0, 5)) {
    case 0:
      return {};
    case 1:
      return { authorization: `Bearer ${forgedToken(random)}` };
    case 2:
      // The scheme is case-sensitive: a lowercase one carries no session.
      return { authorization: random.pick([`bearer ${token}`, `Basic ${token}`, "Bearer", "Bearer ", `Token ${token}`]) };
    case 3:
      return { cookie: `parley_session=${forgedToken(random)}` };
    case 4:
      return { cookie: random.pick(["parley_session=%E0%A4%A", "parley_session=%", "parley_session=%zz%", "=; ;;parley_session"]) };
    default:
      return { authorization: `Bearer ${forgedToken(random)}`, cookie: `parley_session=${forgedToken(random)}` };
  }
}

function queryPath(path: string, input: unknown): string {
  return input === undefined ? `/${path}` : `/${path}?input=${encodeURIComponent(JSON.stringify(input))}`;
}

function unknownPath(random: SeededRandom): string {
  return random.pick([
    `${random.string(random.integer(1, 12))}.${random.string(random.integer(1, 12))}`,
    random.string(random.integer(1, 40)),
    "constructor",
    "__proto__",
    "auth.__proto__",
    "messages.send.constructor",
    "toString",
    "auth",
    "messages",
    "auth.me.extra",
    `${random.pick(procedures).path}x`,
    "events",
  ]);
}

function generateHttpCases(random: SeededRandom, identity: Identity): HttpCase[] {
  const json = { "content-type": "application/json" };
  const signedIn = { ...json, authorization: `Bearer ${identity.token}` };
  const makers: ((index: number) => HttpCase)[] = [
    () => {
      const shape = random.pick(procedures);
      const input = malformedInput(shape, random);
      return shape.type === "query"
        ? { name: `malformed ${shape.path}`, method: "GET", path: queryPath(shape.path, input), headers: signedIn, expect: ["BAD_REQUEST"] }
        : { name: `malformed ${shape.path}`, method: "POST", path: `/${shape.path}`, headers: signedIn, body: JSON.stringify(input), expect: ["BAD_REQUEST"] };
    },
    () => {
      const shape = random.pick(procedures.filter((candidate) => candidate.type === "mutation"));
      return { name: `no input ${shape.path}`, method: "POST", path: `/${shape.path}`, headers: signedIn, body: random.pick(["", "null", "{}"]), expect: ["BAD_REQUEST"] };
    },
    () => {
      // Postgres text cannot hold U+0000.
      const [path, input] = random.pick([
        ["users.search", { query: `a\u0000${random.string(3)}` }],
        ["friends.request", { username: `\u0000${random.string(5)}` }],
        ["messages.send", { conversationId: identity.conversationId, clientId: randomUUIDFrom(random), body: `hi\u0000${random.string(4)}` }],
        ["conversations.createGroup", { title: `team\u0000${random.string(3)}` }],
        ["auth.login", { username: `\u0000${random.string(5)}`, password: "x" }],
      ] as const);
      return path === "users.search"
        ? { name: `NUL in ${path}`, method: "GET", path: queryPath(path, input), headers: signedIn, expect: ["BAD_REQUEST"] }
        : { name: `NUL in ${path}`, method: "POST", path: `/${path}`, headers: signedIn, body: JSON.stringify(input), expect: ["BAD_REQUEST"] };
    },
    () => {
      const shape = random.pick(protectedMutations);
      const valid = JSON.stringify(validInput(shape, random));
      const body = random.pick([
        valid.slice(0, random.integer(1, valid.length - 1)),
        `{${random.string(random.integer(0, 30))}`,
        `${valid}}`,
        "{'single': 'quotes'}",
        "[1, 2,]",
        "\u0001\u0002",
        random.string(random.integer(1, 200), "{}[]\":,abc0123 \\"),
      ]);
      return { name: `bad JSON ${shape.path}`, method: "POST", path: `/${shape.path}`, headers: signedIn, body, expect: ["BAD_REQUEST", "PARSE_ERROR"] };
    },
    () => {
      const shape = random.pick(protectedQueries);
      const input = random.pick(["garbage", "{", "%7B", "{\"a\":", "[[[", "undefined"]);
      return { name: `bad query input ${shape.path}`, method: "GET", path: `/${shape.path}?input=${encodeURIComponent(input)}`, headers: signedIn, expect: ["BAD_REQUEST", "PARSE_ERROR"] };
    },
    () => {
      const path = unknownPath(random);
      return random.next() < 0.5
        ? { name: `unknown ${path}`, method: "GET", path: `/${path}`, headers: signedIn, expect: ["NOT_FOUND"] }
        : { name: `unknown ${path}`, method: "POST", path: `/${path}`, headers: signedIn, body: "{}", expect: ["NOT_FOUND"] };
    },
    () => {
      const headers = { ...json, ...unauthenticatedHeaders(random, identity.token) };
      if (random.next() < 0.5) {
        const path = random.pick([...inputlessQueries, ...protectedQueries.map((shape) => shape.path)]);
        const shape = protectedQueries.find((candidate) => candidate.path === path);
        return { name: `no session ${path}`, method: "GET", path: queryPath(path, shape ? validInput(shape, random) : undefined), headers, expect: ["UNAUTHORIZED"] };
      }
      const shape = random.pick(protectedMutations);
      const input = random.next() < 0.5 ? validInput(shape, random) : malformedInput(shape, random);
      return { name: `no session ${shape.path}`, method: "POST", path: `/${shape.path}`, headers, body: JSON.stringify(input), expect: ["UNAUTHORIZED"] };
    },
    () => {
      const shape = random.pick(protectedMutations);
      const input = encodeURIComponent(JSON.stringify(validInput(shape, random)));
      return { name: `GET mutation ${shape.path}`, method: "GET", path: `/${shape.path}?input=${input}`, headers: signedIn, expect: ["METHOD_NOT_SUPPORTED"] };
    },
    () => {
      const path = random.pick([...inputlessQueries, ...protectedQueries.map((shape) => shape.path)]);
      return { name: `POST query ${path}`, method: "POST", path: `/${path}`, headers: signedIn, body: "{}", expect: ["METHOD_NOT_SUPPORTED"] };
    },
    () => {
      const shape = random.pick(procedures);
      const method = random.pick(["PUT", "PATCH", "DELETE"]);
      return { name: `${method} ${shape.path}`, method, path: `/${shape.path}`, headers: signedIn, body: method === "DELETE" ? undefined : "{}", expect: ["METHOD_NOT_SUPPORTED"] };
    },
    () => {
      const shape = random.pick(protectedMutations);
      const contentType = random.pick(["text/plain", "application/xml", "application/octet-stream", "image/png", "text/html; charset=utf-8"]);
      return {
        name: `content-type ${contentType}`,
        method: "POST",
        path: `/${shape.path}`,
        headers: { authorization: signedIn.authorization, "content-type": contentType },
        body: JSON.stringify(validInput(shape, random)),
        expect: ["UNSUPPORTED_MEDIA_TYPE", "BAD_REQUEST"],
      };
    },
    () => {
      const shape = random.pick(protectedMutations);
      const contentType = random.pick(["multipart/form-data; boundary=x", "multipart/form-data", "application/x-www-form-urlencoded"]);
      return {
        name: `form body ${contentType}`,
        method: "POST",
        path: `/${shape.path}`,
        headers: { authorization: signedIn.authorization, "content-type": contentType },
        body: random.pick(["--x\r\n\r\n", "a=1&b=2", "%%%", random.string(50)]),
        expect: ["UNSUPPORTED_MEDIA_TYPE", "BAD_REQUEST"],
      };
    },
    () => {
      const size = random.integer(maxRequestBodyBytes + 1, 4 * maxRequestBodyBytes);
      const shape = random.pick(protectedMutations);
      return {
        name: `huge body ${size} bytes`,
        method: "POST",
        path: `/${shape.path}`,
        headers: signedIn,
        body: JSON.stringify({ ...validInput(shape, random), body: "x".repeat(size) }),
        expect: ["PAYLOAD_TOO_LARGE"],
      };
    },
    () => {
      const size = random.integer(maxRequestBodyBytes + 1, 2 * maxRequestBodyBytes);
      return {
        name: `huge chunked body ${size} bytes`,
        method: "POST",
        path: `/${random.pick(protectedMutations).path}`,
        headers: signedIn,
        // No Content-Length: the limit must hold while streaming too.
        body: () =>
          new ReadableStream({
            start(controller) {
              for (let sent = 0; sent < size; sent += 16_384) controller.enqueue(new Uint8Array(Math.min(16_384, size - sent)).fill(0x61));
              controller.close();
            },
          }),
        expect: ["PAYLOAD_TOO_LARGE"],
      };
    },
    () => {
      // A batch whose every call fails, in varied ways.
      const count = random.integer(1, 5);
      const calls = Array.from({ length: count }, () =>
        random.next() < 0.3 ? { path: unknownPath(random).replaceAll(",", ""), input: {} } : (() => {
          const shape = random.pick(protectedMutations);
          return { path: shape.path, input: malformedInput(shape, random) };
        })(),
      );
      const inputs = Object.fromEntries(calls.map((call, index) => [String(index), call.input]));
      const body = random.pick([
        JSON.stringify(inputs),
        JSON.stringify(calls.map((call) => call.input)),
        JSON.stringify(random.pick([null, "batch", 5, true])),
        JSON.stringify({ [String(count + 3)]: {} }),
      ]);
      return {
        name: `batch of ${count}`,
        method: "POST",
        path: `/${calls.map((call) => call.path).join(",")}?batch=1`,
        headers: signedIn,
        body,
        expect: ["BAD_REQUEST", "NOT_FOUND"],
      };
    },
    () => {
      const paths = [random.pick(protectedQueries).path, random.pick(protectedMutations).path];
      return { name: "batch mixing queries and mutations", method: "GET", path: `/${paths.join(",")}?batch=1`, headers: signedIn, expect: ["BAD_REQUEST", "METHOD_NOT_SUPPORTED"] };
    },
    () => {
      const shapes = [random.pick(protectedQueries), random.pick(protectedQueries)];
      const input = random.pick([
        JSON.stringify(Object.fromEntries(shapes.map((shape, index) => [String(index), malformedInput(shape, random)]))),
        "garbage",
        "[1,2]",
      ]);
      return {
        name: "GET batch with bad input",
        method: "GET",
        path: `/${shapes.map((shape) => shape.path).join(",")}?batch=1&input=${encodeURIComponent(input)}`,
        headers: signedIn,
        expect: ["BAD_REQUEST", "PARSE_ERROR"],
      };
    },
    () => {
      const lastEventId = random.pick([
        "abc",
        "-1",
        "1e5",
        " 12",
        "0x10",
        "1".repeat(random.integer(16, 32)),
        "9".repeat(random.integer(33, 200)),
        random.string(8),
      ]);
      return {
        name: `events.stream over HTTP, lastEventId ${lastEventId.slice(0, 20)}`,
        method: "GET",
        path: queryPath("events.stream", { lastEventId }),
        headers: signedIn,
        // The stream is served over WebSocket only.
        expect: ["METHOD_NOT_SUPPORTED"],
      };
    },
    () => ({
      name: "events.stream over HTTP without a session",
      method: "GET",
      path: queryPath("events.stream", random.next() < 0.5 ? undefined : { lastEventId: String(random.integer(0, 99)) }),
      headers: unauthenticatedHeaders(random, identity.token),
      expect: ["METHOD_NOT_SUPPORTED"],
    }),
  ];
  return Array.from({ length: httpCaseCount }, (_, index) => random.pick(makers)(index));
}

type ErrorBody = { error?: { message?: unknown; code?: unknown; data?: { code?: unknown; httpStatus?: unknown; stack?: unknown } } };

/** Why `item` is not a typed error with one of `expected` codes, or null when it is. */
function typedErrorProblem(item: unknown, expected: ErrorCode[]): string | null {
  const error = (item as ErrorBody | null)?.error;
  if (!error || typeof error.message !== "string" || typeof error.code !== "number") return `not a tRPC error: ${JSON.stringify(item).slice(0, 200)}`;
  const code = error.data?.code;
  if (typeof code !== "string" || !typedErrorCodes.has(code)) return `untyped error code ${String(code)}: ${error.message}`;
  if (!expected.includes(code as ErrorCode)) return `code ${code}, expected ${expected.join("|")}: ${error.message}`;
  if (error.data?.stack !== undefined) return "a stack trace left the server";
  return null;
}

async function runHttpCase(baseUrl: string, testCase: HttpCase): Promise<string | null> {
  const body = typeof testCase.body === "function" ? testCase.body() : testCase.body;
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/api/trpc${testCase.path}`, {
      method: testCase.method,
      headers: testCase.headers,
      body,
      signal: AbortSignal.timeout(responseTimeoutMs),
      ...(typeof testCase.body === "function" ? { duplex: "half" } : {}),
    } as RequestInit);
  } catch (error) {
    return `no response: ${String(error)}`;
  }
  const text = await response.text().catch((error: unknown) => `unreadable body: ${String(error)}`);
  if (response.status >= 500) return `HTTP ${response.status}: ${text.slice(0, 300)}`;
  if (response.status < 400 && response.status !== 207) return `HTTP ${response.status}: ${text.slice(0, 300)}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return `HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`;
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  if (items.length === 0) return `HTTP ${response.status} with an empty batch`;
  for (const item of items) {
    const problem = typedErrorProblem(item, testCase.expect);
    if (problem) return `HTTP ${response.status}: ${problem}`;
  }
  if (!Array.isArray(parsed) && (parsed as ErrorBody).error?.data?.httpStatus !== response.status) {
    return `HTTP ${response.status} but the error says ${String((parsed as ErrorBody).error?.data?.httpStatus)}`;
  }
  return null;
}

/** Requests Node's own HTTP parser must refuse with a 4xx, below tRPC. */
const malformedHttpMessages = [
  "GARBAGE\r\n\r\n",
  "GET /api/trpc/auth.me HTTP/9.9\r\nHost: x\r\n\r\n",
  "GET /api/trpc/auth.me HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
  "POST /api/trpc/messages.send HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
  "POST /api/trpc/messages.send HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
  "GET /api/trpc/auth.me HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n",
  "GET /api/trpc/auth.me HTTP/1.1\r\nHost: x\r\nX-Long: " + "a".repeat(20_000) + "\r\n\r\n",
  "\u0000\u0001\u0002\u0003\r\n\r\n",
  "GET /api/trpc/auth.me\r\n\r\n",
  "GET /api/trpc/\u0000 HTTP/1.1\r\nHost: x\r\n\r\n",
];

function sendRawHttp(baseUrl: string, message: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let received = "";
    const finish = () => {
      socket.destroy();
      resolve(received);
    };
    const timer = setTimeout(finish, responseTimeoutMs);
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      if (received.includes("\r\n")) {
        clearTimeout(timer);
        finish();
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.write(message, "latin1");
  });
}

/* WebSocket */

type ConnectionKind = "signed-in" | "anonymous" | "forged";

interface WebSocketCase {
  name: string;
  connection: ConnectionKind;
  frame: string | Buffer;
  /** A typed error carrying this request id (null: an error about the frame itself). */
  expect: { id: number | null; codes: ErrorCode[] } | { closeCodes: number[] };
}

interface OpenConnection {
  socket: WebSocket;
  messages: unknown[];
  closeCode: number | null;
  nextId: number;
  changed: () => Promise<void>;
}

async function openConnection(baseUrl: string, params: Record<string, unknown> | string | null): Promise<OpenConnection> {
  const url = `${baseUrl.replace(/^http/, "ws")}/api/trpc${params === null ? "" : "?connectionParams=1"}`;
  const socket = new WebSocket(url);
  let notify: () => void = () => {};
  const connection: OpenConnection = {
    socket,
    messages: [],
    closeCode: null,
    nextId: 1,
    changed: () =>
      new Promise<void>((resolve) => {
        notify = resolve;
      }),
  };
  socket.on("message", (data: RawData) => {
    const text = data.toString();
    // The server's keep-alive: answer as tRPC's client does.
    if (text === "PING") {
      socket.send("PONG");
      return;
    }
    connection.messages.push(JSON.parse(text) as unknown);
    notify();
  });
  socket.on("close", (code) => {
    connection.closeCode = code;
    notify();
  });
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  if (params !== null) {
    socket.send(typeof params === "string" ? params : JSON.stringify({ method: "connectionParams", data: params }));
  }
  return connection;
}

/** Waits for the first message (or close) satisfying `match`, consuming everything before it. */
async function waitForMessage(
  connection: OpenConnection,
  match: (message: unknown) => boolean,
): Promise<unknown | "closed" | "timeout"> {
  const deadline = Date.now() + responseTimeoutMs;
  for (;;) {
    const index = connection.messages.findIndex(match);
    if (index >= 0) return connection.messages.splice(0, index + 1).at(-1);
    if (connection.closeCode !== null) return "closed";
    const remaining = deadline - Date.now();
    if (remaining <= 0) return "timeout";
    const changed = connection.changed();
    await Promise.race([changed, new Promise((resolve) => setTimeout(resolve, remaining))]);
  }
}

function webSocketRequest(id: unknown, method: string, path: unknown, input?: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ id, method, params: { path, input, ...extra }, ...(extra.jsonrpc ? { jsonrpc: extra.jsonrpc } : {}) });
}

function generateWebSocketCases(random: SeededRandom): ((id: number) => WebSocketCase)[] {
  const makers: ((id: number) => WebSocketCase)[] = [
    () => ({
      name: "text that is not JSON",
      connection: random.pick(["signed-in", "anonymous"] as const),
      frame: random.pick(["garbage", "{", "{\"id\":", "nul\u0000l", random.string(random.integer(1, 500))]),
      expect: { id: null, codes: ["PARSE_ERROR"] },
    }),
    () => ({
      name: "JSON that is not a request",
      connection: "signed-in",
      frame: JSON.stringify(random.pick([null, 5, "query", true, [1], [null, "x"], { method: "query" }, { id: {}, method: "query", params: {} }])),
      expect: { id: null, codes: ["PARSE_ERROR"] },
    }),
    () => ({
      name: "an id of the wrong type",
      connection: "signed-in",
      frame: webSocketRequest(random.pick([{}, [], true, null, { id: 1 }]), "query", "auth.me"),
      expect: { id: null, codes: ["PARSE_ERROR"] },
    }),
    (id) => ({
      name: "an unknown method",
      connection: "signed-in",
      frame: webSocketRequest(id, random.pick(["nope", "QUERY", "subscribe", "", "stop", "reconnect"]), "auth.me"),
      expect: { id: null, codes: ["PARSE_ERROR"] },
    }),
    (id) => ({
      name: "not JSON-RPC 2.0",
      connection: "signed-in",
      frame: webSocketRequest(id, "query", "auth.me", undefined, { jsonrpc: random.pick(["1.0", "3.0", "2"]) }),
      expect: { id: null, codes: ["PARSE_ERROR"] },
    }),
    (id) => ({
      name: "params that are not an object",
      connection: "signed-in",
      frame: JSON.stringify({ id, method: random.pick(["query", "mutation", "subscription"]), params: random.pick([null, 5, "auth.me", [], { path: 5 }, { path: null }]) }),
      expect: { id: null, codes: ["PARSE_ERROR"] },
    }),
    (id) => {
      const path = unknownPath(random);
      return { name: `unknown path ${path}`, connection: "signed-in", frame: webSocketRequest(id, random.pick(["query", "mutation", "subscription"]), path, {}), expect: { id, codes: ["NOT_FOUND"] } };
    },
    (id) => {
      const shape = random.pick(protectedMutations);
      return { name: `query on mutation ${shape.path}`, connection: "signed-in", frame: webSocketRequest(id, "query", shape.path, validInput(shape, random)), expect: { id, codes: ["NOT_FOUND"] } };
    },
    (id) => {
      const shape = random.pick(procedures);
      return { name: `malformed ${shape.path}`, connection: "signed-in", frame: webSocketRequest(id, shape.type, shape.path, malformedInput(shape, random)), expect: { id, codes: ["BAD_REQUEST"] } };
    },
    (id) => {
      const shape = random.pick([...protectedQueries, ...protectedMutations]);
      return {
        name: `no session ${shape.path}`,
        connection: random.pick(["anonymous", "forged"] as const),
        frame: webSocketRequest(id, shape.type, shape.path, random.next() < 0.5 ? validInput(shape, random) : malformedInput(shape, random)),
        expect: { id, codes: ["UNAUTHORIZED"] },
      };
    },
    (id) => {
      const lastEventId = random.pick([
        "abc",
        "-5",
        "1.5",
        "1".repeat(random.integer(16, 32)),
        "9".repeat(random.integer(33, 100)),
        random.string(10),
        5,
        { id: 1 },
        ["1"],
      ]);
      const inParams = random.next() < 0.5 && typeof lastEventId === "string";
      return {
        name: `events.stream with lastEventId ${JSON.stringify(lastEventId).slice(0, 20)}`,
        connection: "signed-in",
        frame: inParams
          ? webSocketRequest(id, "subscription", "events.stream", {}, { lastEventId })
          : webSocketRequest(id, "subscription", "events.stream", { lastEventId }),
        expect: { id, codes: ["BAD_REQUEST"] },
      };
    },
    (id) => ({
      name: "events.stream without a session",
      connection: random.pick(["anonymous", "forged"] as const),
      frame: webSocketRequest(id, "subscription", "events.stream", random.next() < 0.5 ? {} : { lastEventId: "3" }),
      expect: { id, codes: ["UNAUTHORIZED"] },
    }),
    () => ({
      name: "a binary frame",
      connection: "signed-in",
      frame: Buffer.from(random.string(random.integer(1, 64))),
      expect: { id: null, codes: ["PARSE_ERROR"] },
    }),
    (id) => {
      const size = random.integer(maxWebSocketFrameBytes + 1, 4 * maxWebSocketFrameBytes);
      return {
        name: `a ${size}-byte frame`,
        connection: random.pick(["signed-in", "anonymous"] as const),
        frame: webSocketRequest(id, "mutation", "messages.send", { conversationId: randomUUIDFrom(random), clientId: randomUUIDFrom(random), body: "x".repeat(size) }),
        // 1009: message too big.
        expect: { closeCodes: [1009] },
      };
    },
  ];
  return makers;
}

/** A first frame on a `?connectionParams=1` connection that is not valid connection params. */
function malformedConnectionParams(random: SeededRandom): string {
  return random.pick([
    "garbage",
    JSON.stringify({ method: "connectionParams", data: random.pick([5, "token", [1], true]) }),
    JSON.stringify({ method: "connectionParams", data: { token: random.pick([5, null, { a: 1 }, ["x"]]) } }),
    JSON.stringify({ method: "connectionparams", data: { token: "x" } }),
    JSON.stringify({ id: 1, method: "query", params: { path: "auth.me" } }),
  ]);
}

let server: TestServer;
let mallory: TestUser;
let identity: Identity;

beforeAll(async () => {
  server = await startTestServer({ sendRate: { burst: 100_000, perSecond: 100_000 } });
  mallory = await server.signUp("mallory");
  const trent = await server.signUp("trent");
  await befriend(mallory, trent);
  const direct = await mallory.client.api.conversations.openDirect.mutate({ userId: trent.user.id });
  identity = { token: mallory.token, conversationId: direct.id };
});

afterAll(async () => {
  await server?.stop();
});

it(
  "answers over a thousand malformed requests and frames with typed errors while others keep chatting",
  async () => {
    const carol = await server.signUp("carol");
    const dave = await server.signUp("dave");
    await befriend(carol, dave);
    const chat = await carol.client.api.conversations.openDirect.mutate({ userId: dave.user.id });
    const daveEvents = recordEvents(dave.client);
    await daveEvents.waitFor((event) => event.type === "stream.ready");

    let barrageOver = false;
    const sentIds: string[] = [];
    const chatting = (async () => {
      while (!barrageOver) {
        const message = await carol.client.api.messages.send.mutate({ conversationId: chat.id, clientId: randomUUID(), body: `still here ${sentIds.length}` });
        sentIds.push(message.id);
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();

    const random = seededRandom(seed);
    const failures: string[] = [];
    let handled = 0;

    const httpCases = generateHttpCases(random, identity);
    let nextHttp = 0;
    const httpLane = async () => {
      for (let index = nextHttp++; index < httpCases.length; index = nextHttp++) {
        const testCase = httpCases[index] as HttpCase;
        const problem = await runHttpCase(server.url, testCase);
        handled += 1;
        if (problem) failures.push(`HTTP #${index} ${testCase.method} ${testCase.name}: ${problem}`);
      }
    };

    for (const message of malformedHttpMessages) {
      const reply = await sendRawHttp(server.url, message);
      handled += 1;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1]);
      if (!(status >= 400 && status < 500) && reply !== "") failures.push(`raw HTTP ${JSON.stringify(message.slice(0, 40))}: ${reply.slice(0, 80)}`);
    }

    const webSocketMakers = generateWebSocketCases(random);
    const webSocketCases = Array.from({ length: webSocketCaseCount }, () => random.pick(webSocketMakers));
    const paramsCases = Array.from({ length: 20 }, () => malformedConnectionParams(random));
    let nextWebSocket = 0;
    const webSocketLane = async () => {
      const connections = new Map<ConnectionKind, OpenConnection>();
      const connectionFor = async (kind: ConnectionKind) => {
        const existing = connections.get(kind);
        if (existing && existing.closeCode === null) return existing;
        const params = kind === "signed-in" ? { token: identity.token } : kind === "forged" ? { token: forgedToken(random) } : null;
        const opened = await openConnection(server.url, params);
        connections.set(kind, opened);
        return opened;
      };
      for (let index = nextWebSocket++; index < webSocketCases.length; index = nextWebSocket++) {
        const maker = webSocketCases[index] as (id: number) => WebSocketCase;
        const probe = maker(0);
        const connection = await connectionFor(probe.connection);
        const testCase = maker(connection.nextId++);
        connection.socket.send(testCase.frame);
        handled += 1;
        const label = `WS #${index} ${testCase.name}`;
        const { expect: expected } = testCase;
        if ("closeCodes" in expected) {
          const outcome = await waitForMessage(connection, () => false);
          if (outcome !== "closed" || !expected.closeCodes.includes(connection.closeCode ?? 0)) {
            failures.push(`${label}: expected close ${expected.closeCodes.join("|")}, got ${String(outcome)} ${String(connection.closeCode)}`);
          }
          continue;
        }
        const reply = await waitForMessage(
          connection,
          (message) => (message as { id?: unknown; error?: unknown }).id === expected.id && (message as { error?: unknown }).error !== undefined,
        );
        if (reply === "closed" || reply === "timeout") {
          failures.push(`${label}: ${reply} instead of an error`);
          continue;
        }
        const problem = typedErrorProblem(reply, expected.codes);
        if (problem) failures.push(`${label}: ${problem}`);
      }
      for (const connection of connections.values()) connection.socket.close();
    };

    // A first frame that is not connection params either closes the connection after a typed
    // error or, where tRPC reads it leniently, leaves a connection without a session.
    const paramsLane = async () => {
      for (const [index, frame] of paramsCases.entries()) {
        const connection = await openConnection(server.url, frame);
        connection.socket.send(webSocketRequest(1, "query", "auth.me"));
        handled += 1;
        const reply = await waitForMessage(connection, (message) => (message as { error?: unknown }).error !== undefined);
        if (reply === "closed" || reply === "timeout") {
          failures.push(`WS params #${index} ${frame}: ${reply} instead of an error`);
          continue;
        }
        const refused = (reply as { id?: unknown }).id === null;
        const problem = typedErrorProblem(reply, refused ? ["PARSE_ERROR"] : ["UNAUTHORIZED"]);
        if (problem) failures.push(`WS params #${index} ${frame}: ${problem}`);
        if (refused && (await waitForMessage(connection, () => false)) !== "closed") {
          failures.push(`WS params #${index} ${frame}: the server kept a connection with malformed params open`);
        }
        connection.socket.close();
      }
    };

    await Promise.all([
      ...Array.from({ length: httpConcurrency }, httpLane),
      ...Array.from({ length: webSocketLanes }, webSocketLane),
      paramsLane(),
    ]);
    barrageOver = true;
    await chatting;

    expect(failures.slice(0, 25)).toEqual([]);
    expect(handled).toBeGreaterThanOrEqual(1_000);

    // The well-behaved user got every message sent during the barrage, once each, in order.
    expect(sentIds.length).toBeGreaterThan(10);
    const received = () =>
      daveEvents.events.flatMap((event) => (event.type === "message.created" && event.conversationId === chat.id ? [event.message.id] : []));
    await daveEvents.waitFor(() => received().length >= sentIds.length, 10_000).catch(() => undefined);
    expect(received()).toEqual(sentIds);
    daveEvents.stop();

    // And the server still serves the barrage's own user.
    await expect(mallory.client.api.auth.me.query()).resolves.toMatchObject({ id: mallory.user.id });
  },
  240_000,
);
