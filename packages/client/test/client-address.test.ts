import { randomUUID } from "node:crypto";

import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";

import { createParleyClient } from "../src/index";
import { startTestServer, type TestServer } from "./harness";

/*
 * The address a session records (and the login and sign-up throttles key on) behind a load
 * balancer: read from X-Forwarded-For only when the socket's peer is a trusted proxy, over HTTP
 * and over WebSocket alike. The test's own socket comes from 127.0.0.1, standing in for nginx.
 */

let server: TestServer | null = null;

afterEach(async () => {
  await server?.stop();
  server = null;
});

/** Signs up over HTTP with `forwardedFor` as the balancer would send it; the new session's address. */
async function addressOfHttpSignUpWith(target: TestServer, forwardedFor: string): Promise<string> {
  const client = createParleyClient({ url: target.url, headers: { "x-forwarded-for": forwardedFor } });
  await client.api.auth.register.mutate({ username: `http_${randomUUID().slice(0, 8)}`, password: `pw-${randomUUID()}` });
  const [session] = await client.api.auth.sessions.query();
  return session?.ipAddress ?? "";
}

/** Logs in over a raw WebSocket whose upgrade carries `forwardedFor`; the new session's address. */
async function addressOfWebSocketLogin(target: TestServer, forwardedFor: string): Promise<string> {
  const { username, password, client } = await target.signUp("ws");
  const socket = new WebSocket(`${target.url.replace("http", "ws")}/api/trpc`, { headers: { "x-forwarded-for": forwardedFor } });
  const reply = await new Promise<{ result?: { data?: { token?: string } } }>((resolve, reject) => {
    socket.once("error", reject);
    socket.once("open", () => {
      socket.send(JSON.stringify({ id: 1, method: "mutation", params: { path: "auth.login", input: { username, password } } }));
    });
    socket.on("message", (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { id?: unknown };
      if (message.id === 1) resolve(message as never);
    });
  });
  socket.close();
  const token = reply.result?.data?.token;
  const sessions = await client.api.auth.sessions.query();
  const created = sessions.find((session) => token?.startsWith(`${session.id}.`));
  return created?.ipAddress ?? "";
}

describe("the client's address behind a load balancer", () => {
  it("comes from X-Forwarded-For over HTTP and WebSocket when the peer is a trusted proxy", async () => {
    server = await startTestServer({ trustedProxies: ["127.0.0.1"] });
    expect(await addressOfHttpSignUpWith(server, "198.51.100.7")).toBe("198.51.100.7");
    // A client-forged hop on the left changes nothing: the rightmost untrusted hop is the client.
    expect(await addressOfHttpSignUpWith(server, "192.0.2.99, 198.51.100.8")).toBe("198.51.100.8");
    expect(await addressOfWebSocketLogin(server, "198.51.100.9")).toBe("198.51.100.9");
  });

  it("is the socket's peer when no proxy is trusted, whatever X-Forwarded-For claims", async () => {
    server = await startTestServer();
    expect(await addressOfHttpSignUpWith(server, "198.51.100.7")).toMatch(/127\.0\.0\.1$/);
    expect(await addressOfWebSocketLogin(server, "198.51.100.9")).toMatch(/127\.0\.0\.1$/);
  });
});
