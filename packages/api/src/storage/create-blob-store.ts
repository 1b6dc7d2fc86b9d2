import { createLocalBlobStore } from "./local-store";
import { createS3BlobStore } from "./s3-store";
import type { BlobStore, BlobStoreConfig } from "./blob-store";

export function createBlobStore(config: BlobStoreConfig): BlobStore {
  return config.driver === "s3" ? createS3BlobStore(config) : createLocalBlobStore(config.directory);
}
