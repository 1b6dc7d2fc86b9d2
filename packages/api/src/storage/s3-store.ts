import type { Readable } from "node:stream";

import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, NotFound, NoSuchKey, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";

import { assertBlobKey, BlobTooLargeError, type BlobStore, type BlobStoreConfig } from "./blob-store";

/** How long a presigned upload form stays valid. */
const uploadFormLifetimeSeconds = 15 * 60;

function isMissing(error: unknown): boolean {
  if (error instanceof NoSuchKey || error instanceof NotFound) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === 404;
}

async function collect(body: Readable, maxBytes: number | undefined): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    total += buffer.length;
    if (maxBytes !== undefined && total > maxBytes) throw new BlobTooLargeError(`more than ${maxBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Blobs in an S3-compatible bucket (AWS SDK v3). Clients upload straight to the bucket with a
 * presigned POST whose policy bounds the size (`content-length-range`) and fixes the type; Parley
 * checks the result anyway, since not every S3-compatible service enforces policies.
 */
export function createS3BlobStore(config: Extract<BlobStoreConfig, { driver: "s3" }>): BlobStore {
  const client = new S3Client({
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: config.forcePathStyle,
    credentials:
      config.accessKeyId && config.secretAccessKey
        ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey }
        : undefined,
  });
  const Bucket = config.bucket;
  const sizeOf = async (key: string): Promise<number | null> => {
    assertBlobKey(key);
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  };
  return {
    driver: "s3",
    createUploadTarget: async (key, options) => {
      assertBlobKey(key);
      const { url, fields } = await createPresignedPost(client, {
        Bucket,
        Key: key,
        Conditions: [
          ["content-length-range", 0, options.maxBytes],
          ["eq", "$Content-Type", options.contentType],
        ],
        Fields: { "Content-Type": options.contentType },
        Expires: uploadFormLifetimeSeconds,
      });
      return { url, method: "POST", fields };
    },
    write: async (key, body, options) => {
      assertBlobKey(key);
      const bytes = Buffer.isBuffer(body) ? body : await collect(body, options.maxBytes);
      if (options.maxBytes !== undefined && bytes.length > options.maxBytes) throw new BlobTooLargeError(`more than ${options.maxBytes} bytes`);
      await client.send(new PutObjectCommand({ Bucket, Key: key, Body: bytes, ContentType: options.contentType, ContentLength: bytes.length }));
      return bytes.length;
    },
    read: async (key) => {
      assertBlobKey(key);
      try {
        const object = await client.send(new GetObjectCommand({ Bucket, Key: key }));
        return Buffer.from(await (object.Body as { transformToByteArray: () => Promise<Uint8Array> }).transformToByteArray());
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },
    size: sizeOf,
    open: async (key, range) => {
      const size = await sizeOf(key);
      if (size === null) return null;
      try {
        const object = await client.send(
          new GetObjectCommand({ Bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
        );
        return { body: object.Body as Readable, size };
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },
    delete: async (keys) => {
      await Promise.all(
        keys.map(async (key) => {
          assertBlobKey(key);
          await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
        }),
      );
    },
  };
}
