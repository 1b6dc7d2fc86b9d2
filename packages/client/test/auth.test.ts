import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";

import type { Clock } from "@parley/auth";

import { recordEvents, startTestServer, testOrigin, type TestServer } from "./harness";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.stop();
});

const strongPassword = () => `pw-${randomUUID()}`;
const freshUsername = (prefix = "user") => `${prefix}_${randomUUID().slice(0, 8)}`;

/** Calls a procedure over plain HTTP, the way a web page does, to see headers and cookies. */
async function callHttp(
  baseUrl: string,
  path: string,
  options: { input?: unknown; headers?: Record<string, string>; query?: boolean } = {},
) {
  const url = new URL(`/api/trpc/${path}`, baseUrl);
  if (options.query && options.input !== undefined) url.searchParams.set("input", JSON.stringify(options.input));
  const response = await fetch(url, {
    method: options.query ? "GET" : "POST",
    headers: { "content-type": "application/json", ...options.headers },
    body: options.query ? undefined : JSON.stringify(options.input ?? null),
  });
  const body = (await response.json()) as {
    result?: { data: unknown };
    error?: { message: string; data: { code: string } };
  };
  return { response, body, setCookie: response.headers.getSetCookie() };
}

function cookieValue(setCookie: string[], name: string): string | undefined {
  const cookie = setCookie.find((value) => value.startsWith(`${name}=`));
  return cookie?.slice(name.length + 1).split(";")[0];
}

describe("auth.register", () => {
  it("creates an account, returns the public user and a working token", async () => {
    const username = freshUsername("Reg");
    const client = server.anonymous();
    const result = await client.api.auth.register.mutate({ username, password: strongPassword(), displayName: "  Regina  " });

    expect(result.user).toEqual({
      id: expect.any(String),
      username,
      displayName: "Regina",
      createdAt: expect.any(String),
      avatarUrl: null,
    });
    expect(new Date(result.user.createdAt).toISOString()).toBe(result.user.createdAt);
    expect(result.token).toEqual(expect.any(String));
    expect(JSON.stringify(result)).not.toMatch(/argon2|passwordHash|secret/i);
    // The SDK keeps the token it was given.
    expect(client.token).toBe(result.token);
    expect(await client.api.auth.me.query()).toEqual(result.user);
  });

  it("uses the username as display name when none is given", async () => {
    const username = freshUsername();
    const { user } = await server.anonymous().api.auth.register.mutate({ username, password: strongPassword() });
    expect(user.displayName).toBe(username);
  });

  it("refuses a username taken in any letter case", async () => {
    const username = freshUsername("Case");
    await server.anonymous().api.auth.register.mutate({ username, password: strongPassword() });
    for (const variant of [username, username.toUpperCase(), username.toLowerCase()]) {
      await expect(
        server.anonymous().api.auth.register.mutate({ username: variant, password: strongPassword() }),
      ).rejects.toMatchObject({ data: { code: "CONFLICT" }, message: "Username is taken" });
    }
  });

  it("gives one account to simultaneous registrations of one name", async () => {
    const username = freshUsername("race");
    const results = await Promise.allSettled(
      [username, username.toUpperCase()].map((name) =>
        server.anonymous().api.auth.register.mutate({ username: name, password: strongPassword() }),
      ),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((result) => result.status === "rejected");
    expect(rejected?.reason).toMatchObject({ data: { code: "CONFLICT" }, message: "Username is taken" });
  });

  it.each([
    ["too short", "ab"],
    ["too long", "a".repeat(33)],
    ["a space", "has space"],
    ["a symbol", "bad!name"],
  ])("rejects a username with %s, saying what is allowed", async (_case, username) => {
    await expect(
      server.anonymous().api.auth.register.mutate({ username, password: strongPassword() }),
    ).rejects.toMatchObject({
      data: {
        code: "BAD_REQUEST",
        zodError: { fieldErrors: { username: ["Username must be 3 to 32 characters: letters, digits, _ . or -"] } },
      },
    });
  });

  it("rejects weak passwords with the policy's message", async () => {
    const username = freshUsername("weak");
    await expect(
      server.anonymous().api.auth.register.mutate({ username, password: "short" }),
    ).rejects.toMatchObject({ data: { code: "BAD_REQUEST" }, message: "Password must be at least 8 characters" });
    await expect(
      server.anonymous().api.auth.register.mutate({ username, password: `${username}-2024` }),
    ).rejects.toMatchObject({ data: { code: "BAD_REQUEST" }, message: "Password must not contain your username" });
    // Nothing was created by the failed attempts.
    await expect(
      server.anonymous().api.auth.login.mutate({ username, password: "short" }),
    ).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
  });

  it("rejects an empty or overlong display name", async () => {
    for (const displayName of ["   ", "x".repeat(65)]) {
      await expect(
        server.anonymous().api.auth.register.mutate({ username: freshUsername(), password: strongPassword(), displayName }),
      ).rejects.toMatchObject({ data: { code: "BAD_REQUEST" } });
    }
  });
});

describe("auth.login", () => {
  it("signs in with the username in any case and starts a new session", async () => {
    const alice = await server.signUp("Alice");
    const client = server.anonymous();
    const result = await client.api.auth.login.mutate({ username: alice.username.toUpperCase(), password: alice.password });

    expect(result.user).toEqual(alice.user);
    expect(result.token).toEqual(expect.any(String));
    expect(result.token).not.toBe(alice.token);
    expect(await client.api.auth.me.query()).toEqual(alice.user);
    expect(await alice.client.api.auth.sessions.query()).toHaveLength(2);
  });

  it("gives the same answer for a wrong password and an unknown username", async () => {
    const bob = await server.signUp("bob");
    const wrongPassword = await server
      .anonymous()
      .api.auth.login.mutate({ username: bob.username, password: "not-the-password" })
      .catch((error: unknown) => error);
    const unknownUser = await server
      .anonymous()
      .api.auth.login.mutate({ username: freshUsername("nobody"), password: "not-the-password" })
      .catch((error: unknown) => error);

    expect(wrongPassword).toMatchObject({ data: { code: "UNAUTHORIZED" }, message: "Wrong username or password" });
    expect(unknownUser).toMatchObject({ data: { code: "UNAUTHORIZED" }, message: "Wrong username or password" });
  });

  it("rejects a missing username or password as bad input", async () => {
    await expect(
      server.anonymous().api.auth.login.mutate({ username: "", password: "whatever-1" }),
    ).rejects.toMatchObject({ data: { code: "BAD_REQUEST" } });
    await expect(
      server.anonymous().api.auth.login.mutate({ username: "someone", password: "" }),
    ).rejects.toMatchObject({ data: { code: "BAD_REQUEST" } });
  });
});

describe("login throttling", () => {
  // A server of its own: failed logins from 127.0.0.1 must not slow down the other tests.
  let throttledServer: TestServer;
  // Frozen, so that a one-second block cannot run out while the test is still looking at it.
  let nowMs = Date.now();
  const clock: Clock = { now: () => new Date(nowMs) };

  beforeAll(async () => {
    throttledServer = await startTestServer({ clock });
  });

  afterAll(async () => {
    await throttledServer?.stop();
  });

  it("refuses logins after repeated failures, even with the right password, until the wait is over", async () => {
    const carol = await throttledServer.signUp("carol");
    const login = (password: string) =>
      throttledServer.anonymous().api.auth.login.mutate({ username: carol.username, password });

    let refusal: unknown = null;
    for (let attempt = 0; attempt < 30 && !refusal; attempt++) {
      const error = await login(`wrong-${attempt}-password`).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ data: { code: expect.stringMatching(/^(UNAUTHORIZED|TOO_MANY_REQUESTS)$/) } });
      if ((error as { data: { code: string } }).data.code === "TOO_MANY_REQUESTS") refusal = error;
    }
    expect(refusal).toMatchObject({
      data: { code: "TOO_MANY_REQUESTS", retryAfterSeconds: expect.any(Number) },
    });
    const retryAfterSeconds = (refusal as { data: { retryAfterSeconds: number } }).data.retryAfterSeconds;
    expect(retryAfterSeconds).toBeGreaterThan(0);

    await expect(login(carol.password)).rejects.toMatchObject({ data: { code: "TOO_MANY_REQUESTS" } });

    nowMs += (retryAfterSeconds + 1) * 1000;
    const result = await login(carol.password);
    expect(result.user.id).toBe(carol.user.id);
  });

  it("counts a burst of parallel guesses one at a time", async () => {
    const dora = await throttledServer.signUp("dora");
    const guesses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        throttledServer
          .anonymous()
          .api.auth.login.mutate({ username: dora.username, password: `guess-${index}-password` })
          .catch((error: { data: { code: string } }) => error.data.code),
      ),
    );
    // Only attempts that were actually verified can fail as UNAUTHORIZED; the rest must wait.
    const verified = guesses.filter((code) => code === "UNAUTHORIZED").length;
    expect(verified).toBeGreaterThanOrEqual(1);
    expect(verified).toBeLessThanOrEqual(5);
    expect(guesses.every((code) => code === "UNAUTHORIZED" || code === "TOO_MANY_REQUESTS")).toBe(true);
  });
});

describe("sessions", () => {
  it("lists the user's sessions with the current one marked, and never a secret", async () => {
    const dave = await server.signUp("dave");
    const laptop = await server.signIn(dave);
    const sessions = await dave.client.api.auth.sessions.query();

    expect(sessions).toHaveLength(2);
    expect(sessions.filter((session) => session.current)).toHaveLength(1);
    for (const session of sessions) {
      expect(Object.keys(session).sort()).toEqual(
        ["createdAt", "current", "expiresAt", "id", "ipAddress", "lastVerifiedAt", "userAgent"].sort(),
      );
      expect(new Date(session.expiresAt).getTime()).toBeGreaterThan(Date.now());
    }
    for (const token of [dave.token, laptop.token]) {
      const secret = token.split(".")[1];
      expect(secret).toBeTruthy();
      expect(JSON.stringify(sessions)).not.toContain(secret);
    }
    const current = sessions.find((session) => session.current);
    expect(dave.token.startsWith(`${current?.id}.`)).toBe(true);

    const fromLaptop = await laptop.client.api.auth.sessions.query();
    expect(fromLaptop.find((session) => session.current)?.id).not.toBe(current?.id);
  });

  it("revokes one of the user's other sessions, which then stops working", async () => {
    const erin = await server.signUp("erin");
    const phone = await server.signIn(erin);
    const phoneSession = (await phone.client.api.auth.sessions.query()).find((session) => session.current);
    if (!phoneSession) throw new Error("no current session");

    await erin.client.api.auth.revokeSession.mutate({ sessionId: phoneSession.id });

    await expect(phone.client.api.auth.me.query()).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
    const remaining = await erin.client.api.auth.sessions.query();
    expect(remaining.map((session) => session.id)).not.toContain(phoneSession.id);
    expect(await erin.client.api.auth.me.query()).toEqual(erin.user);
  });

  it("closes the live stream of a revoked session, and only that one", async () => {
    const ivan = await server.signUp("ivan");
    const phone = await server.signIn(ivan);
    const phoneSession = (await phone.client.api.auth.sessions.query()).find((session) => session.current);
    if (!phoneSession) throw new Error("no current session");

    const phoneError = new Promise<unknown>((resolve) => {
      phone.client.api.events.stream.subscribe({}, { onData: () => {}, onError: resolve });
    });
    const laptop = recordEvents(ivan.client);
    await laptop.waitFor((event) => event.type === "stream.ready");

    await ivan.client.api.auth.revokeSession.mutate({ sessionId: phoneSession.id });

    await expect(phoneError).resolves.toMatchObject({ data: { code: "UNAUTHORIZED" } });
    const notice = await laptop.waitFor((event) => event.type === "session.revoked");
    expect(notice).toEqual({ type: "session.revoked", sessionId: phoneSession.id });
    // The laptop's own stream stays open: a later event still reaches it.
    await ivan.client.api.users.updateProfile.mutate({ displayName: "Ivan the Second" });
    await laptop.waitFor((event) => event.type === "profile.updated");
    laptop.stop();
  });

  it("refuses calls on an already open WebSocket once its session is revoked", async () => {
    const judy = await server.signUp("judy");
    const phone = await server.signIn(judy);
    const phoneSession = (await phone.client.api.auth.sessions.query()).find((session) => session.current);
    if (!phoneSession) throw new Error("no current session");

    // A raw socket, so it stays open between calls the way a long-lived connection does.
    const socket = new WebSocket(`${server.url.replace("http", "ws")}/api/trpc?connectionParams=1`);
    type Reply = { id: number; result?: { data: unknown }; error?: { data: { code: string } } };
    const replies = new Map<number, (reply: Reply) => void>();
    socket.on("message", (raw) => {
      const reply = JSON.parse(String(raw)) as Reply;
      replies.get(reply.id)?.(reply);
    });
    await new Promise((resolve) => socket.once("open", resolve));
    socket.send(JSON.stringify({ method: "connectionParams", data: { token: phone.token } }));
    const call = (id: number) =>
      new Promise<Reply>((resolve) => {
        replies.set(id, resolve);
        socket.send(JSON.stringify({ id, method: "query", params: { path: "auth.me", input: null } }));
      });

    expect((await call(1)).result?.data).toEqual(judy.user);
    await judy.client.api.auth.revokeSession.mutate({ sessionId: phoneSession.id });
    expect((await call(2)).error?.data.code).toBe("UNAUTHORIZED");
    socket.close();
  });

  it("does not let a user revoke someone else's session", async () => {
    const frank = await server.signUp("frank");
    const grace = await server.signUp("grace");
    const [graceSession] = await grace.client.api.auth.sessions.query();
    if (!graceSession) throw new Error("no session");

    await expect(frank.client.api.auth.revokeSession.mutate({ sessionId: graceSession.id })).rejects.toMatchObject({
      data: { code: "NOT_FOUND" },
    });
    await expect(frank.client.api.auth.revokeSession.mutate({ sessionId: "no-such-session" })).rejects.toMatchObject({
      data: { code: "NOT_FOUND" },
    });
    expect(await grace.client.api.auth.me.query()).toEqual(grace.user);
  });

  it("requires a session for every account procedure", async () => {
    const anonymous = server.anonymous().api.auth;
    const unauthorized = { data: { code: "UNAUTHORIZED" } };
    await expect(anonymous.me.query()).rejects.toMatchObject(unauthorized);
    await expect(anonymous.sessions.query()).rejects.toMatchObject(unauthorized);
    await expect(anonymous.revokeSession.mutate({ sessionId: "x" })).rejects.toMatchObject(unauthorized);
    await expect(
      anonymous.changePassword.mutate({ currentPassword: "aaaaaaaa1", newPassword: "bbbbbbbb2" }),
    ).rejects.toMatchObject(unauthorized);
    await expect(anonymous.logout.mutate()).rejects.toMatchObject(unauthorized);
  });
});

describe("auth.logout", () => {
  it("ends the current session only", async () => {
    const heidi = await server.signUp("heidi");
    const tablet = await server.signIn(heidi);
    const token = heidi.token;

    await heidi.client.api.auth.logout.mutate();

    expect(heidi.client.token).toBeNull();
    heidi.client.setToken(token);
    await expect(heidi.client.api.auth.me.query()).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
    expect(await tablet.client.api.auth.me.query()).toEqual(heidi.user);
  });
});

describe("auth.changePassword", () => {
  it("changes the password, keeps this session and ends the others", async () => {
    const ivan = await server.signUp("ivan");
    const otherDevice = await server.signIn(ivan);
    const newPassword = strongPassword();

    await ivan.client.api.auth.changePassword.mutate({ currentPassword: ivan.password, newPassword });

    expect(await ivan.client.api.auth.me.query()).toEqual(ivan.user);
    await expect(otherDevice.client.api.auth.me.query()).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
    expect(await ivan.client.api.auth.sessions.query()).toHaveLength(1);

    await expect(
      server.anonymous().api.auth.login.mutate({ username: ivan.username, password: ivan.password }),
    ).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
    const again = await server.anonymous().api.auth.login.mutate({ username: ivan.username, password: newPassword });
    expect(again.user.id).toBe(ivan.user.id);
  });

  it("refuses a wrong current password and leaves everything as it was", async () => {
    const judy = await server.signUp("judy");
    const otherDevice = await server.signIn(judy);

    await expect(
      judy.client.api.auth.changePassword.mutate({ currentPassword: "not-my-password", newPassword: strongPassword() }),
    ).rejects.toMatchObject({ data: { code: "BAD_REQUEST" }, message: "Current password is wrong" });

    expect(await otherDevice.client.api.auth.me.query()).toEqual(judy.user);
    const login = await server.anonymous().api.auth.login.mutate({ username: judy.username, password: judy.password });
    expect(login.user.id).toBe(judy.user.id);
  });

  it("holds the new password to the policy", async () => {
    const ken = await server.signUp("ken");
    await expect(
      ken.client.api.auth.changePassword.mutate({ currentPassword: ken.password, newPassword: "short" }),
    ).rejects.toMatchObject({ data: { code: "BAD_REQUEST" }, message: "Password must be at least 8 characters" });
    await expect(
      ken.client.api.auth.changePassword.mutate({ currentPassword: ken.password, newPassword: ken.password }),
    ).rejects.toMatchObject({ data: { code: "BAD_REQUEST" } });
  });
});

describe("cookie sessions for web pages", () => {
  const cookieMode = { "x-parley-session": "cookie" };

  it("sets an HttpOnly cookie on login and keeps the token out of the response", async () => {
    const mallory = await server.signUp("mallory");
    const { body, setCookie } = await callHttp(server.url, "auth.login", {
      input: { username: mallory.username, password: mallory.password },
      headers: cookieMode,
    });

    expect(body.result?.data).toEqual({ user: mallory.user, token: null });
    expect(setCookie).toHaveLength(1);
    const [cookie] = setCookie;
    expect(cookie).toMatch(/^parley_session=[^;]+; /);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).toContain("Path=/");
    expect(cookie).toMatch(/Max-Age=\d{6,}/);
    // The test server runs with secureCookies off.
    expect(cookie).not.toContain("Secure");

    const token = cookieValue(setCookie, "parley_session");
    const me = await callHttp(server.url, "auth.me", { query: true, headers: { cookie: `parley_session=${token}` } });
    expect(me.body.result?.data).toEqual(mallory.user);
  });

  it("sets the cookie on register too", async () => {
    const username = freshUsername("webby");
    const { body, setCookie } = await callHttp(server.url, "auth.register", {
      input: { username, password: strongPassword() },
      headers: cookieMode,
    });
    expect(body.result?.data).toMatchObject({ user: { username }, token: null });
    expect(cookieValue(setCookie, "parley_session")).toBeTruthy();
  });

  it("sets no cookie for SDK callers", async () => {
    const niaj = await server.signUp("niaj");
    const { body, setCookie } = await callHttp(server.url, "auth.login", {
      input: { username: niaj.username, password: niaj.password },
    });
    expect(body.result?.data).toMatchObject({ token: expect.any(String) });
    expect(setCookie).toEqual([]);
  });

  it("clears the cookie on logout from an allowed origin and refuses a foreign one", async () => {
    const olivia = await server.signUp("olivia");
    const login = await callHttp(server.url, "auth.login", {
      input: { username: olivia.username, password: olivia.password },
      headers: cookieMode,
    });
    const cookie = `parley_session=${cookieValue(login.setCookie, "parley_session")}`;

    const forged = await callHttp(server.url, "auth.logout", { headers: { cookie, origin: "http://evil.test" } });
    expect(forged.body.error?.data.code).toBe("FORBIDDEN");

    const logout = await callHttp(server.url, "auth.logout", { headers: { cookie, origin: testOrigin } });
    expect(logout.body.error).toBeUndefined();
    expect(logout.setCookie).toHaveLength(1);
    expect(logout.setCookie[0]).toMatch(/^parley_session=; .*Max-Age=0/);

    const me = await callHttp(server.url, "auth.me", { query: true, headers: { cookie } });
    expect(me.body.error?.data.code).toBe("UNAUTHORIZED");
  });
});
