import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createGroup, listen, startTestServer, type TestServer } from "./harness";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.stop();
});

/** A marker no other test's user names contain, so searches see only this test's users. */
const uniqueMark = () => randomUUID().replaceAll("-", "").slice(0, 10);

async function signUpAs(username: string, displayName: string) {
  const client = server.anonymous();
  const { user } = await client.api.auth.register.mutate({ username, password: `pw-${randomUUID()}`, displayName });
  return { client, user };
}

describe("users.search", () => {
  it("finds users by username prefix in any case, and not by the middle of a username", async () => {
    const mark = uniqueMark();
    const searcher = await server.signUp("searcher");
    const target = await signUpAs(`Zed${mark}`, "Someone");
    await signUpAs(`x${mark}zed`, "Someone else");

    const found = await searcher.client.api.users.search.query({ query: `zED${mark}` });
    expect(found).toEqual([target.user]);
    const byPrefix = await searcher.client.api.users.search.query({ query: `zed${mark.slice(0, 6)}` });
    expect(byPrefix.map((user) => user.id)).toContain(target.user.id);
    // The middle of a username does not match.
    expect(await searcher.client.api.users.search.query({ query: mark })).toEqual([]);
  });

  it("finds users by any part of their display name, in any case", async () => {
    const mark = uniqueMark();
    const searcher = await server.signUp("searcher");
    const target = await signUpAs(`dn_${mark}`, `The Great ${mark} Wizard`);

    const found = await searcher.client.api.users.search.query({ query: `great ${mark.toUpperCase()} wiz` });
    expect(found).toEqual([target.user]);
  });

  it("puts an exact username match first", async () => {
    const mark = uniqueMark();
    const searcher = await server.signUp("searcher");
    const longer = await signUpAs(`ex${mark}longer`, "Longer");
    const exact = await signUpAs(`ex${mark}`, "Exact");
    const byDisplayName = await signUpAs(`other_${mark}`, `ex${mark}`);

    const found = await searcher.client.api.users.search.query({ query: `ex${mark}` });
    expect(found.map((user) => user.id)).toEqual([exact.user.id, longer.user.id, byDisplayName.user.id]);
  });

  it("treats % and _ in the query as plain characters", async () => {
    const mark = uniqueMark();
    const searcher = await server.signUp("searcher");
    const percent = await signUpAs(`pct_${mark}`, `${mark} 100% sure`);
    await signUpAs(`pct2_${mark}`, `${mark} 100 percent sure`);
    const underscore = await signUpAs(`u_${mark}`, `${mark} a_b`);
    await signUpAs(`u2_${mark}`, `${mark} axb`);

    expect(await searcher.client.api.users.search.query({ query: `${mark} 100%` })).toEqual([percent.user]);
    expect(await searcher.client.api.users.search.query({ query: `${mark} a_b` })).toEqual([underscore.user]);
    // A lone wildcard character matches only names that contain it.
    const underscores = await searcher.client.api.users.search.query({ query: "_", limit: 50 });
    for (const user of underscores) expect(`${user.username}${user.displayName}`).toContain("_");
    const percents = await searcher.client.api.users.search.query({ query: `${mark}%`, limit: 50 });
    expect(percents).toEqual([]);
  });

  it("never returns the searcher", async () => {
    const mark = uniqueMark();
    const me = await signUpAs(`self_${mark}`, `Self ${mark}`);
    expect(await me.client.api.users.search.query({ query: `self_${mark}` })).toEqual([]);
    expect(await me.client.api.users.search.query({ query: mark })).toEqual([]);
  });

  it("hides users who blocked the searcher, but not users the searcher blocked", async () => {
    const mark = uniqueMark();
    const alice = await signUpAs(`alice_${mark}`, `Alice ${mark}`);
    const bob = await signUpAs(`bob_${mark}`, `Bob ${mark}`);

    await bob.client.api.friends.block.mutate({ userId: alice.user.id });

    expect(await alice.client.api.users.search.query({ query: `bob_${mark}` })).toEqual([]);
    expect(await alice.client.api.users.search.query({ query: `Bob ${mark}` })).toEqual([]);
    expect(await bob.client.api.users.search.query({ query: `alice_${mark}` })).toEqual([alice.user]);

    await bob.client.api.friends.unblock.mutate({ userId: alice.user.id });
    expect(await alice.client.api.users.search.query({ query: `bob_${mark}` })).toEqual([bob.user]);
  });

  it("returns at most `limit` users", async () => {
    const mark = uniqueMark();
    const searcher = await server.signUp("searcher");
    for (let index = 0; index < 4; index++) await signUpAs(`lim${index}_${mark}`, `Limit ${mark}`);

    expect(await searcher.client.api.users.search.query({ query: `Limit ${mark}`, limit: 3 })).toHaveLength(3);
    expect(await searcher.client.api.users.search.query({ query: `Limit ${mark}` })).toHaveLength(4);
  });

  it("rejects an empty query and a limit above 50", async () => {
    const searcher = await server.signUp("searcher");
    const badRequest = { data: { code: "BAD_REQUEST" } };
    await expect(searcher.client.api.users.search.query({ query: "   " })).rejects.toMatchObject(badRequest);
    await expect(searcher.client.api.users.search.query({ query: "a", limit: 51 })).rejects.toMatchObject(badRequest);
    await expect(searcher.client.api.users.search.query({ query: "a", limit: 0 })).rejects.toMatchObject(badRequest);
  });
});

describe("users.byId", () => {
  it("returns the public profile only", async () => {
    const viewer = await server.signUp("viewer");
    const target = await server.signUp("target");
    const found = await viewer.client.api.users.byId.query({ userId: target.user.id });
    expect(found).toEqual(target.user);
    expect(Object.keys(found).sort()).toEqual(["avatarUrl", "createdAt", "displayName", "id", "username"]);
  });

  it("answers NOT_FOUND for an unknown id and BAD_REQUEST for a malformed one", async () => {
    const viewer = await server.signUp("viewer");
    await expect(viewer.client.api.users.byId.query({ userId: randomUUID() })).rejects.toMatchObject({
      data: { code: "NOT_FOUND" },
    });
    await expect(viewer.client.api.users.byId.query({ userId: "not-a-uuid" })).rejects.toMatchObject({
      data: { code: "BAD_REQUEST" },
    });
  });

  it("hides a user who blocked the viewer exactly like an unknown one", async () => {
    const viewer = await server.signUp("viewer");
    const blocker = await server.signUp("blocker");
    await blocker.client.api.friends.block.mutate({ userId: viewer.user.id });

    const hidden = await viewer.client.api.users.byId.query({ userId: blocker.user.id }).catch((error: unknown) => error);
    const unknown = await viewer.client.api.users.byId.query({ userId: randomUUID() }).catch((error: unknown) => error);
    expect(hidden).toMatchObject({ data: { code: "NOT_FOUND" } });
    expect((hidden as Error).message).toBe((unknown as Error).message);
    // The blocker still sees the user they blocked.
    expect(await blocker.client.api.users.byId.query({ userId: viewer.user.id })).toEqual(viewer.user);
  });
});

describe("users.updateProfile", () => {
  it("changes the display name, trimmed, and tells the user's devices", async () => {
    const pat = await server.signUp("pat");
    const otherDevice = await server.signIn(pat);
    const events = await listen(otherDevice.client);

    const updated = await pat.client.api.users.updateProfile.mutate({ displayName: "  Pat the Builder  " });

    expect(updated).toEqual({ ...pat.user, displayName: "Pat the Builder" });
    expect(await pat.client.api.auth.me.query()).toEqual(updated);
    const event = await events.waitFor((item) => item.type === "profile.updated");
    expect(event).toEqual({ type: "profile.updated", user: updated });
    events.stop();
  });

  it("tells the members of the user's groups at once, friends or not, once each, but not one who blocked them", async () => {
    const olive = await server.signUp("olive");
    const [pat, bea, cal] = await Promise.all([server.signUp("pat"), server.signUp("bea"), server.signUp("cal")]);
    await createGroup(olive, [pat, bea, cal], "One");
    await olive.client.api.conversations.createGroup.mutate({ title: "Two", memberIds: [pat.user.id, bea.user.id] });
    await cal.client.api.friends.block.mutate({ userId: pat.user.id });
    const [beaEvents, calEvents] = await Promise.all([listen(bea.client), listen(cal.client)]);

    await pat.client.api.users.updateProfile.mutate({ displayName: "Pat, first" });
    const second = await pat.client.api.users.updateProfile.mutate({ displayName: "Pat, second" });
    await beaEvents.waitFor((event) => event.type === "profile.updated" && event.user.displayName === "Pat, second");
    const beaHeard = beaEvents.events.filter((event) => event.type === "profile.updated").map((event) => event.type === "profile.updated" && event.user);
    // Two groups in common, one event per change.
    expect(beaHeard).toEqual([{ ...second, displayName: "Pat, first" }, second]);

    // Cal's own change comes after anything addressed to them before it.
    await cal.client.api.users.updateProfile.mutate({ displayName: "Cal, marker" });
    await calEvents.waitFor((event) => event.type === "profile.updated" && event.user.id === cal.user.id);
    expect(calEvents.events.some((event) => event.type === "profile.updated" && event.user.id === pat.user.id)).toBe(false);
    beaEvents.stop();
    calEvents.stop();
  });

  it("counts characters as people do: 64 emoji fit, 65 letters do not", async () => {
    const quinn = await server.signUp("quinn");
    const emoji = "🦊".repeat(64);
    expect((await quinn.client.api.users.updateProfile.mutate({ displayName: emoji })).displayName).toBe(emoji);
    await expect(quinn.client.api.users.updateProfile.mutate({ displayName: "q".repeat(65) })).rejects.toMatchObject({
      data: { code: "BAD_REQUEST" },
    });
  });

  it("rejects an empty name and control characters", async () => {
    const rita = await server.signUp("rita");
    for (const displayName of ["", "   ", "line\nbreak"]) {
      await expect(rita.client.api.users.updateProfile.mutate({ displayName })).rejects.toMatchObject({
        data: { code: "BAD_REQUEST" },
      });
    }
    expect(await rita.client.api.auth.me.query()).toEqual(rita.user);
  });

  it("requires a session", async () => {
    const anonymous = server.anonymous().api.users;
    const unauthorized = { data: { code: "UNAUTHORIZED" } };
    await expect(anonymous.search.query({ query: "a" })).rejects.toMatchObject(unauthorized);
    await expect(anonymous.byId.query({ userId: randomUUID() })).rejects.toMatchObject(unauthorized);
    await expect(anonymous.updateProfile.mutate({ displayName: "Nobody" })).rejects.toMatchObject(unauthorized);
  });
});
