"use client";

import type { AttachmentView } from "../../lib/api-types";
import { useChatState } from "../../lib/chat-context";
import { FileCard } from "./file-card";
import { MediaAlbum } from "./media-album";
import { VoicePlayer } from "./voice-player";

/** Pictures and videos fill the bubble's width with no padding; the rest sit inside it. */
export function isEdgeToEdge(attachments: readonly AttachmentView[]): boolean {
  return attachments.some((attachment) => attachment.kind === "image" || attachment.kind === "video");
}

export function isStickerMessage(attachments: readonly AttachmentView[]): boolean {
  return attachments.length === 1 && attachments[0]?.kind === "sticker";
}

/**
 * A message's files, by kind: an album of its pictures, a player per video and voice note, a
 * card per file. While the message is unsent (`pending`), each shows its upload's progress.
 */
export function MessageAttachments({ attachments, own, pending }: { attachments: AttachmentView[]; own: boolean; pending: boolean }) {
  const uploads = useChatState((state) => state.uploads);
  const progressOf = (attachment: AttachmentView): number | null => {
    if (!pending) return null;
    const job = uploads[attachment.id];
    return job && job.status === "uploading" ? job.progress : null;
  };
  const images = attachments.filter((attachment) => attachment.kind === "image");
  const videos = attachments.filter((attachment) => attachment.kind === "video");
  const others = attachments.filter((attachment) => attachment.kind !== "image" && attachment.kind !== "video");

  return (
    <div className="flex flex-col gap-0.5" data-testid="message-attachments">
      {images.length > 0 && <MediaAlbum images={images} progressOf={progressOf} />}
      {videos.map((video) => (
        <video
          key={video.id}
          data-testid="video-message"
          src={video.url || undefined}
          poster={video.thumbnailUrl}
          controls
          playsInline
          preload="metadata"
          aria-label={video.name}
          className="max-h-[60dvh] w-[min(20rem,70vw)] bg-black"
          style={video.width && video.height ? { aspectRatio: `${video.width} / ${video.height}` } : undefined}
        />
      ))}
      {others.length > 0 && (
        <div className={`flex flex-col gap-1 ${images.length + videos.length > 0 ? "px-3 pt-1.5" : ""}`}>
          {others.map((attachment) =>
            attachment.kind === "voice" ? (
              <VoicePlayer key={attachment.id} voice={attachment} own={own} />
            ) : attachment.kind === "sticker" ? (
              <img key={attachment.id} src={attachment.url} alt={`Sticker: ${attachment.name}`} data-testid="sticker" className="size-40" />
            ) : (
              <FileCard key={attachment.id} file={attachment} own={own} progress={progressOf(attachment)} />
            ),
          )}
        </div>
      )}
    </div>
  );
}
