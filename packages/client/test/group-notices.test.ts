import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { MessageView, StreamEvent, SystemNotice } from "../src/index";
import { befriend, createGroup, listen, startTestServer, type TestServer, type TestUser } from "./harness";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.stop();
});

/** The conversation's system messages, oldest first, as the notices they carry. */
async function noticesIn(user: TestUser, conversationId: string): Promise<SystemNotice[]> {
  const page = await user.client.api.messages.history.query({ conversationId, limit: 100 });
  return page.messages
    .filter((message) => message.kind === "system")
    .sort((a, b) => a.seq - b.seq)
    .map((message) => JSON.parse(message.body ?? "null") as SystemNotice);
}

function liveNotices(events: StreamEvent[], conversationId: string): SystemNotice[] {
  return events
    .filter((event): event is Extract<StreamEvent, { type: "message.created" }> => event.type === "message.created")
    .map((event) => event.message)
    .filter((message: MessageView) => message.conversationId === conversationId && message.kind === "system")
    .map((message) => JSON.parse(message.body ?? "null") as SystemNotice);
}

describe("group changes in the timeline", () => {
  it("records renames, joins, role changes, removal and leaving as system messages in order", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const carol = await server.signUp("carol");
    const dave = await server.signUp("dave");
    const group = await createGroup(alice, [bob], "Climbing");
    await befriend(alice, carol);
    await befriend(alice, dave);

    await alice.client.api.conversations.rename.mutate({ conversationId: group.id, title: "Bouldering" });
    await alice.client.api.conversations.addMembers.mutate({ conversationId: group.id, userIds: [carol.user.id, dave.user.id] });
    await alice.client.api.conversations.setRole.mutate({ conversationId: group.id, userId: bob.user.id, role: "admin" });
    await bob.client.api.conversations.removeMember.mutate({ conversationId: group.id, userId: dave.user.id });
    await carol.client.api.conversations.leave.mutate({ conversationId: group.id });
    await alice.client.api.conversations.leave.mutate({ conversationId: group.id });

    expect(await noticesIn(bob, group.id)).toEqual([
      { type: "group_renamed", actorId: alice.user.id, title: "Bouldering" },
      { type: "members_added", actorId: alice.user.id, userIds: [carol.user.id, dave.user.id] },
      { type: "role_changed", actorId: alice.user.id, userId: bob.user.id, role: "admin" },
      { type: "member_removed", actorId: bob.user.id, userId: dave.user.id },
      { type: "member_left", actorId: carol.user.id },
      { type: "member_left", actorId: alice.user.id },
      // The owner's leaving hands the group to the admin.
      { type: "role_changed", actorId: alice.user.id, userId: bob.user.id, role: "owner" },
    ]);
    const page = await bob.client.api.messages.history.query({ conversationId: group.id });
    expect(page.messages.map((message) => message.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const summary = (await bob.client.api.conversations.list.query()).find((item) => item.id === group.id);
    expect(summary?.lastMessage).toMatchObject({ kind: "system", seq: 7 });
  });

  it("writes nothing when a change changes nothing", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const group = await createGroup(alice, [bob], "Same");
    await alice.client.api.conversations.rename.mutate({ conversationId: group.id, title: "Same" });
    await alice.client.api.conversations.addMembers.mutate({ conversationId: group.id, userIds: [bob.user.id] });
    await alice.client.api.conversations.setRole.mutate({ conversationId: group.id, userId: bob.user.id, role: "member" });
    expect(await noticesIn(alice, group.id)).toEqual([]);
    expect((await alice.client.api.conversations.list.query())[0]).toMatchObject({ id: group.id, lastSeq: 0 });
  });

  it("tells a newcomer live that they were added, after they join", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const carol = await server.signUp("carol");
    const group = await createGroup(alice, [bob]);
    await befriend(alice, carol);
    const carolEvents = await listen(carol.client);

    await alice.client.api.conversations.addMembers.mutate({ conversationId: group.id, userIds: [carol.user.id] });
    await carolEvents.waitFor((event) => event.type === "message.created" && event.conversationId === group.id);
    const types = carolEvents.events.map((event) => event.type).filter((type) => type.startsWith("conversation.") || type === "message.created");
    expect(types.indexOf("conversation.joined")).toBeLessThan(types.indexOf("message.created"));
    expect(liveNotices(carolEvents.events, group.id)).toEqual([{ type: "members_added", actorId: alice.user.id, userIds: [carol.user.id] }]);
    // The notice of their own joining is not unread for them.
    const summary = (await carol.client.api.conversations.list.query()).find((item) => item.id === group.id);
    expect(summary).toMatchObject({ unreadCount: 0, lastReadSeq: 1, lastMessage: { kind: "system", seq: 1 } });
    carolEvents.stop();
  });

  it("tells a removed member live who removed them, before they are told they left", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const group = await createGroup(alice, [bob]);
    const bobEvents = await listen(bob.client);

    await alice.client.api.conversations.removeMember.mutate({ conversationId: group.id, userId: bob.user.id });
    const left = await bobEvents.waitFor((event) => event.type === "conversation.left");
    expect(left).toMatchObject({ conversationId: group.id, removedBy: alice.user.id });
    expect(liveNotices(bobEvents.events, group.id)).toEqual([{ type: "member_removed", actorId: alice.user.id, userId: bob.user.id }]);
    const types = bobEvents.events.map((event) => event.type);
    expect(types.indexOf("message.created")).toBeLessThan(types.indexOf("conversation.left"));
    bobEvents.stop();
  });
});
