import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { ConversationView, MessageView } from "../src/index";
import { befriend, createGroup, queryRows, startTestServer, type TestServer, type TestUser } from "./harness";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ sendRate: { burst: 1_000, perSecond: 1_000 } });
});

afterAll(async () => {
  await server?.stop();
});

const badRequest = { data: { code: "BAD_REQUEST" } };

async function openDirect(a: TestUser, b: TestUser): Promise<ConversationView> {
  await befriend(a, b);
  return a.client.api.conversations.openDirect.mutate({ userId: b.user.id });
}

function send(user: TestUser, conversationId: string, body: string): Promise<MessageView> {
  return user.client.api.messages.send.mutate({ conversationId, clientId: randomUUID(), body });
}

async function found(user: TestUser, query: string, conversationId?: string): Promise<(string | null)[]> {
  const page = await user.client.api.messages.search.query({ query, conversationId });
  return page.results.map((result) => result.message.body);
}

/** A word no other test writes, so results from other tests never mix in. */
function uniqueWord(prefix: string): string {
  return `${prefix}${randomUUID().replaceAll("-", "").slice(0, 10)}`;
}

describe("messages.search", () => {
  it("finds Latin text by whole words and word prefixes, case-insensitively, newest first, with the matches marked", async () => {
    const alice = await server.signUp("alice");
    const bob = await server.signUp("bob");
    const direct = await openDirect(alice, bob);
    const word = uniqueWord("crane");
    await send(alice, direct.id, `A ${word} flew over the lake`);
    await send(bob, direct.id, `${word.toUpperCase()} again, by the LAKE`);
    await send(bob, direct.id, "nothing to see here");

    expect(await found(bob, word)).toEqual([`${word.toUpperCase()} again, by the LAKE`, `A ${word} flew over the lake`]);
    expect(await found(bob, word.slice(0, 9))).toHaveLength(2);
    expect(await found(alice, `${word} lake`)).toHaveLength(2);
    expect(await found(alice, `lake ${word}`)).toHaveLength(2);

    const [first] = (await alice.client.api.messages.search.query({ query: `${word} flew` })).results;
    expect(first?.conversation).toEqual({ id: direct.id, kind: "direct", title: null });
    const body = first?.message.body ?? "";
    expect(first?.highlights.map(({ start, end }) => body.slice(start, end))).toEqual([`${word} flew`]);
  });

  it("finds Chinese, Japanese and Korean text by substring", async () => {
    const alice = await server.signUp("alice");
    const group = await alice.client.api.conversations.createGroup.mutate({ title: "语言" });
    const tag = uniqueWord("t");
    await send(alice, group.id, `${tag} 我们明天去北京吃烤鸭`);
    await send(alice, group.id, `${tag} 東京タワーに行きました`);
    await send(alice, group.id, `${tag} 서울에서 만나요`);
    await send(alice, group.id, `${tag} 上海也不错`);

    expect(await found(alice, "北京吃烤鸭", group.id)).toEqual([`${tag} 我们明天去北京吃烤鸭`]);
    expect(await found(alice, "北京", group.id)).toEqual([`${tag} 我们明天去北京吃烤鸭`]);
    expect(await found(alice, "タワー", group.id)).toEqual([`${tag} 東京タワーに行きました`]);
    expect(await found(alice, "서울에서", group.id)).toEqual([`${tag} 서울에서 만나요`]);
    const [hit] = (await alice.client.api.messages.search.query({ query: "北京", conversationId: group.id })).results;
    expect(hit?.highlights).toEqual([{ start: tag.length + 6, end: tag.length + 8 }]);
    // One character, two parts, a Latin word beside the characters, and pairs that are all there but not adjacent.
    expect(await found(alice, "鸭", group.id)).toEqual([`${tag} 我们明天去北京吃烤鸭`]);
    expect(await found(alice, "京", group.id)).toEqual([`${tag} 東京タワーに行きました`, `${tag} 我们明天去北京吃烤鸭`]);
    expect(await found(alice, "上海 不错", group.id)).toEqual([`${tag} 上海也不错`]);
    expect(await found(alice, `${tag} 上海`, group.id)).toEqual([`${tag} 上海也不错`]);
    expect(await found(alice, "北京烤鸭", group.id)).toEqual([]);
    await send(alice, group.id, `${tag} 京吃 and 北京`);
    expect(await found(alice, "北京吃", group.id)).toEqual([`${tag} 我们明天去北京吃烤鸭`]);
  });

  it("returns only what the caller can still read: member now, not deleted, not from someone they blocked", async () => {
    const owner = await server.signUp("owner");
    const member = await server.signUp("member");
    const outsider = await server.signUp("outsider");
    const group = await createGroup(owner, [member]);
    const word = uniqueWord("secret");
    const deleted = await send(owner, group.id, `${word} deleted`);
    await send(owner, group.id, `${word} from the owner`);
    await send(member, group.id, `${word} from the member`);
    await owner.client.api.messages.delete.mutate({ messageId: deleted.id });

    expect(await found(outsider, word)).toEqual([]);
    expect(await found(owner, word)).toEqual([`${word} from the member`, `${word} from the owner`]);
    await owner.client.api.friends.block.mutate({ userId: member.user.id });
    expect(await found(owner, word)).toEqual([`${word} from the owner`]);
    await member.client.api.conversations.leave.mutate({ conversationId: group.id });
    expect(await found(member, word)).toEqual([]);
  });

  it("narrows to one conversation and pages with beforeId", async () => {
    const alice = await server.signUp("alice");
    const one = await alice.client.api.conversations.createGroup.mutate({ title: "One" });
    const two = await alice.client.api.conversations.createGroup.mutate({ title: "Two" });
    const word = uniqueWord("page");
    for (let index = 1; index <= 5; index += 1) await send(alice, one.id, `${word} ${index}`);
    await send(alice, two.id, `${word} elsewhere`);

    expect(await found(alice, word, two.id)).toEqual([`${word} elsewhere`]);
    const first = await alice.client.api.messages.search.query({ query: word, conversationId: one.id, limit: 2 });
    expect(first.results.map((result) => result.message.body)).toEqual([`${word} 5`, `${word} 4`]);
    const second = await alice.client.api.messages.search.query({ query: word, conversationId: one.id, limit: 2, beforeId: first.nextBeforeId ?? undefined });
    expect(second.results.map((result) => result.message.body)).toEqual([`${word} 3`, `${word} 2`]);
    const third = await alice.client.api.messages.search.query({ query: word, conversationId: one.id, limit: 2, beforeId: second.nextBeforeId ?? undefined });
    expect(third.results.map((result) => result.message.body)).toEqual([`${word} 1`]);
    expect(third.nextBeforeId).toBeNull();
  });

  it("finds matches of any age, newest first, and pages through them across the time windows it reads", async () => {
    const alice = await server.signUp("alice");
    const group = await alice.client.api.conversations.createGroup.mutate({ title: "Years" });
    const word = uniqueWord("aged");
    // Ages on both sides of each window the search reads (1 hour, 6 hours, 1 day, 7 days, 30 days, 365 days, then the rest).
    const ages = ["10 minutes", "59 minutes", "61 minutes", "5 hours", "7 hours", "2 days", "8 days", "40 days", "400 days", "5 years"];
    for (const [index, age] of ages.entries()) {
      const message = await send(alice, group.id, `${word} ${index}`);
      await queryRows(server.database, `update messages set created_at = now() - $2::interval where id = $1`, [message.id, age]);
    }
    await send(alice, group.id, "the latest message, matching nothing");

    const bodies: (string | null)[] = [];
    let beforeId: string | undefined;
    for (let page = 0; page < ages.length; page += 1) {
      const result = await alice.client.api.messages.search.query({ query: word, limit: 3, beforeId });
      bodies.push(...result.results.map((hit) => hit.message.body));
      if (result.nextBeforeId === null) break;
      beforeId = result.nextBeforeId;
    }
    expect(bodies).toEqual(ages.map((_, index) => `${word} ${index}`));
    expect(await found(alice, word.slice(0, 8))).toHaveLength(ages.length);
  });

  it("treats % and _ as text, and refuses an empty query", async () => {
    const alice = await server.signUp("alice");
    const group = await alice.client.api.conversations.createGroup.mutate({ title: "Odd" });
    await send(alice, group.id, "100% sure");
    await send(alice, group.id, "100 percent sure");
    expect(await found(alice, "0%", group.id)).toEqual(["100% sure"]);
    expect(await found(alice, "_", group.id)).toEqual([]);
    await expect(alice.client.api.messages.search.query({ query: "   " })).rejects.toMatchObject(badRequest);
  });
});

describe("messages.history aroundSeq", () => {
  it("opens a message in its context: it, newer ones and older ones, with a cursor each way", async () => {
    const alice = await server.signUp("alice");
    const group = await alice.client.api.conversations.createGroup.mutate({ title: "Long" });
    for (let index = 1; index <= 30; index += 1) await send(alice, group.id, `message ${index}`);

    const page = await alice.client.api.messages.history.query({ conversationId: group.id, aroundSeq: 15, limit: 10 });
    expect(page.messages.map((message) => message.seq)).toEqual([19, 18, 17, 16, 15, 14, 13, 12, 11, 10]);
    expect(page.nextBeforeSeq).toBe(10);
    expect(page.newerAfterSeq).toBe(19);

    const top = await alice.client.api.messages.history.query({ conversationId: group.id, aroundSeq: 29, limit: 10 });
    expect(top.messages.map((message) => message.seq)).toEqual([30, 29, 28, 27, 26, 25, 24, 23, 22, 21]);
    expect(top.newerAfterSeq).toBeNull();
    await expect(
      alice.client.api.messages.history.query({ conversationId: group.id, aroundSeq: 5, beforeSeq: 9 }),
    ).rejects.toMatchObject(badRequest);
    const outsider = await server.signUp("outsider");
    await expect(outsider.client.api.messages.history.query({ conversationId: group.id, aroundSeq: 5 })).rejects.toMatchObject({
      data: { code: "FORBIDDEN" },
    });
  });
});
