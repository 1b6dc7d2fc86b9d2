import { randomUUID } from "node:crypto";

import { TRPCClientError, type ParleyClient } from "@parley/client";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { MessageView } from "./api-types";
import { initialChatState, type ChatState, type ChatStateHandle } from "./chat-state";
import { Outbox, type OutboxUploads } from "./outbox";
import type { UploadJob } from "./uploads";

const me = "00000000-0000-4000-8000-00000000000a";
const conversationId = "00000000-0000-4000-8000-0000000000c1";
const retryDelayMs = 3_000;

type SendInput = { conversationId: string; clientId: string; body?: string; attachmentIds?: string[] };

/** A server that stores each clientId once; `loseNextAnswer` stores a send and drops its answer. */
function fakeServer() {
  const stored = new Map<string, MessageView>();
  const sent: SendInput[] = [];
  let loseNextAnswer = false;
  const mutate = async (input: SendInput): Promise<MessageView> => {
    sent.push(input);
    await Promise.resolve();
    const message: MessageView = stored.get(input.clientId) ?? {
      id: randomUUID(),
      conversationId: input.conversationId,
      seq: stored.size + 1,
      senderId: me,
      clientId: input.clientId,
      kind: "image",
      body: input.body ?? "",
      replyToId: null,
      createdAt: new Date(0).toISOString(),
      editedAt: null,
      deletedAt: null,
      expiresAt: null,
      expiresAfterReadSeconds: null,
      forwardedFrom: null,
      reactions: [],
      attachments: (input.attachmentIds ?? []).map((id) => ({ id, kind: "image", name: `${id}.png`, size: 10, contentType: "image/png", url: `/api/media/${id}` })),
    };
    stored.set(input.clientId, message);
    if (loseNextAnswer) {
      loseNextAnswer = false;
      throw TRPCClientError.from(new TypeError("fetch failed"));
    }
    return message;
  };
  const client = { api: { messages: { send: { mutate } } } } as unknown as ParleyClient;
  return { client, stored, sent, loseAnswer: () => (loseNextAnswer = true) };
}

/** Uploads whose outcome the test decides; `settle` is what Uploads calls when one finishes. */
function fakeUploads(onSettled: () => void) {
  const jobs = new Map<string, UploadJob>();
  const forgotten: string[] = [];
  const restarted: string[] = [];
  const add = (id: string) =>
    jobs.set(id, {
      id,
      conversationId,
      name: `${id}.png`,
      size: 10,
      contentType: "image/png",
      kind: "image",
      progress: 0,
      status: "uploading",
      attachmentId: null,
      error: null,
      previewUrl: null,
    });
  const finish = (id: string, attachmentId: string) => {
    const job = jobs.get(id);
    if (job) jobs.set(id, { ...job, status: "done", progress: 1, attachmentId });
    onSettled();
  };
  const fail = (id: string, error: string) => {
    const job = jobs.get(id);
    if (job) jobs.set(id, { ...job, status: "failed", error });
    onSettled();
  };
  const uploads: OutboxUploads = {
    get: (id) => jobs.get(id),
    canRestart: (id) => jobs.has(id),
    restart: (id) => {
      restarted.push(id);
      const job = jobs.get(id);
      if (job) jobs.set(id, { ...job, status: "uploading", error: null });
    },
    cancel: (id) => jobs.delete(id),
    forget: (id) => {
      forgotten.push(id);
      jobs.delete(id);
    },
  };
  return { uploads, add, finish, fail, forgotten, restarted };
}

function setUp() {
  let state: ChatState = {
    ...initialChatState,
    me: { id: me, username: "ada", displayName: "Ada", createdAt: new Date(0).toISOString(), avatarUrl: null },
    connection: "open",
    timelines: { [conversationId]: { messages: [], hasOlder: false, loadingOlder: false, loaded: true } },
  };
  const handle: ChatStateHandle = { get: () => state, update: (change) => (state = change(state)) };
  const server = fakeServer();
  let outbox: Outbox | null = null;
  const files = fakeUploads(() => void outbox?.flush());
  outbox = new Outbox({ client: server.client, state: handle, onSignedOut: vi.fn(), newClientId: randomUUID, retryDelayMs, uploads: files.uploads });
  return { server, files, outbox, state: handle };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("the outbox with attachments", () => {
  it("sends a message only after all its uploads finished, once, with their attachment ids and the caption", async () => {
    const { server, files, outbox, state } = setUp();
    files.add("u1");
    files.add("u2");
    outbox.enqueue({ conversationId, body: "the view", replyToId: null, uploadIds: ["u1", "u2"] });
    await Promise.resolve();
    expect(server.sent).toEqual([]);

    files.finish("u1", "a1");
    await Promise.resolve();
    expect(server.sent).toEqual([]);

    files.finish("u2", "a2");
    await vi.waitFor(() => expect(state.get().outbox).toEqual([]));
    expect(server.sent).toHaveLength(1);
    expect(server.sent[0]).toMatchObject({ body: "the view", attachmentIds: ["a1", "a2"] });
    expect(files.forgotten).toEqual(["u1", "u2"]);
    expect(state.get().timelines[conversationId]?.messages.map((message) => message.attachments.length)).toEqual([2]);
  });

  it("keeps later messages behind one that is still uploading, in the order typed", async () => {
    const { server, files, outbox, state } = setUp();
    files.add("u1");
    outbox.enqueue({ conversationId, body: "", replyToId: null, uploadIds: ["u1"] });
    outbox.enqueue({ conversationId, body: "after the photo", replyToId: null });
    await Promise.resolve();
    expect(server.sent).toEqual([]);

    files.finish("u1", "a1");
    await vi.waitFor(() => expect(state.get().outbox).toEqual([]));
    expect(server.sent.map((input) => input.attachmentIds ?? input.body)).toEqual([["a1"], "after the photo"]);
    // A media message without a caption sends no body at all.
    expect(server.sent[0]).not.toHaveProperty("body");
  });

  it("retries a send whose answer was lost with the same clientId, so the attachment message is stored once", async () => {
    vi.useFakeTimers();
    const { server, files, outbox, state } = setUp();
    files.add("u1");
    outbox.enqueue({ conversationId, body: "", replyToId: null, uploadIds: ["u1"] });
    server.loseAnswer();
    files.finish("u1", "a1");
    await vi.waitFor(() => expect(server.sent).toHaveLength(1));
    await vi.advanceTimersByTimeAsync(retryDelayMs);
    await vi.waitFor(() => expect(state.get().outbox).toEqual([]));
    expect(server.sent).toHaveLength(2);
    expect(server.sent[1]?.clientId).toBe(server.sent[0]?.clientId);
    expect(server.sent[1]?.attachmentIds).toEqual(["a1"]);
    expect(server.stored.size).toBe(1);
  });

  it("fails a message whose upload failed, names the file, and sends it after the upload is retried", async () => {
    const { server, files, outbox, state } = setUp();
    files.add("u1");
    outbox.enqueue({ conversationId, body: "", replyToId: null, uploadIds: ["u1"] });
    files.fail("u1", "This file is too large");
    await vi.waitFor(() => expect(state.get().outbox[0]?.status).toBe("failed"));
    expect(state.get().outbox[0]?.error).toBe("u1.png: This file is too large");
    expect(server.sent).toEqual([]);

    const clientId = state.get().outbox[0]?.clientId ?? "";
    outbox.retry(clientId);
    expect(files.restarted).toEqual(["u1"]);
    files.finish("u1", "a1");
    await vi.waitFor(() => expect(state.get().outbox).toEqual([]));
    expect(server.sent).toEqual([expect.objectContaining({ clientId, attachmentIds: ["a1"] })]);
  });

  it("fails, instead of sending without it, a message whose upload was lost with a reload", async () => {
    const { server, outbox, state } = setUp();
    state.update((current) => ({
      ...current,
      outbox: [
        {
          clientId: randomUUID(),
          conversationId,
          senderId: me,
          body: "caption",
          replyToId: null,
          createdAt: new Date(0).toISOString(),
          status: "queued",
          error: null,
          attachments: [{ uploadId: "gone", attachmentId: null, kind: "file", name: "plan.pdf", size: 5, contentType: "application/pdf" }],
        },
      ],
    }));
    await outbox.flush();
    expect(state.get().outbox[0]).toMatchObject({ status: "failed", error: "plan.pdf was not uploaded; attach it again" });
    expect(server.sent).toEqual([]);
  });
});
