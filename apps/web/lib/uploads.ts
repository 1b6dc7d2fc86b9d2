/**
 * Files on their way to the server. Each upload runs as soon as a file is attached, with its
 * progress in the chat state for the composer's tray; the outbox sends a message naming its
 * attachments only once every one of them has finished. The bytes and the requests live here,
 * in memory: a page reload drops unfinished uploads, and a message waiting on one fails with a
 * clear reason instead of being sent without it.
 */
import type { ParleyClient } from "@parley/client";

import { describeProblem } from "./api-errors";
import type { AttachmentKind } from "./api-types";
import type { ChatStateHandle } from "./chat-state";

export interface UploadJob {
  id: string;
  conversationId: string;
  name: string;
  size: number;
  contentType: string;
  /** What the file looks like from here; the server decides from the bytes. */
  kind: AttachmentKind;
  /** 0–1 of the bytes sent. */
  progress: number;
  status: "uploading" | "done" | "failed";
  attachmentId: string | null;
  error: string | null;
  /** A local object URL of an image or video, for the tray and the unsent bubble. */
  previewUrl: string | null;
}

/** What the device measured of a recording, for the server to keep when it cannot measure it. */
export interface RecordingMetadata {
  durationMs?: number;
  waveform?: number[];
  width?: number;
  height?: number;
}

export function kindOfFile(contentType: string): AttachmentKind {
  if (contentType.startsWith("image/") && contentType !== "image/svg+xml") return "image";
  if (contentType.startsWith("video/")) return "video";
  if (contentType.startsWith("audio/")) return "voice";
  return "file";
}

interface RunningUpload {
  file: Blob;
  metadata: RecordingMetadata;
  request: XMLHttpRequest | null;
  cancelled: boolean;
}

export interface UploadsOptions {
  client: ParleyClient;
  state: ChatStateHandle;
  newId: () => string;
  /** Called when an upload finishes or fails, so that a message waiting on it can go. */
  onSettled: () => void;
}

export class Uploads {
  private readonly client: ParleyClient;
  private readonly state: ChatStateHandle;
  private readonly newId: () => string;
  private readonly onSettled: () => void;
  private readonly running = new Map<string, RunningUpload>();

  constructor(options: UploadsOptions) {
    this.client = options.client;
    this.state = options.state;
    this.newId = options.newId;
    this.onSettled = options.onSettled;
  }

  /** Starts uploading a file to a conversation; its job appears in the state at once. */
  start(input: { conversationId: string; file: Blob; name: string; kind?: AttachmentKind; metadata?: RecordingMetadata }): string {
    const id = this.newId();
    const contentType = input.file.type || "application/octet-stream";
    const kind = input.kind ?? kindOfFile(contentType);
    const job: UploadJob = {
      id,
      conversationId: input.conversationId,
      name: input.name,
      size: input.file.size,
      contentType,
      kind,
      progress: 0,
      status: "uploading",
      attachmentId: null,
      error: null,
      previewUrl: kind === "image" || kind === "video" ? URL.createObjectURL(input.file) : null,
    };
    this.running.set(id, { file: input.file, metadata: input.metadata ?? {}, request: null, cancelled: false });
    this.setJob(id, job);
    void this.run(id);
    return id;
  }

  get(id: string): UploadJob | undefined {
    return this.state.get().uploads[id];
  }

  /** True while the bytes are here, so a failed upload can be tried again. */
  canRestart(id: string): boolean {
    return this.running.has(id);
  }

  restart(id: string): void {
    const job = this.get(id);
    const running = this.running.get(id);
    if (!job || !running || job.status === "uploading") return;
    running.cancelled = false;
    this.setJob(id, { ...job, status: "uploading", progress: 0, error: null, attachmentId: null });
    void this.run(id);
  }

  /** Stops an upload and forgets it; the server sweeps an attachment that is never sent. */
  cancel(id: string): void {
    const running = this.running.get(id);
    if (running) {
      running.cancelled = true;
      running.request?.abort();
    }
    this.forget(id);
  }

  /** Drops a finished job once its message is sent (or discarded). */
  forget(id: string): void {
    const job = this.get(id);
    if (job?.previewUrl) URL.revokeObjectURL(job.previewUrl);
    this.running.delete(id);
    this.state.update((state) => {
      if (!(id in state.uploads)) return state;
      const { [id]: _gone, ...rest } = state.uploads;
      return { ...state, uploads: rest };
    });
  }

  private setJob(id: string, job: UploadJob): void {
    this.state.update((state) => ({ ...state, uploads: { ...state.uploads, [id]: job } }));
  }

  private patchJob(id: string, change: Partial<UploadJob>): void {
    this.state.update((state) => {
      const job = state.uploads[id];
      return job ? { ...state, uploads: { ...state.uploads, [id]: { ...job, ...change } } } : state;
    });
  }

  private async run(id: string): Promise<void> {
    const job = this.get(id);
    const running = this.running.get(id);
    if (!job || !running) return;
    try {
      const { attachmentId, upload } = await this.client.api.attachments.createUpload.mutate({
        conversationId: job.conversationId,
        name: job.name,
        size: job.size,
        contentType: job.contentType,
      });
      if (running.cancelled) return;
      await this.sendBytes(running, upload, (progress) => this.patchJob(id, { progress }));
      if (running.cancelled) return;
      await this.client.api.attachments.complete.mutate({ attachmentId, ...running.metadata });
      if (running.cancelled) return;
      this.patchJob(id, { status: "done", progress: 1, attachmentId });
    } catch (error) {
      if (running.cancelled) return;
      this.patchJob(id, { status: "failed", error: error instanceof UploadRequestError ? error.message : describeProblem(error).message });
    }
    this.onSettled();
  }

  /** The bytes go by XMLHttpRequest: fetch cannot report upload progress. */
  private sendBytes(
    running: RunningUpload,
    target: { url: string; method: "PUT" | "POST"; headers?: Record<string, string>; fields?: Record<string, string> },
    onProgress: (progress: number) => void,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      running.request = request;
      request.open(target.method, target.url);
      request.withCredentials = true;
      for (const [name, value] of Object.entries(target.headers ?? {})) request.setRequestHeader(name, value);
      request.upload.onprogress = (event) => {
        if (event.lengthComputable && event.total > 0) onProgress(Math.min(0.99, event.loaded / event.total));
      };
      request.onload = () => {
        if (request.status >= 200 && request.status < 300) resolve();
        else reject(new UploadRequestError(uploadFailureMessage(request)));
      };
      request.onerror = () => reject(new UploadRequestError("The connection dropped during the upload"));
      request.onabort = () => reject(new UploadRequestError("The upload was cancelled"));
      if (target.method === "POST") {
        const form = new FormData();
        for (const [name, value] of Object.entries(target.fields ?? {})) form.append(name, value);
        form.append("file", running.file);
        request.send(form);
      } else {
        request.send(running.file);
      }
    });
  }
}

class UploadRequestError extends Error {}

function uploadFailureMessage(request: XMLHttpRequest): string {
  if (request.status === 413) return "This file is too large";
  try {
    const parsed = JSON.parse(request.responseText) as { error?: { message?: unknown }; message?: unknown };
    const message = parsed.error?.message ?? parsed.message;
    if (typeof message === "string" && message) return message;
  } catch {
    // Not JSON: fall through to the status.
  }
  return `The upload failed (HTTP ${request.status})`;
}
