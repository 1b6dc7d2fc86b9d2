import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { StreamEvent } from "../src/index";
import { befriend, listen, startTestServer, type TestServer, type TestUser } from "./harness";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.stop();
});

type Listener = Awaited<ReturnType<typeof listen>>;

/**
 * Everything `user` was sent before now: their own profile change is a marker that arrives
 * after every earlier event, since a user's events come in order.
 */
async function eventsUntilNow(user: TestUser, listener: Listener): Promise<StreamEvent[]> {
  const marker = `marker ${randomUUID().slice(0, 8)}`;
  await user.client.api.users.updateProfile.mutate({ displayName: marker });
  await listener.waitFor((event) => event.type === "profile.updated" && event.user.displayName === marker);
  return listener.events.filter((event) => event.type !== "stream.ready" && event.type !== "profile.updated" && event.type !== "presence");
}

const notFound = { data: { code: "NOT_FOUND" } };
const conflict = { data: { code: "CONFLICT" } };
const badRequest = { data: { code: "BAD_REQUEST" } };

describe("friend requests", () => {
  it("sends a request, shows it on both sides, and accepting makes friends", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const [aliceEvents, bobEvents] = await Promise.all([listen(alice.client), listen(bob.client)]);

    const sent = await alice.client.api.friends.request.mutate({ username: bob.username.toUpperCase() });
    expect(sent).toEqual({
      status: "requested",
      request: { requester: alice.user, addressee: bob.user, createdAt: expect.any(String) },
    });
    if (sent.status !== "requested") throw new Error("expected a request");

    for (const events of [aliceEvents, bobEvents]) {
      expect(await events.waitFor((event) => event.type === "friend.requested")).toEqual({
        type: "friend.requested",
        request: sent.request,
      });
    }
    expect(await alice.client.api.friends.requests.query()).toEqual({ incoming: [], outgoing: [sent.request] });
    expect(await bob.client.api.friends.requests.query()).toEqual({ incoming: [sent.request], outgoing: [] });
    expect(await alice.client.api.friends.list.query()).toEqual([]);

    const friendOfBob = await bob.client.api.friends.accept.mutate({ userId: alice.user.id });
    // Alice has a live stream open, so she is online.
    expect(friendOfBob).toEqual({ user: alice.user, since: expect.any(String), online: true });

    const aliceAccepted = await aliceEvents.waitFor((event) => event.type === "friend.accepted");
    const bobAccepted = await bobEvents.waitFor((event) => event.type === "friend.accepted");
    expect(aliceAccepted).toEqual({ type: "friend.accepted", friend: bob.user, since: friendOfBob.since });
    expect(bobAccepted).toEqual({ type: "friend.accepted", friend: alice.user, since: friendOfBob.since });

    expect(await alice.client.api.friends.list.query()).toEqual([{ user: bob.user, since: friendOfBob.since, online: true }]);
    expect(await bob.client.api.friends.list.query()).toEqual([friendOfBob]);
    for (const user of [alice, bob]) {
      expect(await user.client.api.friends.requests.query()).toEqual({ incoming: [], outgoing: [] });
    }
    aliceEvents.stop();
    bobEvents.stop();
  });

  it("marks friends without a live connection offline", async () => {
    const carol = await server.signUp("carol");
    const dan = await server.signUp("dan");
    await befriend(carol, dan);
    expect(await carol.client.api.friends.list.query()).toEqual([
      { user: dan.user, since: expect.any(String), online: false },
    ]);
  });

  it("accepts instead when the other user had already asked", async () => {
    const erin = await server.signUp("erin");
    const finn = await server.signUp("finn");
    const erinEvents = await listen(erin.client);

    await erin.client.api.friends.request.mutate({ username: finn.username });
    const crossed = await finn.client.api.friends.request.mutate({ username: erin.username });

    expect(crossed).toEqual({
      status: "accepted",
      friend: { user: erin.user, since: expect.any(String), online: true },
    });
    expect(await erinEvents.waitFor((event) => event.type === "friend.accepted")).toMatchObject({ friend: finn.user });
    expect((await erin.client.api.friends.list.query()).map((friend) => friend.user.id)).toEqual([finn.user.id]);
    expect(await finn.client.api.friends.requests.query()).toEqual({ incoming: [], outgoing: [] });
    erinEvents.stop();
  });

  it("makes simultaneous crossing requests into one friendship", async () => {
    const gina = await server.signUp("gina");
    const hugo = await server.signUp("hugo");

    const results = await Promise.all([
      gina.client.api.friends.request.mutate({ username: hugo.username }),
      hugo.client.api.friends.request.mutate({ username: gina.username }),
    ]);

    expect(results.map((result) => result.status).sort()).toEqual(["accepted", "requested"]);
    expect((await gina.client.api.friends.list.query()).map((friend) => friend.user.id)).toEqual([hugo.user.id]);
    expect((await hugo.client.api.friends.list.query()).map((friend) => friend.user.id)).toEqual([gina.user.id]);
  });

  it("refuses unknown users, yourself, repeats and existing friends", async () => {
    const ida = await server.signUp("ida");
    const jon = await server.signUp("jon");
    const request = (username: string) => ida.client.api.friends.request.mutate({ username });

    await expect(request(`nobody_${randomUUID().slice(0, 8)}`)).rejects.toMatchObject({
      ...notFound,
      message: "No user with that username",
    });
    await expect(request(ida.username)).rejects.toMatchObject(badRequest);
    await expect(request(ida.username.toUpperCase())).rejects.toMatchObject(badRequest);

    await request(jon.username);
    await expect(request(jon.username)).rejects.toMatchObject({ ...conflict, message: "Friend request already sent" });

    await jon.client.api.friends.accept.mutate({ userId: ida.user.id });
    await expect(request(jon.username)).rejects.toMatchObject({ ...conflict, message: "You are already friends" });
    await expect(jon.client.api.friends.request.mutate({ username: ida.username })).rejects.toMatchObject(conflict);
  });

  it("lets only the addressee accept or decline", async () => {
    const kim = await server.signUp("kim");
    const leo = await server.signUp("leo");
    const outsider = await server.signUp("outsider");
    await kim.client.api.friends.request.mutate({ username: leo.username });

    // The requester cannot accept their own request, and no one else can touch it.
    await expect(kim.client.api.friends.accept.mutate({ userId: leo.user.id })).rejects.toMatchObject(notFound);
    await expect(kim.client.api.friends.decline.mutate({ userId: leo.user.id })).rejects.toMatchObject(notFound);
    await expect(outsider.client.api.friends.accept.mutate({ userId: kim.user.id })).rejects.toMatchObject(notFound);
    await expect(outsider.client.api.friends.decline.mutate({ userId: kim.user.id })).rejects.toMatchObject(notFound);
    await expect(kim.client.api.friends.accept.mutate({ userId: kim.user.id })).rejects.toMatchObject(badRequest);
    await expect(kim.client.api.friends.accept.mutate({ userId: "not-a-uuid" })).rejects.toMatchObject(badRequest);
    await expect(kim.client.api.friends.accept.mutate({ userId: randomUUID() })).rejects.toMatchObject(notFound);

    expect(await leo.client.api.friends.requests.query()).toMatchObject({ incoming: [{ requester: kim.user }] });
  });

  it("declines a request and tells both users", async () => {
    const mia = await server.signUp("mia");
    const ned = await server.signUp("ned");
    const [miaEvents, nedEvents] = await Promise.all([listen(mia.client), listen(ned.client)]);
    await mia.client.api.friends.request.mutate({ username: ned.username });

    await ned.client.api.friends.decline.mutate({ userId: mia.user.id });

    expect(await miaEvents.waitFor((event) => event.type === "friend.declined")).toEqual({
      type: "friend.declined",
      userId: ned.user.id,
    });
    expect(await nedEvents.waitFor((event) => event.type === "friend.declined")).toEqual({
      type: "friend.declined",
      userId: mia.user.id,
    });
    for (const user of [mia, ned]) {
      expect(await user.client.api.friends.requests.query()).toEqual({ incoming: [], outgoing: [] });
    }
    await expect(ned.client.api.friends.decline.mutate({ userId: mia.user.id })).rejects.toMatchObject(notFound);
    // Declined is not final: Mia may ask again.
    expect(await mia.client.api.friends.request.mutate({ username: ned.username })).toMatchObject({ status: "requested" });
    miaEvents.stop();
    nedEvents.stop();
  });

  it("cancels one's own request and tells both users", async () => {
    const ola = await server.signUp("ola");
    const pia = await server.signUp("pia");
    const [olaEvents, piaEvents] = await Promise.all([listen(ola.client), listen(pia.client)]);
    await ola.client.api.friends.request.mutate({ username: pia.username });

    // Only the requester can cancel.
    await expect(pia.client.api.friends.cancel.mutate({ userId: ola.user.id })).rejects.toMatchObject(notFound);
    await ola.client.api.friends.cancel.mutate({ userId: pia.user.id });

    expect(await olaEvents.waitFor((event) => event.type === "friend.cancelled")).toEqual({
      type: "friend.cancelled",
      userId: pia.user.id,
    });
    expect(await piaEvents.waitFor((event) => event.type === "friend.cancelled")).toEqual({
      type: "friend.cancelled",
      userId: ola.user.id,
    });
    expect(await pia.client.api.friends.requests.query()).toEqual({ incoming: [], outgoing: [] });
    await expect(ola.client.api.friends.cancel.mutate({ userId: pia.user.id })).rejects.toMatchObject(notFound);
    await expect(pia.client.api.friends.accept.mutate({ userId: ola.user.id })).rejects.toMatchObject(notFound);
    olaEvents.stop();
    piaEvents.stop();
  });
});

describe("friends.remove", () => {
  it("ends a friendship from either side and tells both users", async () => {
    const quin = await server.signUp("quin");
    const rosa = await server.signUp("rosa");
    await befriend(quin, rosa);
    const [quinEvents, rosaEvents] = await Promise.all([listen(quin.client), listen(rosa.client)]);

    await rosa.client.api.friends.remove.mutate({ userId: quin.user.id });

    expect(await quinEvents.waitFor((event) => event.type === "friend.removed")).toEqual({
      type: "friend.removed",
      userId: rosa.user.id,
    });
    expect(await rosaEvents.waitFor((event) => event.type === "friend.removed")).toEqual({
      type: "friend.removed",
      userId: quin.user.id,
    });
    expect(await quin.client.api.friends.list.query()).toEqual([]);
    expect(await rosa.client.api.friends.list.query()).toEqual([]);
    await expect(quin.client.api.friends.remove.mutate({ userId: rosa.user.id })).rejects.toMatchObject(notFound);
    quinEvents.stop();
    rosaEvents.stop();
  });

  it("does not remove a pending request or a stranger", async () => {
    const sam = await server.signUp("sam");
    const tia = await server.signUp("tia");
    await sam.client.api.friends.request.mutate({ username: tia.username });
    await expect(sam.client.api.friends.remove.mutate({ userId: tia.user.id })).rejects.toMatchObject(notFound);
    await expect(tia.client.api.friends.remove.mutate({ userId: sam.user.id })).rejects.toMatchObject(notFound);
    await expect(sam.client.api.friends.remove.mutate({ userId: randomUUID() })).rejects.toMatchObject(notFound);
    expect(await tia.client.api.friends.requests.query()).toMatchObject({ incoming: [{ requester: sam.user }] });
  });
});

describe("blocking", () => {
  it("ends the friendship; the blocked user sees only a removal", async () => {
    const uma = await server.signUp("uma");
    const vic = await server.signUp("vic");
    await befriend(uma, vic);
    const [umaEvents, vicEvents] = await Promise.all([listen(uma.client), listen(vic.client)]);

    await uma.client.api.friends.block.mutate({ userId: vic.user.id });

    expect(await eventsUntilNow(uma, umaEvents)).toEqual([
      { type: "friend.removed", userId: vic.user.id },
      { type: "block.added", userId: vic.user.id },
    ]);
    expect(await eventsUntilNow(vic, vicEvents)).toEqual([{ type: "friend.removed", userId: uma.user.id }]);
    expect(await uma.client.api.friends.list.query()).toEqual([]);
    expect(await vic.client.api.friends.list.query()).toEqual([]);
    expect(await uma.client.api.friends.blocked.query()).toEqual([
      { ...vic.user, displayName: expect.any(String) },
    ]);
    umaEvents.stop();
    vicEvents.stop();
  });

  it("keeps the blocked user from asking again, without revealing the block", async () => {
    const wes = await server.signUp("wes");
    const xia = await server.signUp("xia");
    await xia.client.api.friends.block.mutate({ userId: wes.user.id });

    const blocked = await wes.client.api.friends.request.mutate({ username: xia.username }).catch((error: unknown) => error);
    const unknown = await wes.client.api.friends.request
      .mutate({ username: `nobody_${randomUUID().slice(0, 8)}` })
      .catch((error: unknown) => error);
    expect(blocked).toMatchObject(notFound);
    expect((blocked as Error).message).toBe((unknown as Error).message);

    // The blocker is told what to do instead.
    await expect(xia.client.api.friends.request.mutate({ username: wes.username })).rejects.toMatchObject({
      data: { code: "FORBIDDEN" },
      message: "Unblock this user first",
    });
    expect(await xia.client.api.friends.requests.query()).toEqual({ incoming: [], outgoing: [] });
  });

  it("withdraws a pending request in either direction", async () => {
    const yan = await server.signUp("yan");
    const zoe = await server.signUp("zoe");
    const amy = await server.signUp("amy");
    const [yanEvents, zoeEvents] = await Promise.all([listen(yan.client), listen(zoe.client)]);

    // Zoe asked Yan; Yan blocks her: to Zoe it looks declined.
    await zoe.client.api.friends.request.mutate({ username: yan.username });
    await yan.client.api.friends.block.mutate({ userId: zoe.user.id });
    expect(await eventsUntilNow(zoe, zoeEvents)).toEqual([
      { type: "friend.requested", request: expect.objectContaining({ requester: expect.objectContaining({ id: zoe.user.id }) }) },
      { type: "friend.declined", userId: yan.user.id },
    ]);
    expect(await zoe.client.api.friends.requests.query()).toEqual({ incoming: [], outgoing: [] });

    // Yan asked Amy; Yan blocks her: to Amy it looks cancelled.
    const amyEvents = await listen(amy.client);
    await yan.client.api.friends.request.mutate({ username: amy.username });
    await yan.client.api.friends.block.mutate({ userId: amy.user.id });
    expect(await eventsUntilNow(amy, amyEvents)).toEqual([
      { type: "friend.requested", request: expect.objectContaining({ addressee: expect.objectContaining({ id: amy.user.id }) }) },
      { type: "friend.cancelled", userId: yan.user.id },
    ]);
    expect(await yan.client.api.friends.requests.query()).toEqual({ incoming: [], outgoing: [] });
    expect((await eventsUntilNow(yan, yanEvents)).filter((event) => event.type === "block.added")).toHaveLength(2);
    yanEvents.stop();
    zoeEvents.stop();
    amyEvents.stop();
  });

  it("is idempotent and announces a block once", async () => {
    const ben = await server.signUp("ben");
    const cat = await server.signUp("cat");
    const benEvents = await listen(ben.client);

    await ben.client.api.friends.block.mutate({ userId: cat.user.id });
    await ben.client.api.friends.block.mutate({ userId: cat.user.id });

    expect(await eventsUntilNow(ben, benEvents)).toEqual([{ type: "block.added", userId: cat.user.id }]);
    expect((await ben.client.api.friends.blocked.query()).map((user) => user.id)).toEqual([cat.user.id]);
    benEvents.stop();
  });

  it("unblocks, telling only the blocker, after which requests work again", async () => {
    const deb = await server.signUp("deb");
    const eli = await server.signUp("eli");
    const [debEvents, eliEvents] = await Promise.all([listen(deb.client), listen(eli.client)]);
    await deb.client.api.friends.block.mutate({ userId: eli.user.id });

    await deb.client.api.friends.unblock.mutate({ userId: eli.user.id });
    // Unblocking again changes nothing.
    await deb.client.api.friends.unblock.mutate({ userId: eli.user.id });

    expect(await eventsUntilNow(deb, debEvents)).toEqual([
      { type: "block.added", userId: eli.user.id },
      { type: "block.removed", userId: eli.user.id },
    ]);
    expect(await eventsUntilNow(eli, eliEvents)).toEqual([]);
    expect(await deb.client.api.friends.blocked.query()).toEqual([]);
    expect(await eli.client.api.friends.request.mutate({ username: deb.username })).toMatchObject({ status: "requested" });
    debEvents.stop();
    eliEvents.stop();
  });

  it("never leaves a request standing beside a block, however the two race", async () => {
    for (let round = 0; round < 3; round++) {
      const ivy = await server.signUp("ivy");
      const jay = await server.signUp("jay");
      const [request] = await Promise.allSettled([
        ivy.client.api.friends.request.mutate({ username: jay.username }),
        jay.client.api.friends.block.mutate({ userId: ivy.user.id }),
      ]);
      if (request.status === "rejected") expect(request.reason).toMatchObject(notFound);
      expect(await jay.client.api.friends.requests.query()).toEqual({ incoming: [], outgoing: [] });
      expect(await ivy.client.api.friends.requests.query()).toEqual({ incoming: [], outgoing: [] });
      expect((await jay.client.api.friends.blocked.query()).map((user) => user.id)).toEqual([ivy.user.id]);
    }
  });

  it("rejects blocking yourself or an unknown user", async () => {
    const fay = await server.signUp("fay");
    await expect(fay.client.api.friends.block.mutate({ userId: fay.user.id })).rejects.toMatchObject(badRequest);
    await expect(fay.client.api.friends.block.mutate({ userId: randomUUID() })).rejects.toMatchObject(notFound);
    expect(await fay.client.api.friends.blocked.query()).toEqual([]);
  });

  it("lets a user block someone who blocked them", async () => {
    const gus = await server.signUp("gus");
    const hal = await server.signUp("hal");
    await gus.client.api.friends.block.mutate({ userId: hal.user.id });
    await hal.client.api.friends.block.mutate({ userId: gus.user.id });
    expect((await hal.client.api.friends.blocked.query()).map((user) => user.id)).toEqual([gus.user.id]);
    expect((await gus.client.api.friends.blocked.query()).map((user) => user.id)).toEqual([hal.user.id]);
  });
});

describe("authorisation", () => {
  it("requires a session for every friends procedure", async () => {
    const friends = server.anonymous().api.friends;
    const userId = randomUUID();
    const unauthorized = { data: { code: "UNAUTHORIZED" } };
    await expect(friends.list.query()).rejects.toMatchObject(unauthorized);
    await expect(friends.requests.query()).rejects.toMatchObject(unauthorized);
    await expect(friends.blocked.query()).rejects.toMatchObject(unauthorized);
    await expect(friends.request.mutate({ username: "someone" })).rejects.toMatchObject(unauthorized);
    for (const action of [friends.accept, friends.decline, friends.cancel, friends.remove, friends.block, friends.unblock]) {
      await expect(action.mutate({ userId })).rejects.toMatchObject(unauthorized);
    }
  });
});
