import type { Readable } from "node:stream";

import { and, eq, isNull, lt, sql } from "drizzle-orm";

import { attachmentNameMaxCharacters, unsentUploadLifetimeMs } from "@parley/db/limits";
import { attachments, blocks, conversationMembers, messages } from "@parley/db/schema";

import { DomainError } from "../errors";
import { inspectUpload, RefusedUploadError, typeAllowed, type ClientMediaMetadata } from "../media/inspect-upload";
import { findSticker, renderSticker } from "../media/stickers";
import type { ParleyServices } from "../services";
import type { UploadTarget } from "../storage/blob-store";
import { BlobTooLargeError } from "../storage/blob-store";
import { arrayLiteral } from "./array-literal";
import { notExpiredFor } from "./expiry";
import { currentMemberRow, requireMembership, type Executor } from "./membership";
import type { AttachmentView } from "./views";

type AttachmentServices = Pick<ParleyServices, "db" | "blobStore" | "uploadLimiter" | "clock" | "config" | "logger">;

/** Parley's own upload and download routes (transport/media.ts); for S3 uploads go to the bucket. */
export const mediaEndpoint = "/api/media";

export const uploadRefusedMessage = "That upload is not yours, does not exist, or was already sent";

/**
 * A name that is safe to show and to put in a Content-Disposition header: no path, no control
 * or bidirectional-override characters, no leading dots, at most 200 characters.
 */
export function sanitiseFileName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? "";
  const cleaned = base
    .normalize("NFC")
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, "")
    .replace(/["<>:|?*]/g, "_")
    .replace(/^[.\s]+/, "")
    .trim();
  const limited = [...cleaned].slice(0, attachmentNameMaxCharacters).join("");
  return limited.length > 0 ? limited : "file";
}

/** Attachments of many messages in one query, in the order they were sent; none for deleted ones. */
export async function loadAttachments(db: Executor, messageIds: string[]): Promise<Map<string, AttachmentView[]>> {
  const byMessage = new Map<string, AttachmentView[]>();
  if (messageIds.length === 0) return byMessage;
  const rows = await db
    .select({ messageId: sql<string>`attached.message_id`, attachments: sql<AttachmentView[]>`attached.attachments` })
    .from(sql`parley_attachments_for(${arrayLiteral(messageIds)}::uuid[]) attached`);
  for (const row of rows) byMessage.set(row.messageId, row.attachments);
  return byMessage;
}

/** One of the user's uploads per minute (UPLOAD_RATE_PER_MINUTE); TOO_MANY_REQUESTS past it. */
export async function takeUploadAllowance(services: Pick<ParleyServices, "uploadLimiter">, userId: string): Promise<void> {
  const decision = await services.uploadLimiter.take(userId);
  if (!decision.allowed) {
    throw new DomainError("TOO_MANY_REQUESTS", "You are uploading files too fast; try again shortly", {
      retryAfterSeconds: decision.retryAfterSeconds,
    });
  }
}

export interface CreatedUpload {
  attachmentId: string;
  upload: UploadTarget;
}

/**
 * Starts an upload: a pending attachment that only its uploader can fill, finish and send, only
 * to this conversation. The size and declared type are checked here first; the bytes again after.
 */
export async function createUpload(
  services: AttachmentServices,
  input: { userId: string; conversationId: string; name: string; size: number; contentType: string },
): Promise<CreatedUpload> {
  const { maxUploadBytes, allowedTypes } = services.config.media;
  await requireMembership(services.db, { conversationId: input.conversationId, userId: input.userId });
  if (input.size > maxUploadBytes) {
    throw new DomainError("BAD_REQUEST", `A file can be at most ${maxUploadBytes} bytes`);
  }
  const contentType = input.contentType.toLowerCase();
  if (!typeAllowed(contentType, allowedTypes)) {
    throw new DomainError("BAD_REQUEST", `Files of type ${contentType} cannot be sent here`);
  }
  await takeUploadAllowance(services, input.userId);
  const attachmentId = crypto.randomUUID();
  const storageKey = `uploads/${attachmentId}`;
  await services.db.insert(attachments).values({
    id: attachmentId,
    conversationId: input.conversationId,
    uploaderId: input.userId,
    storageKey,
    fileName: sanitiseFileName(input.name),
    contentType,
    sizeBytes: input.size,
    createdAt: services.clock.now(),
  });
  const direct = await services.blobStore.createUploadTarget(storageKey, { maxBytes: input.size, contentType });
  return {
    attachmentId,
    upload: direct ?? { url: `${mediaEndpoint}/uploads/${attachmentId}`, method: "PUT", headers: { "content-type": contentType } },
  };
}

/** The caller's own upload that is not sent yet. */
async function requirePendingUpload(db: Executor, input: { userId: string; attachmentId: string }) {
  const [row] = await db
    .select()
    .from(attachments)
    .where(and(eq(attachments.id, input.attachmentId), eq(attachments.uploaderId, input.userId), isNull(attachments.messageId)));
  if (!row || row.storageKey === null) throw new DomainError("NOT_FOUND", uploadRefusedMessage);
  return row as typeof row & { storageKey: string };
}

/** Parley's upload route (local storage): the bytes of a pending upload, at most its declared size. */
export async function receiveUpload(
  services: AttachmentServices,
  input: { userId: string; attachmentId: string; body: Readable; declaredLength: number | null },
): Promise<void> {
  const row = await requirePendingUpload(services.db, input);
  if (row.readyAt) throw new DomainError("CONFLICT", "This upload is already complete");
  await writeUploadBytes(services, { ...row, body: input.body, declaredLength: input.declaredLength });
}

/** Stores an upload's bytes through Parley's route, refusing any beyond the announced size. */
export async function writeUploadBytes(
  services: Pick<ParleyServices, "blobStore">,
  upload: { storageKey: string; contentType: string; sizeBytes: number; body: Readable; declaredLength: number | null },
): Promise<void> {
  const tooLarge = `This upload was announced as ${upload.sizeBytes} bytes`;
  if (upload.declaredLength !== null && upload.declaredLength > upload.sizeBytes) throw new DomainError("BAD_REQUEST", tooLarge);
  try {
    await services.blobStore.write(upload.storageKey, upload.body, { contentType: upload.contentType, maxBytes: upload.sizeBytes });
  } catch (error) {
    if (error instanceof BlobTooLargeError) throw new DomainError("BAD_REQUEST", tooLarge);
    throw error;
  }
}

async function discardUpload(services: AttachmentServices, row: { id: string; storageKey: string }): Promise<void> {
  await services.db.delete(attachments).where(eq(attachments.id, row.id));
  await services.blobStore.delete([row.storageKey]);
}

/**
 * Checks an upload's bytes and makes it sendable: the size against what was announced and the
 * limit, the type from the bytes, images re-encoded without metadata and thumbnailed, audio and
 * video measured. A refused upload is deleted. Finishing twice returns the same attachment.
 */
export async function completeUpload(
  services: AttachmentServices,
  input: { userId: string; attachmentId: string; metadata?: ClientMediaMetadata },
): Promise<AttachmentView> {
  const row = await requirePendingUpload(services.db, input);
  if (!row.readyAt) {
    const size = await services.blobStore.size(row.storageKey);
    if (size === null) throw new DomainError("BAD_REQUEST", "The file has not been uploaded yet");
    if (size > row.sizeBytes || size > services.config.media.maxUploadBytes) {
      await discardUpload(services, row);
      throw new DomainError("BAD_REQUEST", `The file is larger than announced (${row.sizeBytes} bytes) or than the limit`);
    }
    const bytes = await services.blobStore.read(row.storageKey);
    if (!bytes) throw new DomainError("BAD_REQUEST", "The file has not been uploaded yet");
    let inspected;
    try {
      inspected = await inspectUpload(bytes, {
        declaredType: row.contentType,
        allowedTypes: services.config.media.allowedTypes,
        metadata: input.metadata,
      });
    } catch (error) {
      if (!(error instanceof RefusedUploadError)) throw error;
      await discardUpload(services, row);
      throw new DomainError("BAD_REQUEST", error.message);
    }
    const storedKey = inspected.replacement ? `media/${crypto.randomUUID()}` : row.storageKey;
    if (inspected.replacement) await services.blobStore.write(storedKey, inspected.replacement, { contentType: inspected.contentType });
    const thumbnailKey = inspected.thumbnail ? `thumbs/${crypto.randomUUID()}` : null;
    if (thumbnailKey && inspected.thumbnail) await services.blobStore.write(thumbnailKey, inspected.thumbnail, { contentType: "image/webp" });
    const [updated] = await services.db
      .update(attachments)
      .set({
        storageKey: storedKey,
        thumbnailKey,
        kind: inspected.kind,
        contentType: inspected.contentType,
        sizeBytes: inspected.replacement?.length ?? size,
        width: inspected.width,
        height: inspected.height,
        durationMs: inspected.durationMs,
        waveform: inspected.waveform,
        thumbhash: inspected.thumbhash,
        readyAt: services.clock.now(),
      })
      .where(and(eq(attachments.id, row.id), isNull(attachments.readyAt), isNull(attachments.messageId)))
      .returning({ id: attachments.id });
    if (inspected.replacement && updated) await services.blobStore.delete([row.storageKey]);
    if (!updated) {
      // Finished by a concurrent call meanwhile: its blobs stand, these go.
      await services.blobStore.delete([...(inspected.replacement ? [storedKey] : []), ...(thumbnailKey ? [thumbnailKey] : [])]);
    }
  }
  const [view] = await services.db
    .select({ view: sql<AttachmentView>`parley_attachment_json(${attachments})` })
    .from(attachments)
    .where(eq(attachments.id, row.id));
  if (!view) throw new DomainError("NOT_FOUND", uploadRefusedMessage);
  return view.view;
}

/** A sticker from the pack, as a ready attachment of this conversation for the caller to send. */
export async function createSticker(
  services: AttachmentServices,
  input: { userId: string; conversationId: string; stickerId: string },
): Promise<{ attachmentId: string }> {
  const sticker = findSticker(input.stickerId);
  if (!sticker) throw new DomainError("NOT_FOUND", "There is no such sticker");
  await requireMembership(services.db, { conversationId: input.conversationId, userId: input.userId });
  await takeUploadAllowance(services, input.userId);
  const art = await renderSticker(sticker.id);
  const now = services.clock.now();
  const [row] = await services.db
    .insert(attachments)
    .values({
      conversationId: input.conversationId,
      uploaderId: input.userId,
      kind: "sticker",
      stickerId: sticker.id,
      fileName: `${sticker.id}.webp`,
      contentType: "image/webp",
      sizeBytes: art.bytes.length,
      width: art.size,
      height: art.size,
      readyAt: now,
      createdAt: now,
    })
    .returning({ id: attachments.id });
  if (!row) throw new Error("inserting a sticker attachment returned no row");
  return { attachmentId: row.id };
}

/** Why a send's attachments were refused, for the sender: looked up only when a send was refused. */
export async function explainAttachmentRefusal(
  db: Executor,
  input: { userId: string; conversationId: string; attachmentIds: string[] },
): Promise<string> {
  const rows = await db.select().from(attachments).where(sql`${attachments.id} = any(${arrayLiteral(input.attachmentIds)}::uuid[])`);
  for (const id of input.attachmentIds) {
    const row = rows.find((candidate) => candidate.id === id);
    if (!row || row.uploaderId !== input.userId) return `Attachment ${id} is not an upload of yours`;
    if (row.conversationId !== input.conversationId) return `Attachment ${id} was uploaded for another conversation`;
    if (row.messageId !== null) return `Attachment ${id} was already sent`;
    if (!row.readyAt) return `Attachment ${id} is not finished: complete its upload first`;
  }
  return "A sticker or a voice message is sent on its own, without other attachments";
}

export interface ServableBlob {
  storageKey: string | null;
  stickerId: string | null;
  contentType: string;
  fileName: string;
}

/**
 * An attachment (or its thumbnail) the caller may download: one in a message they can read in a
 * conversation they are a member of (not deleted, not expired for them, not from someone they
 * blocked: what history shows them), or their own upload before it is sent. Null otherwise.
 */
export async function findServableAttachment(
  services: Pick<ParleyServices, "db" | "clock">,
  input: { userId: string; attachmentId: string; thumbnail: boolean },
): Promise<ServableBlob | null> {
  const [row] = await services.db
    .select({ attachment: attachments, messageId: messages.id })
    .from(attachments)
    .leftJoin(messages, eq(messages.id, attachments.messageId))
    .where(
      and(
        eq(attachments.id, input.attachmentId),
        sql`${attachments.readyAt} is not null`,
        sql`(
          (${attachments.messageId} is null and ${attachments.uploaderId} = ${input.userId}::uuid)
          or (${messages.deletedAt} is null
              and exists (select 1 from ${conversationMembers} where ${currentMemberRow(attachments.conversationId, input.userId)})
              and not exists (select 1 from ${blocks} where ${blocks.blockerId} = ${input.userId}::uuid and ${blocks.blockedId} = ${messages.senderId})
              and ${notExpiredFor(messages, input.userId, services.clock.now())})
        )`,
      ),
    );
  if (!row) return null;
  const { attachment } = row;
  if (input.thumbnail) {
    return attachment.thumbnailKey ? { storageKey: attachment.thumbnailKey, stickerId: null, contentType: "image/webp", fileName: `${attachment.fileName}.webp` } : null;
  }
  return { storageKey: attachment.storageKey, stickerId: attachment.stickerId, contentType: attachment.contentType, fileName: attachment.fileName };
}

/**
 * Copies of a message's attachments for a forward, one set per target conversation, ready for
 * the forwarder to send there: each copy has its own blobs, so deleting one message never takes
 * another's files. Copies whose send is refused are removed with `discardAttachments`.
 */
export async function copyAttachmentsForForward(
  services: Pick<ParleyServices, "db" | "blobStore" | "clock">,
  input: { userId: string; messageId: string; conversationIds: string[] },
): Promise<Map<string, string[]>> {
  const originals = await services.db.select().from(attachments).where(eq(attachments.messageId, input.messageId)).orderBy(attachments.position);
  const copies = new Map<string, string[]>();
  if (originals.length === 0) return copies;
  const copyBlob = async (key: string | null, area: "media" | "thumbs"): Promise<string | null> => {
    if (key === null) return null;
    const bytes = await services.blobStore.read(key);
    if (!bytes) throw new DomainError("BAD_REQUEST", "A file of this message is no longer available");
    const copy = `${area}/${crypto.randomUUID()}`;
    await services.blobStore.write(copy, bytes, { contentType: "application/octet-stream" });
    return copy;
  };
  // Only where the forwarder is a member: the send refuses the others anyway.
  const memberships = await services.db
    .select({ conversationId: conversationMembers.conversationId })
    .from(conversationMembers)
    .where(
      and(
        eq(conversationMembers.userId, input.userId),
        isNull(conversationMembers.leftAt),
        sql`${conversationMembers.conversationId} = any(${arrayLiteral(input.conversationIds)}::uuid[])`,
      ),
    );
  for (const { conversationId } of memberships) {
    const ids: string[] = [];
    for (const original of originals) {
      const [row] = await services.db
        .insert(attachments)
        .values({
          kind: original.kind,
          stickerId: original.stickerId,
          fileName: original.fileName,
          contentType: original.contentType,
          sizeBytes: original.sizeBytes,
          width: original.width,
          height: original.height,
          durationMs: original.durationMs,
          waveform: original.waveform,
          thumbhash: original.thumbhash,
          conversationId,
          uploaderId: input.userId,
          storageKey: await copyBlob(original.storageKey, "media"),
          thumbnailKey: await copyBlob(original.thumbnailKey, "thumbs"),
          readyAt: services.clock.now(),
          createdAt: services.clock.now(),
        })
        .returning({ id: attachments.id });
      if (row) ids.push(row.id);
    }
    copies.set(conversationId, ids);
  }
  return copies;
}

/** Deletes unsent attachments and their blobs (copies made for a send that was refused). */
export async function discardAttachments(services: Pick<ParleyServices, "db" | "blobStore" | "logger">, attachmentIds: string[]): Promise<void> {
  if (attachmentIds.length === 0) return;
  const removed = await services.db
    .delete(attachments)
    .where(and(sql`${attachments.id} = any(${arrayLiteral(attachmentIds)}::uuid[])`, isNull(attachments.messageId)))
    .returning({ storageKey: attachments.storageKey, thumbnailKey: attachments.thumbnailKey });
  await deleteBlobs(services, blobKeysOf(removed));
}

/** Every blob of these attachment rows (the files, thumbnails and posters). */
export function blobKeysOf(rows: { storageKey: string | null; thumbnailKey: string | null }[]): string[] {
  return rows.flatMap((row) => [row.storageKey, row.thumbnailKey]).filter((key): key is string => key !== null);
}

/** Removes blobs whose rows are gone; a failure is logged and the blob stays (storage, not data). */
export async function deleteBlobs(services: Pick<ParleyServices, "blobStore" | "logger">, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  try {
    await services.blobStore.delete(keys);
  } catch (error) {
    services.logger.warn({ err: String(error), keys: keys.length }, "deleting attachment blobs failed");
  }
}

/** Deletes uploads that were never sent within a day of their creation, and their blobs. */
export async function sweepUnsentUploads(services: Pick<ParleyServices, "db" | "blobStore" | "clock" | "logger">): Promise<number> {
  const cutoff = new Date(services.clock.now().getTime() - unsentUploadLifetimeMs);
  const removed = await services.db
    .delete(attachments)
    .where(and(isNull(attachments.messageId), lt(attachments.createdAt, cutoff)))
    .returning({ storageKey: attachments.storageKey, thumbnailKey: attachments.thumbnailKey });
  await deleteBlobs(services, blobKeysOf(removed));
  return removed.length;
}

