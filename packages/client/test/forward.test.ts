import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { ConversationView, MessageView } from "../src/index";
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

async function openDirect(a: TestUser, b: TestUser): Promise<ConversationView> {
  await befriend(a, b);
  return a.client.api.conversations.openDirect.mutate({ userId: b.user.id });
}

function send(user: TestUser, conversationId: string, body: string): Promise<MessageView> {
  return user.client.api.messages.send.mutate({ conversationId, clientId: randomUUID(), body });
}

describe("messages.forward", () => {
  it("copies the text into each conversation as the forwarder's message, marked with the original author", async () => {
    const author = await server.signUp("author");
    const forwarder = await server.signUp("forwarder");
    const friend = await server.signUp("friend");
    const source = await createGroup(author, [forwarder]);
    const direct = await openDirect(forwarder, friend);
    const team = await forwarder.client.api.conversations.createGroup.mutate({ title: "Team" });
    const original = await send(author, source.id, "the crane is at the lake");
    const friendEvents = await listen(friend.client);

    const result = await forwarder.client.api.messages.forward.mutate({ messageId: original.id, toConversationIds: [direct.id, team.id] });
    expect(result.refused).toEqual([]);
    expect(result.messages.map((message) => message.conversationId)).toEqual([direct.id, team.id]);
    for (const copy of result.messages) {
      expect(copy).toMatchObject({
        senderId: forwarder.user.id,
        body: "the crane is at the lake",
        kind: "text",
        forwardedFrom: { userId: author.user.id, displayName: "author" },
      });
      expect(copy.id).not.toBe(original.id);
    }
    const delivered = await friendEvents.waitFor((event) => event.type === "message.created" && event.conversationId === direct.id);
    expect(delivered).toMatchObject({ message: { forwardedFrom: { userId: author.user.id, displayName: "author" } } });
    const history = await friend.client.api.messages.history.query({ conversationId: direct.id });
    expect(history.messages[0]).toMatchObject({ forwardedFrom: { userId: author.user.id } });
    expect(original.forwardedFrom).toBeNull();
    friendEvents.stop();
  });

  it("names the first author when a forwarded copy is forwarded on", async () => {
    const author = await server.signUp("author");
    const first = await server.signUp("first");
    const second = await server.signUp("second");
    const source = await createGroup(author, [first]);
    const middle = await createGroup(first, [second]);
    const end = await second.client.api.conversations.createGroup.mutate({ title: "End" });
    const original = await send(author, source.id, "pass it on");
    const [copy] = (await first.client.api.messages.forward.mutate({ messageId: original.id, toConversationIds: [middle.id] })).messages;
    const [again] = (await second.client.api.messages.forward.mutate({ messageId: copy?.id ?? "", toConversationIds: [end.id] })).messages;
    expect(again).toMatchObject({ senderId: second.user.id, forwardedFrom: { userId: author.user.id, displayName: "author" } });
  });

  it("leaves out the author's name when the author blocked the forwarder", async () => {
    const author = await server.signUp("author");
    const forwarder = await server.signUp("forwarder");
    const source = await createGroup(author, [forwarder]);
    const notes = await forwarder.client.api.conversations.createGroup.mutate({ title: "Notes" });
    const original = await send(author, source.id, "not for you to credit");
    await author.client.api.friends.block.mutate({ userId: forwarder.user.id });
    const [copy] = (await forwarder.client.api.messages.forward.mutate({ messageId: original.id, toConversationIds: [notes.id] })).messages;
    expect(copy?.forwardedFrom).toEqual({ userId: null, displayName: null });
  });

  it("only forwards what the caller can read, to where the caller can write", async () => {
    const author = await server.signUp("author");
    const forwarder = await server.signUp("forwarder");
    const stranger = await server.signUp("stranger");
    const source = await createGroup(author, [forwarder]);
    const notes = await forwarder.client.api.conversations.createGroup.mutate({ title: "Notes" });
    const elsewhere = await stranger.client.api.conversations.createGroup.mutate({ title: "Elsewhere" });
    const original = await send(author, source.id, "hello");

    await expect(stranger.client.api.messages.forward.mutate({ messageId: original.id, toConversationIds: [elsewhere.id] })).rejects.toMatchObject(forbidden);
    await expect(forwarder.client.api.messages.forward.mutate({ messageId: original.id, toConversationIds: [elsewhere.id] })).rejects.toMatchObject(forbidden);
    const partly = await forwarder.client.api.messages.forward.mutate({ messageId: original.id, toConversationIds: [notes.id, elsewhere.id] });
    expect(partly.messages.map((message) => message.conversationId)).toEqual([notes.id]);
    expect(partly.refused).toEqual([{ conversationId: elsewhere.id, message: "You are not a member of this conversation" }]);

    const removed = await send(author, source.id, "gone soon");
    await author.client.api.messages.delete.mutate({ messageId: removed.id });
    await expect(forwarder.client.api.messages.forward.mutate({ messageId: removed.id, toConversationIds: [notes.id] })).rejects.toMatchObject(badRequest);

    await forwarder.client.api.friends.block.mutate({ userId: author.user.id });
    await expect(forwarder.client.api.messages.forward.mutate({ messageId: original.id, toConversationIds: [notes.id] })).rejects.toMatchObject(forbidden);
    await expect(forwarder.client.api.messages.forward.mutate({ messageId: original.id, toConversationIds: [] })).rejects.toMatchObject(badRequest);
  });

  it("gives each copy its target conversation's disappearing timer", async () => {
    const author = await server.signUp("author");
    const source = await author.client.api.conversations.createGroup.mutate({ title: "Source" });
    const fleeting = await author.client.api.conversations.createGroup.mutate({ title: "Fleeting" });
    await author.client.api.conversations.setDisappearing.mutate({ conversationId: fleeting.id, seconds: 300, startsAt: "send" });
    const original = await send(author, source.id, "keep me");
    const [copy] = (await author.client.api.messages.forward.mutate({ messageId: original.id, toConversationIds: [fleeting.id] })).messages;
    expect(copy?.expiresAt).not.toBeNull();
    expect(original.expiresAt).toBeNull();
  });
});
