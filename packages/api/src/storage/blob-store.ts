import type { Readable } from "node:stream";

/** Where and how a client sends an upload's bytes. */
export interface UploadTarget {
  url: string;
  method: "PUT" | "POST";
  headers?: Record<string, string>;
  /** A POST form's fields, to be sent before the file (S3 presigned POST). */
  fields?: Record<string, string>;
}

/** A byte range, both ends inclusive, as HTTP's Range header names it. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where attachment, thumbnail and avatar bytes live: a folder on local disk (the default) or an
 * S3-compatible bucket. Keys are made by Parley only (`<area>/<uuid>[.ext]`), never by a client.
 */
export interface BlobStore {
  readonly driver: "local" | "s3";
  /** Null: the client sends the bytes to Parley's own upload route, which calls `write`. */
  createUploadTarget: (key: string, options: { maxBytes: number; contentType: string }) => Promise<UploadTarget | null>;
  /** Stores the bytes; a stream longer than `maxBytes` is cut off and nothing is kept. */
  write: (key: string, body: Buffer | Readable, options: { contentType: string; maxBytes?: number }) => Promise<number>;
  /** The whole blob, or null when there is none. */
  read: (key: string) => Promise<Buffer | null>;
  size: (key: string) => Promise<number | null>;
  /** A stream of the blob (or of one range of it) and the blob's full size; null when there is none. */
  open: (key: string, range?: ByteRange) => Promise<{ body: Readable; size: number } | null>;
  /** Deleting a key that is not there is not an error. */
  delete: (keys: string[]) => Promise<void>;
}

export class BlobTooLargeError extends Error {
  override name = "BlobTooLargeError";
}

/** Keys are `<area>/<uuid>` with an optional extension: nothing a path could escape with. */
const keyPattern = /^[a-z]+\/[0-9a-f-]{36}(\.[a-z0-9]+)?$/;

export function assertBlobKey(key: string): void {
  if (!keyPattern.test(key)) throw new Error(`not a blob key: ${JSON.stringify(key)}`);
}

export type BlobStoreConfig =
  | { driver: "local"; directory: string }
  | {
      driver: "s3";
      bucket: string;
      region: string;
      endpoint?: string;
      accessKeyId?: string;
      secretAccessKey?: string;
      /** Bucket in the path rather than the host name: what most S3-compatible servers want. */
      forcePathStyle: boolean;
    };
