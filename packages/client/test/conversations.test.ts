import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { ConversationView, StreamEvent } from "../src/index";
import { befriend, createGroup, listen, startTestServer, type TestServer, type TestUser } from "./harness";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.stop();
});

const forbidden = { data: { code: "FORBIDDEN" } };
const badRequest = { data: { code: "BAD_REQUEST" } };
const notFound = { data: { code: "NOT_FOUND" } };

function send(user: TestUser, conversationId: string, body: string) {
  return user.client.api.messages.send.mutate({ conversationId, clientId: randomUUID(), body });
}

function roles(conversation: ConversationView): Record<string, string> {
  return Object.fromEntries(conversation.members.map((member) => [member.userId, member.role]));
}

function typesOf(events: StreamEvent[]): string[] {
  return events
    .map((event) => event.type)
    .filter((type) => type !== "stream.ready" && type !== "presence" && type !== "typing");
}

describe("conversations.openDirect", () => {
  it("creates one conversation for two friends and tells both of them", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    await befriend(alice, bob);
    const [aliceEvents, bobEvents] = await Promise.all([listen(alice.client), listen(bob.client)]);

    const opened = await alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id });
    expect(opened).toMatchObject({ kind: "direct", title: null, creatorId: alice.user.id, lastSeq: 0 });
    expect(opened.members.map((member) => member.userId).sort()).toEqual([alice.user.id, bob.user.id].sort());
    expect(opened.members.find((member) => member.userId === bob.user.id)).toEqual({
      userId: bob.user.id,
      username: bob.user.username,
      displayName: bob.user.displayName,
      avatarUrl: null,
      role: "member",
      lastReadSeq: 0,
      joinedAt: expect.any(String),
    });

    for (const events of [aliceEvents, bobEvents]) {
      expect(await events.waitFor((event) => event.type === "conversation.joined")).toEqual({
        type: "conversation.joined",
        conversationId: opened.id,
        conversation: opened,
      });
    }
    // Opening again, from either side, returns the same conversation and announces nothing new.
    expect(await bob.client.api.conversations.openDirect.mutate({ userId: alice.user.id })).toEqual(opened);
    expect(await alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id })).toEqual(opened);
    await send(alice, opened.id, "marker");
    await bobEvents.waitFor((event) => event.type === "message.created");
    expect(bobEvents.events.filter((event) => event.type === "conversation.joined")).toHaveLength(1);
    aliceEvents.stop();
    bobEvents.stop();
  });

  it("yields one conversation when both friends open it at the same time", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    await befriend(alice, bob);
    const opened = await Promise.all([
      alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id }),
      bob.client.api.conversations.openDirect.mutate({ userId: alice.user.id }),
      alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id }),
      bob.client.api.conversations.openDirect.mutate({ userId: alice.user.id }),
    ]);
    expect(new Set(opened.map((conversation) => conversation.id)).size).toBe(1);
    expect(await alice.client.api.conversations.list.query()).toHaveLength(1);
    expect(await bob.client.api.conversations.list.query()).toHaveLength(1);
  });

  it("needs an accepted friendship", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    await expect(alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id })).rejects.toMatchObject({
      ...forbidden,
      message: "Direct messages need an accepted friendship with this user",
    });
    // A pending request is not a friendship.
    await alice.client.api.friends.request.mutate({ username: bob.username });
    await expect(alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id })).rejects.toMatchObject(
      forbidden,
    );
    await expect(alice.client.api.conversations.openDirect.mutate({ userId: randomUUID() })).rejects.toMatchObject(
      forbidden,
    );
  });

  it("is refused when either user blocked the other", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const carol = await server.signUp("carol");
    await befriend(alice, bob);
    await befriend(alice, carol);
    await bob.client.api.friends.block.mutate({ userId: alice.user.id });
    await alice.client.api.friends.block.mutate({ userId: carol.user.id });
    const blocked = { ...forbidden, message: "You cannot message this user: one of you has blocked the other" };
    await expect(alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id })).rejects.toMatchObject(blocked);
    await expect(bob.client.api.conversations.openDirect.mutate({ userId: alice.user.id })).rejects.toMatchObject(blocked);
    await expect(alice.client.api.conversations.openDirect.mutate({ userId: carol.user.id })).rejects.toMatchObject(blocked);
    await expect(carol.client.api.conversations.openDirect.mutate({ userId: alice.user.id })).rejects.toMatchObject(blocked);
  });

  it("refuses a conversation with yourself and malformed ids", async () => {
    const alice = await server.signUp("alice");
    await expect(alice.client.api.conversations.openDirect.mutate({ userId: alice.user.id })).rejects.toMatchObject(
      badRequest,
    );
    await expect(alice.client.api.conversations.openDirect.mutate({ userId: "not-a-uuid" })).rejects.toMatchObject(
      badRequest,
    );
  });
});

describe("conversations.createGroup", () => {
  it("makes the creator owner, adds friends as members and tells each of them", async () => {
    const owner = await server.signUp("owner");
    const bob = await server.signUp("bob");
    const carol = await server.signUp("carol");
    await befriend(owner, bob);
    await befriend(owner, carol);
    const [ownerEvents, bobEvents, carolEvents] = await Promise.all([
      listen(owner.client),
      listen(bob.client),
      listen(carol.client),
    ]);

    const group = await owner.client.api.conversations.createGroup.mutate({
      title: "  Weekend plans  ",
      memberIds: [bob.user.id, carol.user.id, bob.user.id, owner.user.id],
    });
    expect(group).toMatchObject({ kind: "group", title: "Weekend plans", creatorId: owner.user.id, lastSeq: 0 });
    expect(roles(group)).toEqual({ [owner.user.id]: "owner", [bob.user.id]: "member", [carol.user.id]: "member" });
    for (const events of [ownerEvents, bobEvents, carolEvents]) {
      expect(await events.waitFor((event) => event.type === "conversation.joined")).toEqual({
        type: "conversation.joined",
        conversationId: group.id,
        conversation: group,
      });
    }
    ownerEvents.stop();
    bobEvents.stop();
    carolEvents.stop();
  });

  it("allows a group of one", async () => {
    const owner = await server.signUp("owner");
    const group = await owner.client.api.conversations.createGroup.mutate({ title: "Notes" });
    expect(roles(group)).toEqual({ [owner.user.id]: "owner" });
  });

  it("accepts only the creator's accepted friends", async () => {
    const owner = await server.signUp("owner");
    const friend = await server.signUp("friend");
    const stranger = await server.signUp("stranger");
    await befriend(owner, friend);
    await expect(
      owner.client.api.conversations.createGroup.mutate({ title: "Team", memberIds: [friend.user.id, stranger.user.id] }),
    ).rejects.toMatchObject({ ...forbidden, message: "You can only add your accepted friends to a group" });
    expect(await friend.client.api.conversations.list.query()).toEqual([]);
  });

  it("validates the title and the member list", async () => {
    const owner = await server.signUp("owner");
    for (const title of ["", "   ", "x".repeat(101), "nul \u0000"]) {
      await expect(owner.client.api.conversations.createGroup.mutate({ title, memberIds: [] })).rejects.toMatchObject(
        badRequest,
      );
    }
    const tooMany = Array.from({ length: 257 }, () => randomUUID());
    await expect(owner.client.api.conversations.createGroup.mutate({ title: "Big", memberIds: tooMany })).rejects.toMatchObject(
      badRequest,
    );
    await expect(
      owner.client.api.conversations.createGroup.mutate({ title: "Bad", memberIds: ["nope"] }),
    ).rejects.toMatchObject(badRequest);
    expect(
      (await owner.client.api.conversations.createGroup.mutate({ title: "x".repeat(100), memberIds: [] })).title,
    ).toHaveLength(100);
  });
});

describe("conversations.list and conversations.get", () => {
  it("answers a cursor Postgres cannot represent with BAD_REQUEST, not a server error", async () => {
    const zoe = await server.signUp("zoe");
    await expect(
      zoe.client.api.conversations.list.query({
        after: { lastActivityAt: "0000-01-01T00:00:00Z", id: randomUUID() },
      }),
    ).rejects.toMatchObject(badRequest);
  });

  it("lists the newest activity first with last message, members and unread counts", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const carol = await server.signUp("carol");
    await befriend(alice, bob);
    const direct = await alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id });
    const group = await createGroup(alice, [carol], "Group");

    await send(bob, direct.id, "one");
    await send(bob, direct.id, "two");
    await send(alice, direct.id, "mine");
    await send(carol, group.id, "hello group");

    const list = await alice.client.api.conversations.list.query();
    expect(list.map((summary) => summary.id)).toEqual([group.id, direct.id]);
    const [groupSummary, directSummary] = list;
    expect(groupSummary).toMatchObject({ kind: "group", title: "Group", lastSeq: 1, unreadCount: 1, lastReadSeq: 0 });
    expect(groupSummary?.lastMessage).toMatchObject({ body: "hello group", senderId: carol.user.id, seq: 1 });
    expect(groupSummary?.members).toHaveLength(2);
    // My own messages never count as unread, and sending reads everything before it.
    expect(directSummary).toMatchObject({ lastSeq: 3, unreadCount: 0, lastReadSeq: 3 });
    expect(directSummary?.lastMessage).toMatchObject({ body: "mine", senderId: alice.user.id, reactions: [] });

    const bobView = await bob.client.api.conversations.get.query({ conversationId: direct.id });
    expect(bobView).toMatchObject({ id: direct.id, unreadCount: 1, lastReadSeq: 2 });
    expect(await bob.client.api.conversations.list.query()).toEqual([bobView]);
  });

  it("counts others' undeleted messages as unread until they are read", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const group = await createGroup(alice, [bob]);
    const sent = [];
    for (let index = 0; index < 4; index += 1) sent.push(await send(bob, group.id, `message ${index}`));
    await send(alice, group.id, "my own");
    expect(await alice.client.api.conversations.get.query({ conversationId: group.id })).toMatchObject({
      unreadCount: 0,
      lastReadSeq: 5,
    });

    await bob.client.api.messages.delete.mutate({ messageId: sent[3]!.id });
    const sixth = await send(bob, group.id, "after");
    await alice.client.api.messages.markRead.mutate({ conversationId: group.id, seq: 2 });
    // After 5 the only unread is 6 (4 was deleted, 5 is mine), whatever the read position says.
    expect(await alice.client.api.conversations.get.query({ conversationId: group.id })).toMatchObject({
      unreadCount: 1,
      lastReadSeq: 5,
    });
    await alice.client.api.messages.markRead.mutate({ conversationId: group.id, seq: sixth.seq });
    expect(await alice.client.api.conversations.get.query({ conversationId: group.id })).toMatchObject({
      unreadCount: 0,
      lastReadSeq: 6,
    });
    // Bob read everything up to his own latest message by sending it.
    expect(await bob.client.api.conversations.get.query({ conversationId: group.id })).toMatchObject({
      unreadCount: 0,
      lastReadSeq: 6,
    });
  });

  it("pages with a limit and the previous page's last conversation", async () => {
    const alice = await server.signUp("alice");
    const created: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      const group = await alice.client.api.conversations.createGroup.mutate({ title: `G${index}` });
      await send(alice, group.id, `hello ${index}`);
      created.push(group.id);
    }
    const seen: string[] = [];
    let page = await alice.client.api.conversations.list.query({ limit: 2 });
    while (page.length > 0) {
      seen.push(...page.map((summary) => summary.id));
      const last = page.at(-1)!;
      page = await alice.client.api.conversations.list.query({
        limit: 2,
        after: { lastActivityAt: last.lastActivityAt, id: last.id },
      });
    }
    expect(seen).toEqual([...created].reverse());
    await expect(alice.client.api.conversations.list.query({ limit: 0 })).rejects.toMatchObject(badRequest);
    await expect(alice.client.api.conversations.list.query({ limit: 101 })).rejects.toMatchObject(badRequest);
  });

  it("leaves out the last message and unread messages of users the caller blocked", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const carol = await server.signUp("carol");
    const group = await createGroup(alice, [bob, carol]);
    await send(carol, group.id, "from carol");
    await send(bob, group.id, "from bob");
    await alice.client.api.friends.block.mutate({ userId: bob.user.id });
    expect(await alice.client.api.conversations.get.query({ conversationId: group.id })).toMatchObject({
      unreadCount: 1,
      lastMessage: { body: "from carol" },
    });
  });

  it("refuses conversations the caller is not in, and ones that do not exist, alike", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const group = await alice.client.api.conversations.createGroup.mutate({ title: "Private" });
    const refusal = { ...forbidden, message: "You are not a member of this conversation" };
    await expect(bob.client.api.conversations.get.query({ conversationId: group.id })).rejects.toMatchObject(refusal);
    await expect(bob.client.api.conversations.get.query({ conversationId: randomUUID() })).rejects.toMatchObject(refusal);
    expect(await bob.client.api.conversations.list.query()).toEqual([]);
  });

  it("requires a session", async () => {
    const anonymous = server.anonymous();
    await expect(anonymous.api.conversations.list.query()).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
  });
});

describe("conversations.rename", () => {
  it("lets the owner and admins rename a group and tells its members", async () => {
    const owner = await server.signUp("owner");
    const admin = await server.signUp("admin");
    const member = await server.signUp("member");
    const group = await createGroup(owner, [admin, member]);
    await owner.client.api.conversations.setRole.mutate({ conversationId: group.id, userId: admin.user.id, role: "admin" });
    const memberEvents = await listen(member.client);

    const renamed = await owner.client.api.conversations.rename.mutate({ conversationId: group.id, title: " New " });
    expect(renamed.title).toBe("New");
    expect(await memberEvents.waitFor((event) => event.type === "conversation.updated")).toEqual({
      type: "conversation.updated",
      conversationId: group.id,
      conversation: renamed,
      change: "renamed",
      actorId: owner.user.id,
      userIds: [],
    });
    expect((await admin.client.api.conversations.rename.mutate({ conversationId: group.id, title: "By admin" })).title).toBe(
      "By admin",
    );
    await expect(member.client.api.conversations.rename.mutate({ conversationId: group.id, title: "Nope" })).rejects.toMatchObject({
      ...forbidden,
      message: "Only the owner and admins can rename this group",
    });
    memberEvents.stop();
  });

  it("applies to groups only, like every change of members and roles", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    await befriend(alice, bob);
    const direct = await alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id });
    await expect(alice.client.api.conversations.rename.mutate({ conversationId: direct.id, title: "Us" })).rejects.toMatchObject({
      ...badRequest,
      message: "You cannot rename a direct conversation",
    });
    const carol = await server.signUp("carol");
    await befriend(alice, carol);
    const api = alice.client.api.conversations;
    await expect(api.addMembers.mutate({ conversationId: direct.id, userIds: [carol.user.id] })).rejects.toMatchObject(badRequest);
    await expect(api.removeMember.mutate({ conversationId: direct.id, userId: bob.user.id })).rejects.toMatchObject(badRequest);
    await expect(api.setRole.mutate({ conversationId: direct.id, userId: bob.user.id, role: "admin" })).rejects.toMatchObject(
      badRequest,
    );
  });
});

describe("conversations.addMembers", () => {
  it("adds the adder's friends; each hears that they joined before the group hears of them", async () => {
    const owner = await server.signUp("owner");
    const member = await server.signUp("member");
    const newcomer = await server.signUp("newcomer");
    const group = await createGroup(owner, [member]);
    await send(member, group.id, "before you came");
    await befriend(owner, newcomer);
    const [memberEvents, newcomerEvents] = await Promise.all([listen(member.client), listen(newcomer.client)]);

    const updated = await owner.client.api.conversations.addMembers.mutate({
      conversationId: group.id,
      userIds: [newcomer.user.id, member.user.id, newcomer.user.id],
    });
    expect(roles(updated)).toEqual({ [owner.user.id]: "owner", [member.user.id]: "member", [newcomer.user.id]: "member" });
    const update = {
      type: "conversation.updated",
      conversationId: group.id,
      conversation: updated,
      change: "members_added",
      actorId: owner.user.id,
      userIds: [newcomer.user.id],
    };
    expect(await memberEvents.waitFor((event) => event.type === "conversation.updated")).toEqual(update);
    await newcomerEvents.waitFor((event) => event.type === "conversation.updated");
    // Joined, then the notice that they were added, then the update.
    expect(typesOf(newcomerEvents.events)).toEqual(["conversation.joined", "message.created", "conversation.updated"]);
    expect(newcomerEvents.events.find((event) => event.type === "conversation.joined")).toEqual({
      type: "conversation.joined",
      conversationId: group.id,
      conversation: updated,
    });
    // The newcomer can read the history, and what came before them is not unread.
    const history = await newcomer.client.api.messages.history.query({ conversationId: group.id });
    expect(history.messages.filter((message) => message.kind !== "system").map((message) => message.body)).toEqual(["before you came"]);
    expect(await newcomer.client.api.conversations.get.query({ conversationId: group.id })).toMatchObject({
      unreadCount: 0,
    });
    await send(member, group.id, "welcome");
    await newcomerEvents.waitFor((event) => event.type === "message.created");

    // Adding only people already in the group changes nothing.
    const unchanged = await owner.client.api.conversations.addMembers.mutate({
      conversationId: group.id,
      userIds: [member.user.id],
    });
    expect(roles(unchanged)).toEqual(roles(updated));
    await send(owner, group.id, "marker");
    await memberEvents.waitFor((event) => event.type === "message.created" && event.message.body === "marker");
    expect(memberEvents.events.filter((event) => event.type === "conversation.updated")).toHaveLength(1);
    memberEvents.stop();
    newcomerEvents.stop();
  });

  it("brings back someone who left as a plain member", async () => {
    const owner = await server.signUp("owner");
    const member = await server.signUp("member");
    const group = await createGroup(owner, [member]);
    await owner.client.api.conversations.setRole.mutate({ conversationId: group.id, userId: member.user.id, role: "admin" });
    await member.client.api.conversations.leave.mutate({ conversationId: group.id });
    await expect(member.client.api.conversations.get.query({ conversationId: group.id })).rejects.toMatchObject(forbidden);

    const updated = await owner.client.api.conversations.addMembers.mutate({
      conversationId: group.id,
      userIds: [member.user.id],
    });
    expect(roles(updated)[member.user.id]).toBe("member");
    expect(await member.client.api.conversations.get.query({ conversationId: group.id })).toMatchObject({ id: group.id });
  });

  it("is for the owner and admins, and only for their own friends", async () => {
    const owner = await server.signUp("owner");
    const admin = await server.signUp("admin");
    const member = await server.signUp("member");
    const ownersFriend = await server.signUp("friend");
    const group = await createGroup(owner, [admin, member]);
    await owner.client.api.conversations.setRole.mutate({ conversationId: group.id, userId: admin.user.id, role: "admin" });
    await befriend(owner, ownersFriend);
    await befriend(member, ownersFriend);

    await expect(
      member.client.api.conversations.addMembers.mutate({ conversationId: group.id, userIds: [ownersFriend.user.id] }),
    ).rejects.toMatchObject({ ...forbidden, message: "Only the owner and admins can add members to this group" });
    await expect(
      admin.client.api.conversations.addMembers.mutate({ conversationId: group.id, userIds: [ownersFriend.user.id] }),
    ).rejects.toMatchObject({ ...forbidden, message: "You can only add your accepted friends to a group" });
    await befriend(admin, ownersFriend);
    const updated = await admin.client.api.conversations.addMembers.mutate({
      conversationId: group.id,
      userIds: [ownersFriend.user.id],
    });
    expect(updated.members).toHaveLength(4);
    await expect(
      owner.client.api.conversations.addMembers.mutate({ conversationId: group.id, userIds: [] }),
    ).rejects.toMatchObject(badRequest);
  });
});

describe("conversations.removeMember", () => {
  it("tells the group first and the removed member last, after which they hear nothing more", async () => {
    const owner = await server.signUp("owner");
    const member = await server.signUp("member");
    const other = await server.signUp("other");
    const group = await createGroup(owner, [member, other]);
    const [memberEvents, otherEvents] = await Promise.all([listen(member.client), listen(other.client)]);

    const updated = await owner.client.api.conversations.removeMember.mutate({
      conversationId: group.id,
      userId: member.user.id,
    });
    expect(updated.members.map((entry) => entry.userId)).not.toContain(member.user.id);
    const update = {
      type: "conversation.updated",
      conversationId: group.id,
      conversation: updated,
      change: "member_removed",
      actorId: owner.user.id,
      userIds: [member.user.id],
    };
    expect(await otherEvents.waitFor((event) => event.type === "conversation.updated")).toEqual(update);
    expect(await memberEvents.waitFor((event) => event.type === "conversation.left")).toEqual({
      type: "conversation.left",
      conversationId: group.id,
      removedBy: owner.user.id,
    });
    expect(typesOf(memberEvents.events)).toEqual(["message.created", "conversation.updated", "conversation.left"]);

    await send(other, group.id, "after the removal");
    await otherEvents.waitFor((event) => event.type === "message.created");
    await send(owner, group.id, "still nothing for the removed member");
    await otherEvents.waitFor((event) => event.type === "message.created" && event.message.seq === 2);
    expect(typesOf(memberEvents.events)).toEqual(["message.created", "conversation.updated", "conversation.left"]);
    await expect(send(member, group.id, "let me back")).rejects.toMatchObject(forbidden);
    await expect(member.client.api.messages.history.query({ conversationId: group.id })).rejects.toMatchObject(forbidden);
    memberEvents.stop();
    otherEvents.stop();
  });

  it("replays to a removed member who was away what the group heard up to their removal, and nothing after it", async () => {
    const owner = await server.signUp("owner");
    const member = await server.signUp("member");
    const other = await server.signUp("other");
    const group = await createGroup(owner, [member, other]);
    const away = await listen(member.client);
    await send(owner, group.id, "before the removal");
    await away.waitFor((event) => event.type === "message.created");
    const resumeFrom = away.lastEventId();
    if (!resumeFrom) throw new Error("the stream gave no position");
    away.stop();

    await owner.client.api.conversations.removeMember.mutate({ conversationId: group.id, userId: member.user.id });
    await send(other, group.id, "after the removal");
    await owner.client.api.conversations.rename.mutate({ conversationId: group.id, title: "Without them" });

    const back = await listen(member.client, resumeFrom);
    expect(typesOf(back.events)).toEqual(["message.created", "conversation.updated", "conversation.left"]);
    const [notice, update] = back.events.filter((event) => event.type !== "stream.ready");
    if (notice?.type !== "message.created") throw new Error("the removal's notice was not replayed first");
    expect(notice.message.kind).toBe("system");
    expect(JSON.parse(notice.message.body ?? "null")).toMatchObject({ type: "member_removed", userId: member.user.id });
    expect(update).toMatchObject({ type: "conversation.updated", change: "member_removed", userIds: [member.user.id] });
    back.stop();
  });

  it("lets admins remove members but not the owner or other admins; the owner removes anyone", async () => {
    const owner = await server.signUp("owner");
    const admin = await server.signUp("admin");
    const otherAdmin = await server.signUp("admin2");
    const member = await server.signUp("member");
    const group = await createGroup(owner, [admin, otherAdmin, member]);
    for (const promoted of [admin, otherAdmin]) {
      await owner.client.api.conversations.setRole.mutate({ conversationId: group.id, userId: promoted.user.id, role: "admin" });
    }
    const adminRule = { ...forbidden, message: "Admins cannot remove the owner or other admins" };
    await expect(
      admin.client.api.conversations.removeMember.mutate({ conversationId: group.id, userId: owner.user.id }),
    ).rejects.toMatchObject(adminRule);
    await expect(
      admin.client.api.conversations.removeMember.mutate({ conversationId: group.id, userId: otherAdmin.user.id }),
    ).rejects.toMatchObject(adminRule);
    await expect(
      member.client.api.conversations.removeMember.mutate({ conversationId: group.id, userId: admin.user.id }),
    ).rejects.toMatchObject(forbidden);
    await expect(
      admin.client.api.conversations.removeMember.mutate({ conversationId: group.id, userId: admin.user.id }),
    ).rejects.toMatchObject({ ...badRequest, message: "To remove yourself, leave the conversation" });

    await admin.client.api.conversations.removeMember.mutate({ conversationId: group.id, userId: member.user.id });
    await expect(
      admin.client.api.conversations.removeMember.mutate({ conversationId: group.id, userId: member.user.id }),
    ).rejects.toMatchObject(notFound);
    const updated = await owner.client.api.conversations.removeMember.mutate({
      conversationId: group.id,
      userId: otherAdmin.user.id,
    });
    expect(roles(updated)).toEqual({ [owner.user.id]: "owner", [admin.user.id]: "admin" });
  });
});

describe("conversations.leave", () => {
  it("hands ownership to the longest-standing admin, else the longest-standing member", async () => {
    const owner = await server.signUp("owner");
    const first = await server.signUp("first");
    const second = await server.signUp("second");
    const third = await server.signUp("third");
    const group = await createGroup(owner, [first]);
    // Added one at a time, so each joins after the one before.
    for (const later of [second, third]) {
      await befriend(owner, later);
      await owner.client.api.conversations.addMembers.mutate({ conversationId: group.id, userIds: [later.user.id] });
    }
    await owner.client.api.conversations.setRole.mutate({ conversationId: group.id, userId: third.user.id, role: "admin" });
    const firstEvents = await listen(first.client);

    await owner.client.api.conversations.leave.mutate({ conversationId: group.id });
    const afterOwnerLeft = await first.client.api.conversations.get.query({ conversationId: group.id });
    // The only admin wins over members who joined earlier.
    expect(roles(afterOwnerLeft)).toEqual({ [first.user.id]: "member", [second.user.id]: "member", [third.user.id]: "owner" });
    await firstEvents.waitFor((event) => event.type === "conversation.updated" && event.change === "role_changed");
    expect(firstEvents.events.filter((event) => event.type === "conversation.updated")).toMatchObject([
      { change: "member_left", actorId: owner.user.id, userIds: [owner.user.id] },
      { change: "role_changed", actorId: owner.user.id, userIds: [third.user.id] },
    ]);

    await third.client.api.conversations.leave.mutate({ conversationId: group.id });
    // No admin left: the member who joined first takes over.
    expect(roles(await second.client.api.conversations.get.query({ conversationId: group.id }))).toEqual({
      [first.user.id]: "owner",
      [second.user.id]: "member",
    });
    firstEvents.stop();
  });

  it("tells the group, then the leaver; the last one out leaves an empty group", async () => {
    const owner = await server.signUp("owner");
    const member = await server.signUp("member");
    const group = await createGroup(owner, [member]);
    const [ownerEvents, memberEvents] = await Promise.all([listen(owner.client), listen(member.client)]);

    await member.client.api.conversations.leave.mutate({ conversationId: group.id });
    await memberEvents.waitFor((event) => event.type === "conversation.left");
    expect(typesOf(memberEvents.events)).toEqual(["message.created", "conversation.updated", "conversation.left"]);
    expect(memberEvents.events.find((event) => event.type === "conversation.left")).toEqual({
      type: "conversation.left",
      conversationId: group.id,
      removedBy: null,
    });
    expect(await ownerEvents.waitFor((event) => event.type === "conversation.updated")).toMatchObject({
      change: "member_left",
      userIds: [member.user.id],
    });
    await expect(member.client.api.conversations.leave.mutate({ conversationId: group.id })).rejects.toMatchObject(forbidden);

    await owner.client.api.conversations.leave.mutate({ conversationId: group.id });
    expect(await owner.client.api.conversations.list.query()).toEqual([]);
    await expect(owner.client.api.conversations.get.query({ conversationId: group.id })).rejects.toMatchObject(forbidden);
    ownerEvents.stop();
    memberEvents.stop();
  });

  it("does not apply to direct conversations", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    await befriend(alice, bob);
    const direct = await alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id });
    await expect(alice.client.api.conversations.leave.mutate({ conversationId: direct.id })).rejects.toMatchObject(badRequest);
  });
});

describe("conversations.setRole", () => {
  it("lets only the owner promote and demote members", async () => {
    const owner = await server.signUp("owner");
    const admin = await server.signUp("admin");
    const member = await server.signUp("member");
    const outsider = await server.signUp("outsider");
    const group = await createGroup(owner, [admin, member]);
    const memberEvents = await listen(member.client);

    const promoted = await owner.client.api.conversations.setRole.mutate({
      conversationId: group.id,
      userId: admin.user.id,
      role: "admin",
    });
    expect(roles(promoted)[admin.user.id]).toBe("admin");
    expect(await memberEvents.waitFor((event) => event.type === "conversation.updated")).toMatchObject({
      change: "role_changed",
      actorId: owner.user.id,
      userIds: [admin.user.id],
      conversation: promoted,
    });

    await expect(
      admin.client.api.conversations.setRole.mutate({ conversationId: group.id, userId: member.user.id, role: "admin" }),
    ).rejects.toMatchObject({ ...forbidden, message: "Only the owner can change roles in this group" });
    await expect(
      owner.client.api.conversations.setRole.mutate({ conversationId: group.id, userId: owner.user.id, role: "member" }),
    ).rejects.toMatchObject(badRequest);
    await expect(
      owner.client.api.conversations.setRole.mutate({ conversationId: group.id, userId: outsider.user.id, role: "admin" }),
    ).rejects.toMatchObject(notFound);
    await expect(
      owner.client.api.conversations.setRole.mutate({ conversationId: group.id, userId: admin.user.id, role: "owner" as "admin" }),
    ).rejects.toMatchObject(badRequest);
    const demoted = await owner.client.api.conversations.setRole.mutate({
      conversationId: group.id,
      userId: admin.user.id,
      role: "member",
    });
    expect(roles(demoted)[admin.user.id]).toBe("member");
    memberEvents.stop();
  });
});

describe("conversations.typing", () => {
  it("tells the other members for five seconds and drops repeats within a second", async () => {
    let nowMs = Date.now();
    const clockedServer = await startTestServer({ clock: { now: () => new Date(nowMs) } });
    try {
      const owner = await clockedServer.signUp("owner");
      const member = await clockedServer.signUp("member");
      await befriend(owner, member);
      const group = await owner.client.api.conversations.createGroup.mutate({ title: "T", memberIds: [member.user.id] });
      const [ownerEvents, memberEvents] = await Promise.all([listen(owner.client), listen(member.client)]);

      await owner.client.api.conversations.typing.mutate({ conversationId: group.id });
      expect(await memberEvents.waitFor((event) => event.type === "typing")).toEqual({
        type: "typing",
        conversationId: group.id,
        userId: owner.user.id,
        expiresAt: new Date(nowMs + 5_000).toISOString(),
      });
      nowMs += 999;
      await owner.client.api.conversations.typing.mutate({ conversationId: group.id });
      nowMs += 1;
      await owner.client.api.conversations.typing.mutate({ conversationId: group.id });
      await memberEvents.waitFor(
        (event) => event.type === "typing" && event.expiresAt === new Date(nowMs + 5_000).toISOString(),
      );
      // A message sent afterwards arrives after any typing event that was published before it.
      await send(owner, group.id, "done typing");
      await memberEvents.waitFor((event) => event.type === "message.created");
      await ownerEvents.waitFor((event) => event.type === "message.created");
      expect(memberEvents.events.filter((event) => event.type === "typing")).toHaveLength(2);
      expect(ownerEvents.events.filter((event) => event.type === "typing")).toHaveLength(0);
      ownerEvents.stop();
      memberEvents.stop();
    } finally {
      await clockedServer.stop();
    }
  });
});

describe("conversation procedures for non-members", () => {
  it("refuses every one of them", async () => {
    const owner = await server.signUp("owner");
    const member = await server.signUp("member");
    const outsider = await server.signUp("outsider");
    const group = await createGroup(owner, [member]);
    await befriend(outsider, member);
    const conversationId = group.id;
    const api = outsider.client.api.conversations;
    const refusals = [
      () => api.get.query({ conversationId }),
      () => api.rename.mutate({ conversationId, title: "Mine now" }),
      () => api.addMembers.mutate({ conversationId, userIds: [member.user.id] }),
      () => api.removeMember.mutate({ conversationId, userId: member.user.id }),
      () => api.leave.mutate({ conversationId }),
      () => api.setRole.mutate({ conversationId, userId: member.user.id, role: "admin" }),
      () => api.typing.mutate({ conversationId }),
    ];
    for (const refusal of refusals) {
      await expect(refusal()).rejects.toMatchObject({ ...forbidden, message: "You are not a member of this conversation" });
    }
    expect(await owner.client.api.conversations.get.query({ conversationId })).toMatchObject({
      title: "Team",
      members: group.members,
    });
  });
});
