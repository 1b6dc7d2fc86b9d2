/** How the web app reads and words the `system` messages a conversation's timeline holds. */
import type { SystemNotice } from "@parley/client";

import type { MessageView } from "./api-types";
import { describeDisappearing } from "./disappearing";

/** A system message's notice, or null when its body is not one this app knows. */
export function systemNoticeOf(message: MessageView): SystemNotice | null {
  if (message.kind !== "system" || !message.body) return null;
  try {
    const notice = JSON.parse(message.body) as Partial<SystemNotice>;
    if (typeof notice.actorId !== "string") return null;
    switch (notice.type) {
      case "disappearing":
        return { type: "disappearing", actorId: notice.actorId, disappearing: notice.disappearing ?? null };
      default:
        return null;
    }
  } catch {
    return null;
  }
}

export interface NoticeWording {
  /** How the timeline names the actor: "You", their display name, or "Someone". */
  actor: string;
}

/** The notice as one line of the timeline: "You set disappearing messages to 1 hour after sending". */
export function describeSystemNotice(notice: SystemNotice, wording: NoticeWording): string {
  switch (notice.type) {
    case "disappearing":
      return notice.disappearing
        ? `${wording.actor} set disappearing messages to ${describeDisappearing(notice.disappearing)}`
        : `${wording.actor} turned off disappearing messages`;
  }
}

/** The notice as a chat row's preview: shorter, without the actor. */
export function previewSystemNotice(notice: SystemNotice): string {
  switch (notice.type) {
    case "disappearing":
      return notice.disappearing ? `Disappearing messages: ${describeDisappearing(notice.disappearing)}` : "Disappearing messages off";
  }
}
