import type { AttachmentView } from "../../lib/api-types";
import { fileTypeLabel, formatBytes } from "../../lib/media-format";
import { DownloadIcon } from "../ui/icons";

/** A file as a card: its type, name and size; the whole card downloads it under its name. */
export function FileCard({ file, own, progress }: { file: AttachmentView; own: boolean; progress: number | null }) {
  const label = fileTypeLabel(file.name, file.contentType);
  const body = (
    <>
      <span
        className={`relative flex size-11 shrink-0 items-center justify-center rounded-xl text-[11px] font-bold ${
          own ? "bg-white/20 text-white" : "bg-sky-100 text-sky-700 dark:bg-sky-900 dark:text-sky-200"
        }`}
      >
        <span className="group-hover/file:hidden">{label}</span>
        <DownloadIcon size={20} className="hidden group-hover/file:block" />
      </span>
      <span className="min-w-0 flex-1">
        <span data-testid="file-name" className="block truncate font-medium">
          {file.name}
        </span>
        <span className={`block text-xs ${own ? "text-sky-100" : "text-zinc-500 dark:text-zinc-400"}`}>
          {progress !== null ? `${Math.round(progress * 100)}% of ${formatBytes(file.size)}` : `${formatBytes(file.size)} · ${label}`}
        </span>
        {progress !== null && (
          <span className={`mt-1 block h-1 overflow-hidden rounded-full ${own ? "bg-white/30" : "bg-zinc-200 dark:bg-zinc-700"}`}>
            <span className={`block h-full ${own ? "bg-white" : "bg-sky-600"}`} style={{ width: `${Math.round(progress * 100)}%` }} />
          </span>
        )}
      </span>
    </>
  );
  const className = "group/file flex w-[min(18rem,65vw)] items-center gap-3 rounded-xl py-1 text-left";
  if (!file.url) return <div className={className}>{body}</div>;
  return (
    <a href={file.url} download={file.name} data-testid="file-card" title={`Download ${file.name}`} className={className}>
      {body}
    </a>
  );
}
