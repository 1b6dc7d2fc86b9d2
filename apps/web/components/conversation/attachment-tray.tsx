"use client";

import { useChatState } from "../../lib/chat-context";
import { fileTypeLabel, formatBytes } from "../../lib/media-format";
import { CloseIcon } from "../ui/icons";

/**
 * The files attached to the message being written, each uploading at once: a preview or its
 * type, its progress, and a button that cancels it (or tries a failed upload again).
 */
export function AttachmentTray({ uploadIds, onRemove, onRetry }: { uploadIds: string[]; onRemove: (uploadId: string) => void; onRetry: (uploadId: string) => void }) {
  const uploads = useChatState((state) => state.uploads);
  if (uploadIds.length === 0) return null;
  return (
    <ul aria-label="Attached files" data-testid="attachment-tray" className="mb-2 flex gap-2 overflow-x-auto pb-1">
      {uploadIds.map((id) => {
        const job = uploads[id];
        if (!job) return null;
        return (
          <li
            key={id}
            data-testid="tray-item"
            data-status={job.status}
            className={`relative flex w-44 shrink-0 items-center gap-2 rounded-xl border bg-zinc-50 p-1.5 pr-8 dark:bg-zinc-900 ${
              job.status === "failed" ? "border-rose-400" : "border-zinc-200 dark:border-zinc-700"
            }`}
          >
            {job.kind === "image" && job.previewUrl ? (
              <img src={job.previewUrl} alt="" className="size-11 shrink-0 rounded-lg object-cover" />
            ) : (
              <span className="flex size-11 shrink-0 items-center justify-center rounded-lg bg-sky-100 text-[10px] font-bold text-sky-700 dark:bg-sky-900 dark:text-sky-200">
                {fileTypeLabel(job.name, job.contentType)}
              </span>
            )}
            <span className="min-w-0 flex-1 text-xs">
              <span className="block truncate font-medium text-zinc-800 dark:text-zinc-100">{job.name}</span>
              {job.status === "failed" ? (
                <span className="block text-rose-600" role="alert">
                  <span className="line-clamp-2">{job.error}</span>
                  <button type="button" onClick={() => onRetry(id)} className="font-semibold underline">
                    Retry
                  </button>
                </span>
              ) : (
                <>
                  <span className="block text-zinc-500">{job.status === "done" ? formatBytes(job.size) : `${Math.round(job.progress * 100)}%`}</span>
                  <span
                    role="progressbar"
                    aria-label={`Uploading ${job.name}`}
                    aria-valuemin={0}
                    aria-valuemax={100}
                    aria-valuenow={Math.round(job.progress * 100)}
                    className="mt-1 block h-1 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-700"
                  >
                    <span className={`block h-full ${job.status === "done" ? "bg-emerald-500" : "bg-sky-600"}`} style={{ width: `${Math.round(job.progress * 100)}%` }} />
                  </span>
                </>
              )}
            </span>
            <button
              type="button"
              onClick={() => onRemove(id)}
              aria-label={`Remove ${job.name}`}
              title={job.status === "uploading" ? "Cancel upload" : "Remove"}
              className="absolute top-1 right-1 flex size-6 items-center justify-center rounded-full text-zinc-500 hover:bg-zinc-200 hover:text-zinc-900 dark:hover:bg-zinc-700 dark:hover:text-zinc-100"
            >
              <CloseIcon size={14} />
            </button>
          </li>
        );
      })}
    </ul>
  );
}
