import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import { findServableAttachment, mediaEndpoint, receiveUpload, writeUploadBytes } from "../domain/attachments";
import { findAvatarUpload } from "../domain/avatars";
import { toTRPCError } from "../errors";
import { findSticker, renderSticker } from "../media/stickers";
import { isOriginAllowed } from "../origin";
import type { ParleyServices } from "../services";
import type { ByteRange } from "../storage/blob-store";
import { createContext } from "../trpc";

/**
 * Types a browser may show in place; everything else downloads. Never SVG, HTML or XML: they
 * can run script in Parley's origin. The types are the sniffed ones, never the uploader's claim.
 */
const inlineTypes = new Set([
  "image/jpeg",
  "image/png",
  "image/webp",
  "image/gif",
  "image/avif",
  "audio/ogg",
  "audio/opus",
  "audio/mpeg",
  "audio/mp4",
  "audio/x-m4a",
  "audio/aac",
  "audio/webm",
  "audio/wav",
  "audio/x-wav",
  "audio/flac",
  "audio/x-flac",
  "video/mp4",
  "video/webm",
  "video/quicktime",
]);

/** A media response is a document of its own if opened directly: it may load nothing and run nothing. */
export const mediaContentSecurityPolicy = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox";

const uuidPattern = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const uploadRoute = new RegExp(`^${mediaEndpoint}/uploads/(${uuidPattern})$`);
const attachmentRoute = new RegExp(`^${mediaEndpoint}/(${uuidPattern})(/thumbnail)?$`);
const avatarRoute = new RegExp(`^${mediaEndpoint}/(avatars/${uuidPattern}\\.webp)$`);
const stickerRoute = new RegExp(`^${mediaEndpoint}/stickers/([a-z0-9-]{1,64})$`);

function answer(response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = JSON.stringify({ error: { message, status } });
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers });
  response.end(body);
}

const statusOfCode: Record<string, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_MANY_REQUESTS: 429,
  SERVICE_UNAVAILABLE: 503,
};

/** `Content-Disposition` with an ASCII fallback and the exact name in RFC 5987 form. */
export function contentDisposition(type: "inline" | "attachment", fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\%;]/g, "_");
  // encodeURIComponent leaves ' ( ) * as they are; RFC 5987 wants them encoded too.
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** One `bytes=` range of a blob of `size` bytes; "unsatisfiable", or null to send it whole. */
export function parseRange(header: string | undefined, size: number): ByteRange | "unsatisfiable" | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges, or another unit: the whole blob is a valid answer.
  if (!match) return null;
  const [, from, to] = match;
  if (from === "" && to === "") return "unsatisfiable";
  if (from === "") {
    const suffix = Number(to);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === "" ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size || end < start) return "unsatisfiable";
  return { start, end };
}

async function send(
  request: IncomingMessage,
  response: ServerResponse,
  blob: { contentType: string; fileName: string; open: (range?: ByteRange) => Promise<{ body: Readable; size: number } | null>; size: number },
  cache: string,
): Promise<void> {
  const inline = inlineTypes.has(blob.contentType);
  const headers: Record<string, string> = {
    "content-type": blob.contentType === "text/plain" ? "text/plain; charset=utf-8" : blob.contentType,
    "content-disposition": contentDisposition(inline ? "inline" : "attachment", blob.fileName),
    "x-content-type-options": "nosniff",
    "content-security-policy": mediaContentSecurityPolicy,
    "cross-origin-resource-policy": "same-origin",
    "referrer-policy": "no-referrer",
    "cache-control": cache,
    "accept-ranges": "bytes",
  };
  const range = parseRange(request.headers.range, blob.size);
  if (range === "unsatisfiable") {
    answer(response, 416, "The requested range is outside the file", { "content-range": `bytes */${blob.size}` });
    return;
  }
  const opened = request.method === "HEAD" ? null : await blob.open(range ?? undefined);
  if (request.method !== "HEAD" && !opened) {
    answer(response, 404, "This file is no longer available");
    return;
  }
  const length = range ? range.end - range.start + 1 : blob.size;
  if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${blob.size}`;
  headers["content-length"] = String(length);
  response.writeHead(range ? 206 : 200, headers);
  if (!opened) {
    response.end();
    return;
  }
  await pipeline(opened.body, response);
}

function bufferBlob(bytes: Buffer) {
  return {
    size: bytes.length,
    open: async (range?: ByteRange) => {
      const { Readable } = await import("node:stream");
      return { body: Readable.from([range ? bytes.subarray(range.start, range.end + 1) : bytes]), size: bytes.length };
    },
  };
}

/**
 * Parley's media routes beside /api/trpc, session-checked like the API (bearer token or cookie):
 * uploads to local storage (PUT /api/media/uploads/:id), attachments and their thumbnails for
 * the conversation's members, avatars and stickers for anyone signed in.
 */
export function createMediaRequestListener(services: ParleyServices): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  return async (request, response) => {
    try {
      const pathname = new URL(request.url ?? "/", "http://localhost").pathname;
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
      }
      const context = await createContext({ services, headers });
      if (!context.user) {
        answer(response, 401, "Sign in to continue");
        return;
      }
      const userId = context.user.id;
      const upload = uploadRoute.exec(pathname);
      if (upload) {
        if (request.method !== "PUT") {
          answer(response, 405, "Uploads are PUT requests", { allow: "PUT" });
          return;
        }
        if (services.blobStore.driver !== "local") {
          answer(response, 404, "Uploads go to the storage service named by attachments.createUpload");
          return;
        }
        // A cookie rides along on cross-site requests; only our own pages may upload with it.
        if (context.authSource === "cookie" && !isOriginAllowed(request.headers.origin ?? null, services.config.allowedOrigins)) {
          answer(response, 403, "Request origin is not allowed");
          return;
        }
        const declared = request.headers["content-length"];
        const declaredLength = declared === undefined ? null : Number(declared);
        const uploadId = upload[1] as string;
        const avatarUpload = await findAvatarUpload(services, { userId, uploadId });
        if (avatarUpload) await writeUploadBytes(services, { ...avatarUpload, body: request, declaredLength });
        else await receiveUpload(services, { userId, attachmentId: uploadId, body: request, declaredLength });
        response.writeHead(204).end();
        return;
      }
      if (request.method !== "GET" && request.method !== "HEAD") {
        answer(response, 405, "Media is read with GET", { allow: "GET, HEAD" });
        return;
      }
      const sticker = stickerRoute.exec(pathname);
      if (sticker) {
        const found = findSticker(sticker[1] as string);
        if (!found) {
          answer(response, 404, "There is no such sticker");
          return;
        }
        const art = await renderSticker(found.id);
        await send(request, response, { contentType: "image/webp", fileName: `${found.id}.webp`, ...bufferBlob(art.bytes) }, "public, max-age=86400");
        return;
      }
      const avatar = avatarRoute.exec(pathname);
      if (avatar) {
        const key = avatar[1] as string;
        const size = await services.blobStore.size(key);
        if (size === null) {
          answer(response, 404, "There is no such picture");
          return;
        }
        // A key is never reused for another picture, so it may be cached for long.
        await send(request, response, { contentType: "image/webp", fileName: "avatar.webp", size, open: (range) => services.blobStore.open(key, range) }, "private, max-age=31536000, immutable");
        return;
      }
      const attachment = attachmentRoute.exec(pathname);
      if (!attachment) {
        answer(response, 404, "Not found");
        return;
      }
      const servable = await findServableAttachment(services, { userId, attachmentId: attachment[1] as string, thumbnail: attachment[2] !== undefined });
      if (!servable) {
        // One answer for "no such file" and "not yours to see": ids leak nothing.
        answer(response, 404, "This file does not exist or is not in a conversation you are a member of");
        return;
      }
      const cache = "private, max-age=300";
      if (servable.stickerId) {
        const art = await renderSticker(servable.stickerId);
        await send(request, response, { contentType: "image/webp", fileName: servable.fileName, ...bufferBlob(art.bytes) }, cache);
        return;
      }
      const key = servable.storageKey as string;
      const size = await services.blobStore.size(key);
      if (size === null) {
        answer(response, 404, "This file is no longer available");
        return;
      }
      await send(request, response, { ...servable, size, open: (range) => services.blobStore.open(key, range) }, cache);
    } catch (error) {
      const mapped = toTRPCError(error);
      if (mapped.code === "INTERNAL_SERVER_ERROR") {
        services.logger.error({ err: String((error as Error)?.stack ?? error), url: request.url }, "media request failed");
        answer(response, 500, "Internal server error");
        return;
      }
      answer(response, statusOfCode[mapped.code] ?? 400, mapped.message);
    }
  };
}
