import { fileTypeFromBuffer } from "file-type";

import { mediaMaxDurationMs, waveformMaxSamples } from "@parley/db/limits";

import type { AttachmentKind } from "../domain/views";
import { ffmpegAvailable, probeMedia } from "./ffmpeg";
import { processedImageTypes, processImage, thumbnailOf, UnreadableImageError } from "./images";

/** What the uploading device measured, used when the server has no ffmpeg to measure it itself. */
export interface ClientMediaMetadata {
  durationMs?: number;
  waveform?: number[];
  width?: number;
  height?: number;
}

export interface InspectedUpload {
  kind: Exclude<AttachmentKind, "sticker">;
  contentType: string;
  /** Replaces the uploaded bytes (a stripped image); null: the upload is stored as it came. */
  replacement: Buffer | null;
  thumbnail: Buffer | null;
  thumbhash: string | null;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  waveform: number[] | null;
}

export class RefusedUploadError extends Error {
  override name = "RefusedUploadError";
}

/** `image/*` style patterns and exact types, as MAX_UPLOAD_TYPES lists them. */
export function typeAllowed(contentType: string, allowed: readonly string[]): boolean {
  const [family] = contentType.split("/");
  return allowed.some((pattern) => pattern === "*" || pattern === contentType || pattern === `${family}/*`);
}

const familyOf = (contentType: string): string => contentType.split("/")[0] ?? "";

function isPlainText(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The type the bytes are, never the name or the claim: unknown bytes are octet-stream (or plain text). */
async function sniff(bytes: Buffer, declared: string): Promise<string> {
  const found = await fileTypeFromBuffer(bytes);
  if (found) {
    // A browser's voice recording is a WebM or MP4 container holding audio only.
    if (familyOf(declared) === "audio" && (found.mime === "video/webm" || found.mime === "video/mp4")) {
      return found.mime.replace("video/", "audio/");
    }
    return found.mime;
  }
  return declared === "text/plain" && isPlainText(bytes) ? "text/plain" : "application/octet-stream";
}

function validDuration(value: number | undefined): number | null {
  return value !== undefined && Number.isInteger(value) && value > 0 && value <= mediaMaxDurationMs ? value : null;
}

function validWaveform(value: number[] | undefined): number[] | null {
  if (!value || value.length === 0 || value.length > waveformMaxSamples) return null;
  return value.every((sample) => Number.isInteger(sample) && sample >= 0 && sample <= 255) ? value : null;
}

/**
 * Decides what an upload is from its bytes and prepares what is stored: images are decoded
 * under the pixel limit and re-encoded without metadata, with a thumbnail and a placeholder;
 * audio and video are measured with ffprobe when the server has it, else from the device's
 * (validated) metadata. Throws RefusedUploadError with a message for the uploader.
 */
export async function inspectUpload(
  bytes: Buffer,
  options: { declaredType: string; allowedTypes: readonly string[]; metadata?: ClientMediaMetadata },
): Promise<InspectedUpload> {
  const contentType = await sniff(bytes, options.declaredType);
  if (!typeAllowed(contentType, options.allowedTypes)) {
    throw new RefusedUploadError(`Files of type ${contentType} cannot be sent here`);
  }
  const declaredFamily = familyOf(options.declaredType);
  if (["image", "audio", "video"].includes(declaredFamily) && familyOf(contentType) !== declaredFamily) {
    throw new RefusedUploadError(`This file is not the ${declaredFamily} it claims to be (its bytes are ${contentType})`);
  }
  const none = { replacement: null, thumbnail: null, thumbhash: null, width: null, height: null, durationMs: null, waveform: null };
  if ((processedImageTypes as readonly string[]).includes(contentType)) {
    try {
      const image = await processImage(bytes, contentType as (typeof processedImageTypes)[number]);
      return { ...none, kind: "image", contentType, replacement: image.bytes, thumbnail: image.thumbnail, thumbhash: image.thumbhash, width: image.width, height: image.height };
    } catch (error) {
      if (error instanceof UnreadableImageError) throw new RefusedUploadError("This image cannot be read, or it is too large in pixels");
      throw error;
    }
  }
  const family = familyOf(contentType);
  if (family !== "audio" && family !== "video") return { ...none, kind: "file", contentType };
  const metadata = options.metadata ?? {};
  if (await ffmpegAvailable()) {
    const probed = await probeMedia(bytes, { waveformSamples: 64 });
    if (!probed) throw new RefusedUploadError(`This file is not playable ${family}`);
    if (probed.durationMs !== null && probed.durationMs > mediaMaxDurationMs) throw new RefusedUploadError("This recording is too long");
    if (family === "audio" || !probed.video) {
      // A browser's MediaRecorder writes WebM without a duration, which ffprobe then cannot give.
      const durationMs = probed.durationMs ?? validDuration(metadata.durationMs);
      return { ...none, kind: "voice", contentType, durationMs, waveform: probed.waveform ?? validWaveform(metadata.waveform) };
    }
    const poster = probed.poster ? await thumbnailOf(probed.poster).catch(() => null) : null;
    return {
      ...none,
      kind: "video",
      contentType,
      durationMs: probed.durationMs ?? validDuration(metadata.durationMs),
      width: probed.video.width,
      height: probed.video.height,
      thumbnail: poster?.thumbnail ?? null,
      thumbhash: poster?.thumbhash ?? null,
    };
  }
  const dimension = (value: number | undefined) => (value !== undefined && Number.isInteger(value) && value > 0 && value <= 16_384 ? value : null);
  if (family === "audio") {
    return { ...none, kind: "voice", contentType, durationMs: validDuration(metadata.durationMs), waveform: validWaveform(metadata.waveform) };
  }
  return { ...none, kind: "video", contentType, durationMs: validDuration(metadata.durationMs), width: dimension(metadata.width), height: dimension(metadata.height) };
}
