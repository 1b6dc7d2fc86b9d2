import sharp, { type Sharp } from "sharp";
import { rgbaToThumbHash } from "thumbhash";

import { imageMaxPixels, thumbnailMaxPixels } from "@parley/db/limits";

/** The image types Parley decodes, re-encodes and shows inline; the sniffed type decides. */
export const processedImageTypes = ["image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"] as const;

export class UnreadableImageError extends Error {
  override name = "UnreadableImageError";
}

export interface ProcessedImage {
  /** Re-encoded with its orientation applied and no metadata: EXIF, GPS and comments are gone. */
  bytes: Buffer;
  width: number;
  height: number;
  thumbnail: Buffer;
  thumbhash: string;
}

function decoder(bytes: Buffer, animated: boolean): Sharp {
  // limitInputPixels refuses decompression bombs before their pixels are allocated.
  return sharp(bytes, { limitInputPixels: imageMaxPixels, animated, failOn: "error" });
}

/** A small WebP still and a ThumbHash placeholder of an image. */
export async function thumbnailOf(bytes: Buffer): Promise<{ thumbnail: Buffer; thumbhash: string }> {
  const thumbnail = await decoder(bytes, false)
    .rotate()
    .resize(thumbnailMaxPixels, thumbnailMaxPixels, { fit: "inside", withoutEnlargement: true })
    .webp({ quality: 75 })
    .toBuffer();
  const { data, info } = await sharp(thumbnail).resize(100, 100, { fit: "inside" }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { thumbnail, thumbhash: Buffer.from(rgbaToThumbHash(info.width, info.height, data)).toString("base64") };
}

/** Decodes an image within the pixel limit and stores it again in its own format, stripped. */
export async function processImage(bytes: Buffer, contentType: (typeof processedImageTypes)[number]): Promise<ProcessedImage> {
  const animated = contentType === "image/gif" || contentType === "image/webp";
  try {
    const metadata = await decoder(bytes, false).metadata();
    if (!metadata.width || !metadata.height) throw new UnreadableImageError("no dimensions");
    const pipeline = decoder(bytes, animated).rotate();
    const encoded =
      contentType === "image/jpeg"
        ? pipeline.jpeg({ quality: 90 })
        : contentType === "image/png"
          ? pipeline.png()
          : contentType === "image/webp"
            ? pipeline.webp({ quality: 90 })
            : contentType === "image/gif"
              ? pipeline.gif()
              : pipeline.avif();
    const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
    const { thumbnail, thumbhash } = await thumbnailOf(data);
    return { bytes: data, width: info.width, height: info.pageHeight ?? info.height, thumbnail, thumbhash };
  } catch (error) {
    if (error instanceof UnreadableImageError) throw error;
    throw new UnreadableImageError(String(error));
  }
}

/** A square WebP of `size` pixels: the crop given (or the centre), orientation applied, no metadata. */
export async function squareAvatar(
  bytes: Buffer,
  options: { size: number; crop?: { x: number; y: number; side: number } },
): Promise<Buffer> {
  try {
    const oriented = await decoder(bytes, false).rotate().toBuffer({ resolveWithObject: true });
    const { width, height } = oriented.info;
    const side = Math.min(options.crop?.side ?? Math.min(width, height), width, height);
    const left = Math.min(Math.max(0, options.crop?.x ?? Math.floor((width - side) / 2)), width - side);
    const top = Math.min(Math.max(0, options.crop?.y ?? Math.floor((height - side) / 2)), height - side);
    return await sharp(oriented.data)
      .extract({ left, top, width: side, height: side })
      .resize(options.size, options.size)
      .webp({ quality: 85 })
      .toBuffer();
  } catch (error) {
    throw new UnreadableImageError(String(error));
  }
}
