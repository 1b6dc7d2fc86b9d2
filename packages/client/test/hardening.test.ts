import { randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { TRPCClientError } from "../src/index";
import { createGroup, startTestServer, type TestServer } from "./harness";

/*
 * What a hostile or broken client cannot do to a server: methods the API does not serve, batches
 * past the cap, the stream over HTTP, a flood of sign-ups; and what a failing database never
 * shows a client: SQL, parameters or a stack.
 */

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function rawRequest(server: TestServer, method: string, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: hostname, port, path, method, headers }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on("error", reject);
    request.end();
  });
}

function batchPath(calls: number): string {
  const paths = Array.from({ length: calls }, () => "auth.me").join(",");
  const input = Object.fromEntries(Array.from({ length: calls }, (_, index) => [index, {}]));
  return `/api/trpc/${paths}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`;
}

/** An error as the database driver raises it, with the query text and its parameters on board. */
function failedQuery(code: string): Error {
  const cause = Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });
  return new Error("Failed query: select * from sessions where id = $1\nparams: the-session-id", { cause });
}

describe("requests the API refuses", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ config: { transportLimits: { maxBatchCalls: 10 } } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("answers 405, naming the methods it serves, to TRACE, PUT and DELETE", async () => {
    for (const method of ["TRACE", "PUT", "DELETE"]) {
      const response = await rawRequest(server, method, "/api/trpc/auth.me");
      expect(response.status, method).toBe(405);
      expect(response.headers.allow).toBe("GET, POST");
      expect(JSON.parse(response.body)).toMatchObject({ error: { data: { code: "METHOD_NOT_SUPPORTED", httpStatus: 405 } } });
    }
  });

  it("refuses an HTTP batch of more calls than the cap, and serves one at the cap", async () => {
    const over = await rawRequest(server, "GET", batchPath(11));
    expect(over.status).toBe(400);
    expect(JSON.parse(over.body)).toMatchObject({ error: { message: "A batch may hold at most 10 calls" } });

    const atCap = await rawRequest(server, "GET", batchPath(10));
    const answers = JSON.parse(atCap.body) as unknown[];
    expect(answers).toHaveLength(10);
  });

  it("serves the event stream over WebSocket only: over HTTP it is 405", async () => {
    const response = await rawRequest(server, "GET", `/api/trpc/events.stream?input=${encodeURIComponent("{}")}`, {
      accept: "text/event-stream",
    });
    expect(response.status).toBe(405);
    expect(response.headers["content-type"]).toContain("application/json");
    expect(JSON.parse(response.body)).toMatchObject({ error: { message: "Subscriptions are served over WebSocket only" } });
  });
});

describe("a database failure while the request's session is checked", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("answers a bare 500 with no SQL, parameters or stack for an unexpected error", async () => {
    const alice = await server.signUp("alice");
    const { validate } = server.services.sessions;
    server.services.sessions.validate = () => Promise.reject(new Error("Failed query: select * from sessions\nparams: the-session-id"));
    try {
      const response = await rawRequest(server, "GET", `/api/trpc/auth.me?input=${encodeURIComponent("{}")}`, {
        authorization: `Bearer ${alice.token}`,
      });
      expect(response.status).toBe(500);
      expect(JSON.parse(response.body)).toMatchObject({
        error: { message: "Internal server error", data: { code: "INTERNAL_SERVER_ERROR" } },
      });
      expect(response.body).not.toMatch(/select|params|the-session-id|sessions|stack|\.ts:/i);
    } finally {
      server.services.sessions.validate = validate;
    }
  });

  it("answers SERVICE_UNAVAILABLE with retryAfterSeconds when the database is unreachable", async () => {
    const alice = await server.signUp("alice");
    const { validate } = server.services.sessions;
    server.services.sessions.validate = () => Promise.reject(failedQuery("ECONNREFUSED"));
    try {
      const response = await rawRequest(server, "GET", `/api/trpc/auth.me?input=${encodeURIComponent("{}")}`, {
        authorization: `Bearer ${alice.token}`,
      });
      expect(response.status).toBe(503);
      expect(JSON.parse(response.body)).toMatchObject({
        error: { data: { code: "SERVICE_UNAVAILABLE", httpStatus: 503, retryAfterSeconds: 1 } },
      });
      expect(response.body).not.toMatch(/select|params|the-session-id|5432/i);

    } finally {
      server.services.sessions.validate = validate;
    }
  });

  it("is retried by the SDK, which then succeeds once the database is back", async () => {
    const alice = await server.signUp("alice");
    const { validate } = server.services.sessions;
    let failures = 0;
    server.services.sessions.validate = (token) => {
      if (failures < 2) {
        failures += 1;
        return Promise.reject(failedQuery("ECONNREFUSED"));
      }
      return validate(token);
    };
    try {
      await expect(alice.client.api.auth.me.query()).resolves.toMatchObject({ id: alice.user.id });
      expect(failures).toBe(2);
    } finally {
      server.services.sessions.validate = validate;
    }
  });
});

describe("sign-ups", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ config: { signUpRate: { burst: 2, perSecond: 1 / 3_600 } } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("are limited per address with TOO_MANY_REQUESTS and retryAfterSeconds; a taken name costs nothing", async () => {
    const first = await server.signUp("first");
    const anonymous = server.anonymous();
    await expect(
      anonymous.api.auth.register.mutate({ username: first.username, password: `pw-${randomUUID()}` }),
    ).rejects.toMatchObject({ data: { code: "CONFLICT" } });
    await server.signUp("second");

    const refused = await anonymous.api.auth.register
      .mutate({ username: `third_${randomUUID().slice(0, 8)}`, password: `pw-${randomUUID()}` })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TRPCClientError);
    expect(refused).toMatchObject({ data: { code: "TOO_MANY_REQUESTS" } });
    // One account per 3,600 s: the next one is due in about an hour.
    const { retryAfterSeconds } = (refused as TRPCClientError<never>).data as unknown as { retryAfterSeconds: number };
    expect(retryAfterSeconds).toBeGreaterThan(1_000);
  });
});

describe("a caller who floods the server", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ sendRate: { burst: 1_000, perSecond: 1_000 } });
  });

  afterAll(async () => {
    await server.stop();
  });

  it("waits behind their own calls: another user's call is answered before most of a 400-call flood", async () => {
    const flooder = await server.signUp("flooder");
    const other = await server.signUp("other");
    const floodGroup = await createGroup(flooder, []);
    const otherGroup = await createGroup(other, []);
    for (let index = 0; index < 100; index += 1) {
      await flooder.client.api.messages.send.mutate({ conversationId: floodGroup.id, clientId: randomUUID(), body: `message ${index}` });
    }
    await other.client.api.messages.send.mutate({ conversationId: otherGroup.id, clientId: randomUUID(), body: "hello" });

    const flooderDone: number[] = [];
    // 400 history pages at once: the SDK batches them into 8 requests of 50 calls.
    const flood = Array.from({ length: 400 }, () =>
      flooder.client.api.messages.history.query({ conversationId: floodGroup.id, limit: 100 }).then(() => flooderDone.push(performance.now())),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const page = await other.client.api.messages.history.query({ conversationId: otherGroup.id, limit: 100 });
    const otherAnsweredAt = performance.now();
    await Promise.all(flood);

    expect(page.messages.map((message) => message.body)).toEqual(["hello"]);
    const answeredBefore = flooderDone.filter((doneAt) => doneAt < otherAnsweredAt).length;
    // In line with the flood, the call would wait for nearly all of it; taking turns, it waits for a few calls.
    expect(answeredBefore).toBeLessThan(200);
  }, 120_000);
});
