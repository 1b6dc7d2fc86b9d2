import { and, eq, lt } from "drizzle-orm";

import { avatarSizePixels, unsentUploadLifetimeMs } from "@parley/db/limits";
import { avatarUploads, users } from "@parley/db/schema";

import { DomainError } from "../errors";
import { transactionWithEvents } from "../events/transaction";
import { processedImageTypes, squareAvatar, UnreadableImageError } from "../media/images";
import { inspectUpload, RefusedUploadError } from "../media/inspect-upload";
import type { ParleyServices } from "../services";
import { deleteBlobs, mediaEndpoint, takeUploadAllowance, type CreatedUpload } from "./attachments";
import { announceProfile, publicUserColumns } from "./users";
import { toPublicUser, type PublicUser } from "./views";

type AvatarServices = Pick<ParleyServices, "db" | "blobStore" | "clock" | "config" | "logger" | "feed" | "uploadLimiter">;

const uploadKeyOf = (uploadId: string): string => `uploads/${uploadId}`;

/** Starts a profile picture upload: an image of at most MAX_UPLOAD_BYTES, sent like an attachment's bytes. */
export async function createAvatarUpload(
  services: AvatarServices,
  input: { userId: string; size: number; contentType: string },
): Promise<{ uploadId: string; upload: CreatedUpload["upload"] }> {
  const contentType = input.contentType.toLowerCase();
  if (!(processedImageTypes as readonly string[]).includes(contentType)) {
    throw new DomainError("BAD_REQUEST", "A profile picture must be a JPEG, PNG, WebP, GIF or AVIF image");
  }
  if (input.size > services.config.media.maxUploadBytes) {
    throw new DomainError("BAD_REQUEST", `A file can be at most ${services.config.media.maxUploadBytes} bytes`);
  }
  await takeUploadAllowance(services, input.userId);
  const uploadId = crypto.randomUUID();
  await services.db.insert(avatarUploads).values({
    id: uploadId,
    userId: input.userId,
    contentType,
    sizeBytes: input.size,
    createdAt: services.clock.now(),
  });
  const key = uploadKeyOf(uploadId);
  const direct = await services.blobStore.createUploadTarget(key, { maxBytes: input.size, contentType });
  return { uploadId, upload: direct ?? { url: `${mediaEndpoint}/uploads/${uploadId}`, method: "PUT", headers: { "content-type": contentType } } };
}

/** The caller's own pending avatar upload, for Parley's upload route; null when there is none. */
export async function findAvatarUpload(
  services: Pick<ParleyServices, "db">,
  input: { userId: string; uploadId: string },
): Promise<{ storageKey: string; contentType: string; sizeBytes: number } | null> {
  const [row] = await services.db
    .select()
    .from(avatarUploads)
    .where(and(eq(avatarUploads.id, input.uploadId), eq(avatarUploads.userId, input.userId)));
  return row ? { storageKey: uploadKeyOf(row.id), contentType: row.contentType, sizeBytes: row.sizeBytes } : null;
}

async function replaceAvatar(services: AvatarServices, userId: string, avatarKey: string | null): Promise<PublicUser> {
  const [previous] = await services.db.select({ avatarKey: users.avatarKey }).from(users).where(eq(users.id, userId));
  const user = await transactionWithEvents(services, async (tx, emit) => {
    const [row] = await tx.update(users).set({ avatarKey, updatedAt: services.clock.now() }).where(eq(users.id, userId)).returning(publicUserColumns);
    if (!row) throw new DomainError("NOT_FOUND", "User not found");
    const view = toPublicUser(row);
    await announceProfile(tx, emit, view);
    return view;
  });
  if (previous?.avatarKey && previous.avatarKey !== avatarKey) await deleteBlobs(services, [previous.avatarKey]);
  return user;
}

/**
 * Makes an uploaded image the caller's profile picture: checked from its bytes, cropped to a
 * square (the crop given, in the upright image's pixels, or the centre), 256 pixels, WebP, no
 * metadata. The upload is consumed.
 */
export async function setAvatar(
  services: AvatarServices,
  input: { userId: string; uploadId: string; crop?: { x: number; y: number; side: number } },
): Promise<PublicUser> {
  const upload = await findAvatarUpload(services, input);
  if (!upload) throw new DomainError("NOT_FOUND", "That upload is not yours or does not exist");
  const consume = async () => {
    await services.db.delete(avatarUploads).where(eq(avatarUploads.id, input.uploadId));
    await deleteBlobs(services, [upload.storageKey]);
  };
  const size = await services.blobStore.size(upload.storageKey);
  if (size === null) throw new DomainError("BAD_REQUEST", "The file has not been uploaded yet");
  if (size > upload.sizeBytes || size > services.config.media.maxUploadBytes) {
    await consume();
    throw new DomainError("BAD_REQUEST", `The file is larger than announced (${upload.sizeBytes} bytes) or than the limit`);
  }
  const bytes = await services.blobStore.read(upload.storageKey);
  if (!bytes) throw new DomainError("BAD_REQUEST", "The file has not been uploaded yet");
  let picture: Buffer;
  try {
    const inspected = await inspectUpload(bytes, { declaredType: upload.contentType, allowedTypes: processedImageTypes as unknown as string[] });
    if (inspected.kind !== "image") throw new RefusedUploadError("A profile picture must be an image");
    picture = await squareAvatar(bytes, { size: avatarSizePixels, crop: input.crop });
  } catch (error) {
    await consume();
    if (error instanceof RefusedUploadError) throw new DomainError("BAD_REQUEST", error.message);
    if (error instanceof UnreadableImageError) throw new DomainError("BAD_REQUEST", "This image cannot be read, or it is too large in pixels");
    throw error;
  }
  const avatarKey = `avatars/${crypto.randomUUID()}.webp`;
  await services.blobStore.write(avatarKey, picture, { contentType: "image/webp" });
  await consume();
  return replaceAvatar(services, input.userId, avatarKey);
}

export async function removeAvatar(services: AvatarServices, input: { userId: string }): Promise<PublicUser> {
  return replaceAvatar(services, input.userId, null);
}

/** Deletes avatar uploads never used within a day, and their blobs. */
export async function sweepUnusedAvatarUploads(services: Pick<ParleyServices, "db" | "blobStore" | "clock" | "logger">): Promise<number> {
  const cutoff = new Date(services.clock.now().getTime() - unsentUploadLifetimeMs);
  const removed = await services.db.delete(avatarUploads).where(lt(avatarUploads.createdAt, cutoff)).returning({ id: avatarUploads.id });
  await deleteBlobs(services, removed.map((row) => uploadKeyOf(row.id)));
  return removed.length;
}
