import { randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";

import { createParleyClient, type ParleyClient, type StreamEvent } from "@parley/client";

import { startParleyProcess, type ParleyProcess } from "./test/parley-process";

function newClient(server: ParleyProcess, headers?: Record<string, string>): ParleyClient {
  return createParleyClient({
    url: server.url,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    headers,
    retryDelayMs: () => 50,
  });
}

async function signUp(server: ParleyProcess, name: string, headers?: Record<string, string>) {
  const client = newClient(server, headers);
  const username = `${name}_${randomUUID().slice(0, 8)}`;
  const { user } = await client.api.auth.register.mutate({ username, password: `pw-${randomUUID()}` });
  return { client, user, username };
}

/** Subscribes to the user's event stream and resolves with the first event matching `predicate`. */
function waitForEvent(client: ParleyClient, predicate: (event: StreamEvent) => boolean) {
  let markLive: () => void = () => {};
  const live = new Promise<void>((resolve) => (markLive = resolve));
  let unsubscribe: () => void = () => {};
  const event = new Promise<StreamEvent>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timed out waiting for an event")), 15_000);
    const subscription = client.api.events.stream.subscribe(
      {},
      {
        onData: (envelope: unknown) => {
          // tracked() events arrive as `{ id, data }`.
          const received = (
            typeof envelope === "object" && envelope !== null && "id" in envelope && "data" in envelope
              ? envelope.data
              : envelope
          ) as StreamEvent | { type: "stream.ready" };
          if (received.type === "stream.ready") markLive();
          else if (predicate(received)) {
            clearTimeout(timer);
            resolve(received);
          }
        },
        onError: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      },
    );
    unsubscribe = () => subscription.unsubscribe();
  });
  return { live, event, unsubscribe };
}

/** Opens a raw WebSocket to /api/trpc and reports the HTTP status of the upgrade. */
function upgradeStatus(server: ParleyProcess, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/api/trpc`, { headers });
    socket.once("open", () => {
      socket.close();
      resolve(101);
    });
    socket.once("unexpected-response", (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once("error", reject);
  });
}

/** A raw HTTP request, so the test controls the body's framing exactly. */
function rawPost(
  server: ParleyProcess,
  options: { path: string; headers: Record<string, string | number>; body: Buffer; chunked?: boolean },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: "127.0.0.1", port: server.port, path: options.path, method: "POST", headers: options.headers },
      (response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => (body += chunk.toString()));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on("error", reject);
    if (options.chunked) request.write(options.body);
    request.end(options.chunked ? undefined : options.body);
  });
}

describe("server.ts", () => {
  let server: ParleyProcess;
  const clients: ParleyClient[] = [];

  beforeAll(async () => {
    server = await startParleyProcess();
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server?.stop();
  });

  it("answers liveness and readiness probes", async () => {
    const healthz = await fetch(`${server.url}/healthz`);
    expect(healthz.status).toBe(200);
    expect(await healthz.json()).toEqual({ ok: true });

    const readyz = await fetch(`${server.url}/readyz`);
    expect(readyz.status).toBe(200);
    expect(await readyz.json()).toEqual({ ok: true });
  });

  it("sends pages with security headers and a Content-Security-Policy whose nonce is on every script", async () => {
    const nonces: string[] = [];
    for (let view = 0; view < 2; view += 1) {
      const response = await fetch(`${server.url}/login`);
      expect(response.status).toBe(200);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
      expect(response.headers.get("permissions-policy")).toContain("camera=(self), microphone=(self)");
      expect(response.headers.get("strict-transport-security")).toContain("max-age=");
      const policy = response.headers.get("content-security-policy") ?? "";
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).not.toMatch(/script-src[^;]*'unsafe-inline'/);
      const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
      expect(nonce).toBeDefined();
      nonces.push(nonce ?? "");
      const html = await response.text();
      const scripts = html.match(/<script\b[^>]*>/g) ?? [];
      expect(scripts.length).toBeGreaterThan(0);
      for (const script of scripts) expect(script).toContain(`nonce="${nonce}"`);
    }
    expect(nonces[0]).not.toBe(nonces[1]);
    // The API answers without them (and is not framed or sniffed: it is JSON).
    const api = await fetch(`${server.url}/api/trpc/auth.me`);
    expect(api.headers.get("content-security-policy")).toBeNull();
  });

  it("answers 405 to TRACE on the API, and stays up", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest({ host: "127.0.0.1", port: server.port, path: "/api/trpc/auth.me", method: "TRACE" }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on("error", reject);
      request.end();
    });
    expect(status).toBe(405);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("serves the Next.js pages from the same port", async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Parley");
  });

  it("delivers over WebSocket what an HTTP mutation caused: one services instance serves both", async () => {
    const alice = await signUp(server, "alice");
    const bob = await signUp(server, "bob");
    clients.push(alice.client, bob.client);

    const requested = waitForEvent(
      alice.client,
      (event) => event.type === "friend.requested" && event.request.requester.id === bob.user.id,
    );
    await requested.live;
    await bob.client.api.friends.request.mutate({ username: alice.username });
    await expect(requested.event).resolves.toMatchObject({ type: "friend.requested" });
    requested.unsubscribe();

    // Typing is never stored: it can only reach Alice through the event bus the HTTP side used.
    await alice.client.api.friends.accept.mutate({ userId: bob.user.id });
    const conversation = await bob.client.api.conversations.openDirect.mutate({ userId: alice.user.id });
    const typing = waitForEvent(alice.client, (event) => event.type === "typing" && event.userId === bob.user.id);
    await typing.live;
    await bob.client.api.conversations.typing.mutate({ conversationId: conversation.id });
    await expect(typing.event).resolves.toMatchObject({ type: "typing", conversationId: conversation.id });
    typing.unsubscribe();
  });

  it("takes the client's address from the socket, not from a header the client sent", async () => {
    const spoofer = await signUp(server, "spoofer", { "x-parley-client-address": "203.0.113.7" });
    clients.push(spoofer.client);
    const sessions = await spoofer.client.api.auth.sessions.query();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]?.ipAddress).toMatch(/127\.0\.0\.1$/);
  });

  it("refuses a cookie-carrying WebSocket upgrade from a foreign origin and accepts it from an allowed one", async () => {
    const cookie = "parley_session=some.token";
    expect(await upgradeStatus(server, { cookie, origin: "https://evil.example" })).toBe(403);
    // The same parser as the session lookup: a space before `=` is still the session cookie.
    expect(await upgradeStatus(server, { cookie: "theme=dark; parley_session =some.token", origin: "https://evil.example" })).toBe(403);
    expect(await upgradeStatus(server, { cookie, origin: server.url })).toBe(101);
  });

  it("takes uploads larger than the API's body limit on /api/media and serves them to members only", async () => {
    const alice = await signUp(server, "alice");
    const bob = await signUp(server, "bob");
    clients.push(alice.client, bob.client);
    await alice.client.api.friends.request.mutate({ username: bob.username });
    await bob.client.api.friends.accept.mutate({ userId: alice.user.id });
    const conversation = await alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id });
    const bytes = Buffer.alloc(600 * 1024, "parley ");
    const attachmentId = await alice.client.uploadAttachment({ conversationId: conversation.id, file: bytes, name: "notes.txt", contentType: "text/plain" });
    const sent = await alice.client.api.messages.send.mutate({ conversationId: conversation.id, clientId: randomUUID(), attachmentIds: [attachmentId] });
    const url = new URL(sent.attachments[0]?.url as string, server.url);
    const refused = await fetch(url);
    expect(refused.status).toBe(401);
    const served = await fetch(url, { headers: { authorization: `Bearer ${bob.client.token}` } });
    expect(served.status).toBe(200);
    expect(served.headers.get("content-disposition")).toMatch(/^attachment;/);
    expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it("refuses request bodies over the limit, and stays up", async () => {
    const tooLarge = Buffer.alloc(300 * 1024, "a");
    const declared = await rawPost(server, {
      path: "/api/trpc/auth.register",
      headers: { "content-type": "application/json", "content-length": tooLarge.length },
      body: tooLarge,
    });
    expect(declared.status).toBe(413);

    // Without a declared length nothing bounds the body up front, so it is refused outright.
    const chunked = await rawPost(server, {
      path: "/api/trpc/auth.register",
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      body: Buffer.from("{}"),
      chunked: true,
    });
    expect(chunked.status).toBe(411);

    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe("server.ts shutdown", () => {
  it("exits 0 on SIGTERM, telling WebSocket clients to reconnect", async () => {
    const server = await startParleyProcess();
    try {
      const socket = new WebSocket(`ws://127.0.0.1:${server.port}/api/trpc`);
      await new Promise((resolve, reject) => {
        socket.once("open", resolve);
        socket.once("error", reject);
      });
      const messages: string[] = [];
      socket.on("message", (data: Buffer) => messages.push(data.toString()));
      const closed = new Promise<number>((resolve) => socket.once("close", (code: number) => resolve(code)));

      const startedAt = Date.now();
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      expect(Date.now() - startedAt).toBeLessThan(10_000);
      // A normal close, 1012 (service restart): the client reconnects and resumes.
      expect(await closed).toBe(1012);
      expect(messages.map((message) => JSON.parse(message) as { method?: string })).toContainEqual(
        expect.objectContaining({ method: "reconnect" }),
      );
      expect(server.output()).toContain('"msg":"stopped"');
    } finally {
      await server.stop();
    }
  });

  it("exits within seconds while 8 clients keep it busy, answering or refusing every call it took", async () => {
    // Without Redis: through it, every server this file starts shares one sign-up allowance per address.
    const server = await startParleyProcess({ REDIS_URL: undefined });
    try {
      const users = await Promise.all(Array.from({ length: 8 }, (_, index) => signUp(server, `busy${index}`)));
      const [owner] = users;
      if (!owner) throw new Error("no users");
      const group = await owner.client.api.conversations.createGroup.mutate({ title: "Busy", memberIds: [] });
      let stopping = false;
      let answered = 0;
      let refused = 0;
      const loops = users.map(async ({ client }, index) => {
        while (!stopping) {
          try {
            if (index === 0) await client.api.messages.send.mutate({ conversationId: group.id, clientId: randomUUID(), body: "busy" });
            else await client.api.users.search.query({ query: "busy", limit: 20 });
            answered += 1;
          } catch {
            // Refused once the server stops listening: the caller sees an error, never a hang.
            refused += 1;
            return;
          }
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const answeredBeforeStop = answered;
      const startedAt = Date.now();
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      const shutdownMs = Date.now() - startedAt;
      stopping = true;
      await Promise.all(loops);
      console.info(`shutdown under load: ${shutdownMs} ms (${answeredBeforeStop} calls answered in the 1.5 s before; ${refused} refused after)`);
      expect(answeredBeforeStop).toBeGreaterThan(8);
      expect(shutdownMs).toBeLessThan(5_000);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
