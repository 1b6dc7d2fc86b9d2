import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";

import { befriend, listen, startTestServer, waitUntil, type TestServer } from "./harness";

let server: TestServer;
const keepAlive = { sweepMs: 300, pongWaitMs: 250 };

beforeAll(async () => {
  server = await startTestServer({ config: { webSocketKeepAlive: keepAlive } });
});

afterAll(async () => {
  await server?.stop();
});

/** A raw socket with `events.stream` open that never answers the server's "PING", as a client whose network is gone. */
async function silentSubscriber(token: string): Promise<{ socket: WebSocket; pings: () => number; closed: Promise<number> }> {
  const socket = new WebSocket(`${server.url.replace("http", "ws")}/api/trpc`, { headers: { authorization: `Bearer ${token}` } });
  let pings = 0;
  let started = false;
  socket.on("message", (data: Buffer) => {
    const text = data.toString();
    if (text === "PING") pings += 1;
    else if ((JSON.parse(text) as { result?: { type?: string } }).result?.type === "started") started = true;
  });
  const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  socket.send(JSON.stringify({ id: 1, method: "subscription", params: { path: "events.stream", input: {} } }));
  await waitUntil(() => started, 5_000, "the subscription to start");
  return { socket, pings: () => pings, closed };
}

describe("the WebSocket keep-alive", () => {
  it("cuts a socket that stops answering pings, and its friends see its user go offline", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    await befriend(alice, bob);
    const bobEvents = await listen(bob.client);

    const silent = await silentSubscriber(alice.token);
    await bobEvents.waitFor((event) => event.type === "presence" && event.userId === alice.user.id && event.online);
    const offline = await bobEvents.waitFor(
      (event) => event.type === "presence" && event.userId === alice.user.id && !event.online,
      (keepAlive.sweepMs * 2 + keepAlive.pongWaitMs) * 4,
    );
    expect(offline).toEqual({ type: "presence", userId: alice.user.id, online: false });
    expect(silent.pings()).toBeGreaterThanOrEqual(1);
    // Cut, not closed: a peer that does not answer cannot finish a close handshake either.
    expect(await silent.closed).toBe(1006);
    expect(await bob.client.api.friends.list.query()).toMatchObject([{ user: { id: alice.user.id }, online: false }]);
    bobEvents.stop();
  });

  it("keeps a client that answers: the SDK's stream stays open across many sweeps", async () => {
    const carol = await server.signUp("carol");
    const dave = await server.signUp("dave");
    await befriend(carol, dave);
    const carolEvents = await listen(carol.client);
    const daveEvents = await listen(dave.client);
    await new Promise((resolve) => setTimeout(resolve, (keepAlive.sweepMs * 2 + keepAlive.pongWaitMs) * 4));
    expect(daveEvents.events.filter((event) => event.type === "presence" && event.userId === carol.user.id && !event.online)).toEqual([]);
    expect(await dave.client.api.friends.list.query()).toMatchObject([{ user: { id: carol.user.id }, online: true }]);
    // Still live: a friend request's answer reaches the open stream.
    const erin = await server.signUp("erin");
    await erin.client.api.friends.request.mutate({ username: carol.username });
    await carolEvents.waitFor((event) => event.type === "friend.requested");
    carolEvents.stop();
    daveEvents.stop();
  });
});
