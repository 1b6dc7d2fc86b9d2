/** One line that stands for a message in the chat list, a reply quote or a notification. */
import type { AttachmentKind } from "./api-types";

const kindLabels: Record<AttachmentKind, string> = {
  image: "📷 Photo",
  video: "🎬 Video",
  voice: "🎤 Voice message",
  file: "📎 File",
  sticker: "Sticker",
};

/** The caption or text when there is one; otherwise what the message carries. */
export function messagePreview(message: {
  body: string | null;
  attachments?: ReadonlyArray<{ kind: AttachmentKind; name: string }>;
}): string {
  const attachments = message.attachments ?? [];
  const first = attachments[0];
  const label = !first
    ? ""
    : attachments.length > 1 && attachments.every((attachment) => attachment.kind === "image")
      ? `📷 ${attachments.length} photos`
      : first.kind === "file"
        ? `📎 ${first.name}`
        : kindLabels[first.kind];
  if (message.body) return label && first?.kind !== "file" ? `${label.split(" ")[0] ?? ""} ${message.body}` : message.body;
  return label;
}
