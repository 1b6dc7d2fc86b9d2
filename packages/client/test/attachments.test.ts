import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import S3rver from "s3rver";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { sweepUnsentUploads, type BlobStoreConfig } from "@parley/api";
import type { Clock } from "@parley/auth";

import { createParleyClient, TRPCClientError, type MessageView, type StreamEvent } from "../src/index";
import { befriend, listen, queryRows, startTestServer, type TestServer, type TestUser } from "./harness";

/**
 * Attachments end to end through the SDK, each rule on both storage drivers: local disk with
 * Parley's own upload route, and S3-compatible storage (s3rver) with presigned POST uploads.
 */

/** A clock the test moves by hand; it starts at the real time so sessions and messages agree. */
function manualClock(): Clock & { advance: (milliseconds: number) => void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (milliseconds) => (offset += milliseconds) };
}

const maxUploadBytes = 300_000;

async function jpegWithExifAndGps(): Promise<Buffer> {
  return sharp({ create: { width: 80, height: 40, channels: 3, background: { r: 200, g: 30, b: 60 } } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .withExifMerge({
      IFD0: { Make: "ParleyTestCam", Model: "Secret-Model-42" },
      IFD3: { GPSLatitudeRef: "N", GPSLatitude: "51/1 30/1 0/1", GPSLongitudeRef: "W", GPSLongitude: "0/1 7/1 0/1" },
    })
    .toBuffer();
}

async function png(width = 32, height = 32): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: { r: 10, g: 120, b: 200, alpha: 1 } } }).png().toBuffer();
}

/** A one-second 8 kHz mono WAV of a rising tone. */
function wav(): Buffer {
  const samples = 8_000;
  const data = Buffer.alloc(samples * 2);
  for (let index = 0; index < samples; index += 1) {
    data.writeInt16LE(Math.round(Math.sin(index / 8) * 12_000 * (index / samples)), index * 2);
  }
  const header = Buffer.alloc(44);
  header.write("RIFF", 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write("WAVEfmt ", 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8_000, 24);
  header.writeUInt32LE(16_000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>');

async function expectRefusal(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  expect((error as { data?: { code?: string } }).data?.code).toBe(code);
  if (message) expect((error as Error).message).toMatch(message);
}

const drivers = ["local", "s3"] as const;

describe.each(drivers)("attachments on %s storage", (driver) => {
  let server: TestServer;
  let s3: S3rver | null = null;
  let s3Dir: string | null = null;
  const clock = manualClock();
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let direct: string;
  let group: string;

  beforeAll(async () => {
    let blobStore: BlobStoreConfig | undefined;
    if (driver === "s3") {
      s3Dir = await mkdtemp(join(tmpdir(), "parley-s3rver-"));
      s3 = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: s3Dir, configureBuckets: [{ name: "parley-test", configs: [] }] });
      const address = await s3.run();
      blobStore = {
        driver: "s3",
        bucket: "parley-test",
        region: "us-east-1",
        endpoint: `http://127.0.0.1:${address.port}`,
        accessKeyId: "S3RVER",
        secretAccessKey: "S3RVER",
        forcePathStyle: true,
      };
    }
    server = await startTestServer({ clock, blobStore, config: { media: { maxUploadBytes } } });
    [alice, bob, carol] = await Promise.all([server.signUp("alice"), server.signUp("bob"), server.signUp("carol")]);
    await befriend(alice, bob);
    direct = (await alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id })).id;
    group = (await alice.client.api.conversations.createGroup.mutate({ title: "Media", memberIds: [bob.user.id] })).id;
  });

  afterAll(async () => {
    await server?.stop();
    await s3?.close();
    if (s3Dir) await rm(s3Dir, { recursive: true, force: true });
  });

  const download = (user: TestUser | null, path: string, headers: Record<string, string> = {}) =>
    fetch(new URL(path, server.url), { headers: { ...headers, ...(user ? { authorization: `Bearer ${user.token}` } : {}) } });

  const send = (user: TestUser, conversationId: string, attachmentIds: string[], body?: string) =>
    user.client.api.messages.send.mutate({ conversationId, clientId: randomUUID(), attachmentIds, body });

  it("sends an image that members see in history and live, stripped of EXIF and GPS, turned upright", async () => {
    const bobEvents = await listen(bob.client);
    const original = await jpegWithExifAndGps();
    const originalMetadata = await sharp(original).metadata();
    expect(originalMetadata.orientation).toBe(6);
    expect(originalMetadata.exif?.toString("latin1")).toContain("Secret-Model-42");
    // The GPSInfo pointer (tag 0x8825, little-endian) leads to the coordinates.
    expect(originalMetadata.exif?.includes(Buffer.from([0x25, 0x88]))).toBe(true);
    const attachmentId = await alice.client.uploadAttachment({ conversationId: direct, file: original, name: "holiday.jpg", contentType: "image/jpeg" });
    const sent = await send(alice, direct, [attachmentId], "Look!");
    expect(sent.kind).toBe("image");
    expect(sent.body).toBe("Look!");
    const [attachment] = sent.attachments;
    // Orientation 6 is a quarter turn: the stored image is 40 wide and 80 high.
    expect(attachment).toMatchObject({ id: attachmentId, kind: "image", name: "holiday.jpg", contentType: "image/jpeg", width: 40, height: 80 });
    expect(attachment?.thumbhash).toEqual(expect.any(String));

    const live = await bobEvents.next((event): event is Extract<StreamEvent, { type: "message.created" }> => event.type === "message.created" && event.message.id === sent.id);
    expect(live.message.attachments).toEqual(sent.attachments);
    const history = await bob.client.api.messages.history.query({ conversationId: direct });
    expect(history.messages.find((message) => message.id === sent.id)?.attachments).toEqual(sent.attachments);
    const found = await bob.client.api.messages.search.query({ query: "Look", conversationId: direct });
    expect(found.results.find((result) => result.message.id === sent.id)?.message.attachments).toEqual(sent.attachments);
    const list = await bob.client.api.conversations.list.query({});
    expect(list.find((conversation) => conversation.id === direct)?.lastMessage?.attachments).toEqual(sent.attachments);

    const response = await download(bob, attachment?.url as string);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/jpeg");
    expect(response.headers.get("content-disposition")).toMatch(/^inline; filename="holiday.jpg"/);
    const served = Buffer.from(await response.arrayBuffer());
    const metadata = await sharp(served).metadata();
    expect(metadata.exif).toBeUndefined();
    expect(served.toString("latin1")).not.toContain("Secret-Model-42");
    expect(served.toString("latin1")).not.toContain("ParleyTestCam");
    expect([metadata.width, metadata.height]).toEqual([40, 80]);

    const thumbnail = await download(bob, attachment?.thumbnailUrl as string);
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers.get("content-type")).toBe("image/webp");
  });

  it("refuses uploads and downloads to people outside the conversation", async () => {
    await expectRefusal(
      carol.client.api.attachments.createUpload.mutate({ conversationId: direct, name: "x.png", size: 100, contentType: "image/png" }),
      "FORBIDDEN",
    );
    const attachmentId = await alice.client.uploadAttachment({ conversationId: direct, file: await png(), name: "a.png" });
    const sent = await send(alice, direct, [attachmentId]);
    const url = sent.attachments[0]?.url as string;
    expect((await download(carol, url)).status).toBe(404);
    expect((await download(null, url)).status).toBe(401);
    expect((await download(bob, url)).status).toBe(200);
  });

  it("serves a group member's files to someone who blocked them only as history shows them: not while blocked", async () => {
    const [sender, blocker] = await Promise.all([server.signUp("sender"), server.signUp("blocker")]);
    await befriend(sender, blocker);
    const shared = (await sender.client.api.conversations.createGroup.mutate({ title: "Blocked files", memberIds: [blocker.user.id] })).id;
    const attachmentId = await sender.client.uploadAttachment({ conversationId: shared, file: await png(), name: "b.png" });
    const sent = await send(sender, shared, [attachmentId]);
    const [attachment] = sent.attachments;
    const paths = [attachment?.url as string, attachment?.thumbnailUrl as string];
    for (const path of paths) expect((await download(blocker, path)).status).toBe(200);

    await blocker.client.api.friends.block.mutate({ userId: sender.user.id });
    expect((await blocker.client.api.messages.history.query({ conversationId: shared })).messages.some((message) => message.id === sent.id)).toBe(false);
    for (const path of paths) expect((await download(blocker, path)).status).toBe(404);
    // The sender still has them.
    for (const path of paths) expect((await download(sender, path)).status).toBe(200);

    await blocker.client.api.friends.unblock.mutate({ userId: sender.user.id });
    for (const path of paths) expect((await download(blocker, path)).status).toBe(200);
  });

  it("refuses bytes that are not the type they claim, and types that are not allowed", async () => {
    const fake = alice.client.uploadAttachment({ conversationId: direct, file: Buffer.from("just some text, not a picture"), name: "photo.png", contentType: "image/png" });
    await expectRefusal(fake, "BAD_REQUEST", /not the image it claims/);
    const program = Buffer.concat([Buffer.from("MZ"), Buffer.alloc(200, 1)]);
    program.write("PE\0\0", 0x80);
    program.writeUInt32LE(0x80, 0x3c);
    await expectRefusal(
      alice.client.uploadAttachment({ conversationId: direct, file: program, name: "setup.exe", contentType: "application/octet-stream" }),
      "BAD_REQUEST",
      /cannot be sent/,
    );
    await expectRefusal(
      alice.client.api.attachments.createUpload.mutate({ conversationId: direct, name: "page.html", size: 10, contentType: "text/html" }),
      "BAD_REQUEST",
      /text\/html cannot be sent/,
    );
  });

  it("refuses files over the limit when asked, and bytes beyond what was announced", async () => {
    await expectRefusal(
      alice.client.api.attachments.createUpload.mutate({ conversationId: direct, name: "big.bin", size: maxUploadBytes + 1, contentType: "application/octet-stream" }),
      "BAD_REQUEST",
      /at most 300000 bytes/,
    );
    const { attachmentId, upload } = await alice.client.api.attachments.createUpload.mutate({
      conversationId: direct,
      name: "small.txt",
      size: 10,
      contentType: "text/plain",
    });
    const tooMuch = Buffer.alloc(5_000, 97);
    const target = new URL(upload.url, server.url);
    let uploadStatus: number;
    if (upload.method === "PUT") {
      uploadStatus = (await fetch(target, { method: "PUT", headers: { ...upload.headers, authorization: `Bearer ${alice.token}` }, body: tooMuch })).status;
      // Parley's own route stops at the announced size.
      expect(uploadStatus).toBe(400);
    } else {
      const form = new FormData();
      for (const [field, value] of Object.entries(upload.fields ?? {})) form.append(field, value);
      form.append("file", new Blob([tooMuch]), "small.txt");
      // s3rver does not enforce the policy's content-length-range: Parley's check must.
      uploadStatus = (await fetch(target, { method: "POST", body: form })).status;
      expect(uploadStatus).toBeLessThan(300);
    }
    await expectRefusal(alice.client.api.attachments.complete.mutate({ attachmentId }), upload.method === "PUT" ? "BAD_REQUEST" : "BAD_REQUEST");
    await expectRefusal(send(alice, direct, [attachmentId]), "BAD_REQUEST");
  });

  it("lets an attachment be sent once, by its uploader, to its own conversation", async () => {
    const attachmentId = await alice.client.uploadAttachment({ conversationId: direct, file: await png(), name: "once.png" });
    await expectRefusal(send(alice, group, [attachmentId]), "BAD_REQUEST", /another conversation/);
    await expectRefusal(send(bob, direct, [attachmentId]), "BAD_REQUEST", /not an upload of yours/);
    const [first, second] = await Promise.allSettled([send(alice, direct, [attachmentId]), send(alice, direct, [attachmentId])]);
    expect([first.status, second.status].sort()).toEqual(["fulfilled", "rejected"]);
    await expectRefusal(send(alice, direct, [attachmentId]), "BAD_REQUEST", /already sent/);
    const rows = await queryRows<{ count: string }>(server.database, "select count(*)::text as count from messages where conversation_id = $1 and $2 = any(select a.id::text from attachments a where a.message_id = messages.id)", [direct, attachmentId]);
    expect(rows[0]?.count).toBe("1");
  });

  it("removes a deleted message's files from storage", async () => {
    const attachmentId = await alice.client.uploadAttachment({ conversationId: group, file: await png(64, 64), name: "gone.png" });
    const sent = await send(alice, group, [attachmentId]);
    const [row] = await queryRows<{ storage_key: string; thumbnail_key: string }>(server.database, "select storage_key, thumbnail_key from attachments where id = $1", [attachmentId]);
    expect(await server.services.blobStore.size(row?.storage_key as string)).toBeGreaterThan(0);
    const deleted = await alice.client.api.messages.delete.mutate({ messageId: sent.id });
    expect(deleted.attachments).toEqual([]);
    expect(await server.services.blobStore.size(row?.storage_key as string)).toBeNull();
    expect(await server.services.blobStore.size(row?.thumbnail_key as string)).toBeNull();
    expect((await download(bob, sent.attachments[0]?.url as string)).status).toBe(404);
    const history = await bob.client.api.messages.history.query({ conversationId: group });
    expect(history.messages.find((message) => message.id === sent.id)?.attachments).toEqual([]);
  });

  it("removes the files of a disappearing message once it expires", async () => {
    const timed = (await alice.client.api.conversations.createGroup.mutate({ title: "Timed", memberIds: [bob.user.id] })).id;
    await alice.client.api.conversations.setDisappearing.mutate({ conversationId: timed, seconds: 30, startsAt: "send" });
    const attachmentId = await alice.client.uploadAttachment({ conversationId: timed, file: await png(40, 40), name: "brief.png" });
    const sent = await send(alice, timed, [attachmentId]);
    const [row] = await queryRows<{ storage_key: string; thumbnail_key: string }>(server.database, "select storage_key, thumbnail_key from attachments where id = $1", [attachmentId]);
    clock.advance(31_000);
    // Past its expiry no one can fetch it, even before the sweeper (once a second) purges it.
    expect((await download(bob, sent.attachments[0]?.url as string)).status).toBe(404);
    await expect.poll(() => server.services.blobStore.size(row?.storage_key as string), { timeout: 5_000 }).toBeNull();
    expect(await server.services.blobStore.size(row?.thumbnail_key as string)).toBeNull();
  });

  it("sweeps uploads that were never sent once a day has passed", async () => {
    const keptId = await alice.client.uploadAttachment({ conversationId: group, file: await png(), name: "kept.png" });
    const kept = await send(alice, group, [keptId]);
    const unsentId = await alice.client.uploadAttachment({ conversationId: group, file: await png(), name: "unsent.png" });
    const [row] = await queryRows<{ storage_key: string }>(server.database, "select storage_key from attachments where id = $1", [unsentId]);
    clock.advance(23 * 60 * 60 * 1_000);
    await sweepUnsentUploads(server.services);
    expect(await server.services.blobStore.size(row?.storage_key as string)).toBeGreaterThan(0);
    clock.advance(2 * 60 * 60 * 1_000);
    expect(await sweepUnsentUploads(server.services)).toBeGreaterThanOrEqual(1);
    expect(await server.services.blobStore.size(row?.storage_key as string)).toBeNull();
    expect(await queryRows(server.database, "select 1 from attachments where id = $1", [unsentId])).toEqual([]);
    await expectRefusal(send(alice, group, [unsentId]), "BAD_REQUEST");
    expect((await download(bob, kept.attachments[0]?.url as string)).status).toBe(200);
  });

  it("serves every file with nosniff and a sandboxing CSP, and downloads what is not safe to show", async () => {
    const textId = await alice.client.uploadAttachment({ conversationId: direct, file: Buffer.from("hello\n"), name: "../../etc/notes\u202E.txt", contentType: "text/plain" });
    const svgId = await alice.client.uploadAttachment({ conversationId: direct, file: svg, name: "logo.svg", contentType: "application/octet-stream" });
    const sent = await send(alice, direct, [textId, svgId], "files");
    expect(sent.kind).toBe("file");
    const [text, vector] = sent.attachments;
    expect(text?.name).toBe("notes.txt");
    const textResponse = await download(bob, text?.url as string);
    expect(textResponse.headers.get("content-disposition")).toMatch(/^attachment; filename="notes.txt"/);
    expect(textResponse.headers.get("x-content-type-options")).toBe("nosniff");
    expect(textResponse.headers.get("content-security-policy")).toMatch(/default-src 'none'.*sandbox/);
    const svgResponse = await download(bob, vector?.url as string);
    expect(svgResponse.headers.get("content-type")).not.toMatch(/svg|html|xml/);
    expect(svgResponse.headers.get("content-disposition")).toMatch(/^attachment;/);
    expect(svgResponse.headers.get("x-content-type-options")).toBe("nosniff");
    await expectRefusal(
      alice.client.api.attachments.createUpload.mutate({ conversationId: direct, name: "logo.svg", size: svg.length, contentType: "image/svg+xml" }),
      "BAD_REQUEST",
    );
  });

  it("sends a voice message with its duration and waveform, served in ranges", async () => {
    const attachmentId = await alice.client.uploadAttachment({ conversationId: direct, file: wav(), name: "voice.wav", contentType: "audio/wav" });
    const sent = await send(alice, direct, [attachmentId]);
    expect(sent.kind).toBe("voice");
    const [voice] = sent.attachments;
    expect(voice?.durationMs).toBeGreaterThanOrEqual(990);
    expect(voice?.durationMs).toBeLessThanOrEqual(1_010);
    expect(voice?.waveform?.length).toBeGreaterThan(10);
    expect(Math.max(...(voice?.waveform ?? []))).toBe(255);
    const partial = await download(bob, voice?.url as string, { range: "bytes=0-99" });
    expect(partial.status).toBe(206);
    expect(partial.headers.get("content-range")).toBe(`bytes 0-99/${voice?.size}`);
    expect(Buffer.from(await partial.arrayBuffer()).subarray(0, 4).toString()).toBe("RIFF");
    const tail = await download(bob, voice?.url as string, { range: "bytes=-10" });
    expect(tail.status).toBe(206);
    expect((await tail.arrayBuffer()).byteLength).toBe(10);
    expect((await download(bob, voice?.url as string, { range: `bytes=${(voice?.size ?? 0) + 5}-` })).status).toBe(416);
  });

  it("forwards a message with its files as copies that outlive the original", async () => {
    const attachmentId = await alice.client.uploadAttachment({ conversationId: direct, file: await png(48, 24), name: "forward-me.png" });
    const original = await send(alice, direct, [attachmentId], "caption");
    const { messages, refused } = await alice.client.api.messages.forward.mutate({ messageId: original.id, toConversationIds: [group, randomUUID()] });
    expect(refused).toHaveLength(1);
    const [copy] = messages;
    expect(copy?.kind).toBe("image");
    expect(copy?.body).toBe("caption");
    expect(copy?.attachments[0]).toMatchObject({ name: "forward-me.png", width: 48, height: 24 });
    expect(copy?.attachments[0]?.id).not.toBe(attachmentId);
    await alice.client.api.messages.delete.mutate({ messageId: original.id });
    const response = await download(bob, copy?.attachments[0]?.url as string);
    expect(response.status).toBe(200);
    expect((await sharp(Buffer.from(await response.arrayBuffer())).metadata()).width).toBe(48);
    expect(await queryRows(server.database, "select 1 from attachments where message_id is null and uploader_id = $1 and conversation_id <> all($2::uuid[])", [alice.user.id, [direct, group]])).toEqual([]);
  });

  it("sets a profile picture: square, small, without EXIF, shown to others and announced to friends", async () => {
    const bobEvents = await listen(bob.client);
    const photo = await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 0, g: 160, b: 90 } } })
      .jpeg()
      .withExif({ IFD0: { Make: "AvatarCam", Model: "Secret-Avatar-Model" } })
      .toBuffer();
    const me = await alice.client.uploadAvatar({ file: photo, contentType: "image/jpeg", crop: { x: 50, y: 0, side: 200 } });
    expect(me.avatarUrl).toMatch(/^\/api\/media\/avatars\/[0-9a-f-]{36}\.webp$/);
    const announced = await bobEvents.next((event): event is Extract<StreamEvent, { type: "profile.updated" }> => event.type === "profile.updated" && event.user.avatarUrl === me.avatarUrl);
    expect(announced.user.id).toBe(alice.user.id);
    const response = await download(carol, me.avatarUrl as string);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/webp");
    const served = Buffer.from(await response.arrayBuffer());
    const metadata = await sharp(served).metadata();
    expect([metadata.width, metadata.height, metadata.exif]).toEqual([256, 256, undefined]);
    expect(served.toString("latin1")).not.toContain("Secret-Avatar-Model");
    const conversation = await bob.client.api.conversations.get.query({ conversationId: direct });
    expect(conversation.members.find((member) => member.userId === alice.user.id)?.avatarUrl).toBe(me.avatarUrl);
    expect((await alice.client.api.auth.me.query()).avatarUrl).toBe(me.avatarUrl);

    const replaced = await alice.client.uploadAvatar({ file: await png(64, 64), contentType: "image/png" });
    expect(replaced.avatarUrl).not.toBe(me.avatarUrl);
    expect((await download(bob, me.avatarUrl as string)).status).toBe(404);
    await expectRefusal(alice.client.uploadAvatar({ file: Buffer.from("not an image"), contentType: "image/png" }), "BAD_REQUEST");
    await expectRefusal(alice.client.api.users.createAvatarUpload.mutate({ size: 10, contentType: "image/svg+xml" }), "BAD_REQUEST");
    expect((await alice.client.api.users.removeAvatar.mutate()).avatarUrl).toBeNull();
    expect((await download(bob, replaced.avatarUrl as string)).status).toBe(404);
  });

  it("sends a sticker from the pack", async () => {
    const stickers = await alice.client.api.stickers.list.query();
    expect(stickers.length).toBeGreaterThanOrEqual(12);
    const { attachmentId } = await alice.client.api.attachments.createSticker.mutate({ conversationId: direct, stickerId: stickers[0]?.id as string });
    const sent: MessageView = await send(alice, direct, [attachmentId]);
    expect(sent.kind).toBe("sticker");
    const response = await download(bob, sent.attachments[0]?.url as string);
    expect(response.headers.get("content-type")).toBe("image/webp");
    expect((await sharp(Buffer.from(await response.arrayBuffer())).metadata()).width).toBe(256);
    const art = await download(carol, stickers[0]?.url as string);
    expect(art.status).toBe(200);
    await expectRefusal(alice.client.api.attachments.createSticker.mutate({ conversationId: direct, stickerId: "no-such-sticker" }), "NOT_FOUND");
  });
});

describe("the SDK on Node, and the upload rate", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ config: { media: { uploadsPerMinute: 2 } } });
  });

  it("refuses uploads and stickers past UPLOAD_RATE_PER_MINUTE", async () => {
    const [alice, bob] = await Promise.all([server.signUp("alice"), server.signUp("bob")]);
    await befriend(alice, bob);
    const conversationId = (await alice.client.api.conversations.openDirect.mutate({ userId: bob.user.id })).id;
    await alice.client.uploadAttachment({ conversationId, file: await png(), name: "1.png" });
    await alice.client.api.attachments.createSticker.mutate({ conversationId, stickerId: "sun" });
    await expectRefusal(alice.client.uploadAttachment({ conversationId, file: await png(), name: "3.png" }), "TOO_MANY_REQUESTS", /too fast/);
    await expectRefusal(alice.client.api.attachments.createSticker.mutate({ conversationId, stickerId: "sun" }), "TOO_MANY_REQUESTS");
    // The allowance is per user.
    await bob.client.uploadAttachment({ conversationId, file: await png(), name: "bob.png" });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("opens its live stream with nothing passed: no WebSocket class", async () => {
    const { token } = await server.signUp("plain");
    expect(typeof (globalThis as { WebSocket?: unknown }).WebSocket).toBe("undefined");
    const client = createParleyClient({ url: server.url, token });
    const ready = await new Promise<StreamEvent>((resolve, reject) => {
      const subscription = client.api.events.stream.subscribe(
        {},
        {
          onData: (envelope) => {
            const event = ("data" in envelope ? envelope.data : envelope) as StreamEvent;
            if (event.type === "stream.ready") {
              subscription.unsubscribe();
              resolve(event);
            }
          },
          onError: reject,
        },
      );
    });
    expect(ready.type).toBe("stream.ready");
    await client.close();
  });
});
