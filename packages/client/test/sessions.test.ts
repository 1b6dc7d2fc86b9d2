import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { listen, startTestServer, type TestServer } from "./harness";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.stop();
});

const unauthorized = { data: { code: "UNAUTHORIZED" } };

describe("auth.revokeOtherSessions", () => {
  it("signs out every other device, tells them, and keeps this one", async () => {
    const ada = await server.signUp("ada");
    const laptop = await server.signIn(ada);
    const phone = await server.signIn(ada);
    const phoneEvents = await listen(phone.client);

    expect(await ada.client.api.auth.revokeOtherSessions.mutate()).toBe(2);

    await phoneEvents.waitFor((event) => event.type === "session.revoked");
    for (const device of [laptop, phone]) await expect(device.client.api.auth.me.query()).rejects.toMatchObject(unauthorized);
    const remaining = await ada.client.api.auth.sessions.query();
    expect(remaining).toHaveLength(1);
    expect(remaining[0]?.current).toBe(true);
    expect(await ada.client.api.auth.me.query()).toEqual(ada.user);
    // Nothing else to sign out; another user's devices are untouched.
    expect(await ada.client.api.auth.revokeOtherSessions.mutate()).toBe(0);
    phoneEvents.stop();
  });

  it("leaves other users' sessions alone", async () => {
    const bea = await server.signUp("bea");
    const cal = await server.signUp("cal");
    const calLaptop = await server.signIn(cal);
    expect(await bea.client.api.auth.revokeOtherSessions.mutate()).toBe(0);
    expect(await calLaptop.client.api.auth.me.query()).toEqual(cal.user);
    expect(await cal.client.api.auth.sessions.query()).toHaveLength(2);
  });
});

describe("a session's last activity", () => {
  it("moves when the device's live stream opens and again when it closes", async () => {
    const dee = await server.signUp("dee");
    const phone = await server.signIn(dee);
    const phoneSessionOf = async () => (await dee.client.api.auth.sessions.query()).find((session) => !session.current);
    const before = await phoneSessionOf();
    if (!before) throw new Error("no phone session");
    // A new session was last active when it was made (the column's default, a moment later).
    expect(Date.parse(before.lastActiveAt) - Date.parse(before.createdAt)).toBeLessThan(5_000);

    const openedAt = new Date().toISOString();
    const events = await listen(phone.client);
    let opened = before;
    // The write is not awaited by the stream: poll for it.
    for (let attempt = 0; attempt < 50 && opened.lastActiveAt < openedAt; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      opened = (await phoneSessionOf()) ?? opened;
    }
    expect(opened.lastActiveAt >= openedAt).toBe(true);

    await new Promise((resolve) => setTimeout(resolve, 20));
    const closedAt = new Date().toISOString();
    events.stop();
    let closed = opened;
    for (let attempt = 0; attempt < 50 && closed.lastActiveAt < closedAt; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      closed = (await phoneSessionOf()) ?? closed;
    }
    expect(closed.lastActiveAt >= closedAt).toBe(true);
    // The hourly check did not move: only the stream did.
    expect(closed.lastVerifiedAt).toBe(before.lastVerifiedAt);
  });
});

describe("auth.currentUser", () => {
  it("answers the signed-in user, and null (not an error) to a visitor or a signed-out token", async () => {
    const eve = await server.signUp("eve");
    expect(await eve.client.api.auth.currentUser.query()).toEqual(eve.user);
    expect(await server.anonymous().api.auth.currentUser.query()).toBeNull();
    await eve.client.api.auth.logout.mutate();
    expect(await eve.client.api.auth.currentUser.query()).toBeNull();
  });
});
