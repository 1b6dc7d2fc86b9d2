import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

import { assertBlobKey, BlobTooLargeError, type BlobStore } from "./blob-store";

/** Blobs as files under one folder (DATA_DIR/media by default); uploads go through Parley's own route. */
export function createLocalBlobStore(directory: string): BlobStore {
  const pathOf = (key: string): string => {
    assertBlobKey(key);
    return join(directory, key);
  };
  const sizeOf = async (key: string): Promise<number | null> => {
    try {
      return (await stat(pathOf(key))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  };
  return {
    driver: "local",
    createUploadTarget: async () => null,
    write: async (key, body, options) => {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      // Written beside the final name and renamed, so a reader never sees half a file.
      const partial = `${path}.${process.pid}.${Date.now()}.partial`;
      let written = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          written += chunk.length;
          if (options.maxBytes !== undefined && written > options.maxBytes) {
            callback(new BlobTooLargeError(`more than ${options.maxBytes} bytes`));
            return;
          }
          callback(null, chunk);
        },
      });
      try {
        await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, counter, createWriteStream(partial));
        await rename(partial, path);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
      return written;
    },
    read: async (key) => {
      try {
        return await readFile(pathOf(key));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw error;
      }
    },
    size: sizeOf,
    open: async (key, range) => {
      const size = await sizeOf(key);
      if (size === null) return null;
      return { body: createReadStream(pathOf(key), range ? { start: range.start, end: range.end } : {}), size };
    },
    delete: async (keys) => {
      await Promise.all(keys.map((key) => rm(pathOf(key), { force: true })));
    },
  };
}
