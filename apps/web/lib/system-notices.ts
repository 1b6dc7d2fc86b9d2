/** How the web app reads and words the `system` messages a conversation's timeline holds. */
import type { CallOutcome, SystemNotice } from "@parley/client";

import type { MessageView } from "./api-types";
import { describeDisappearing } from "./disappearing";

type DisappearingNotice = Extract<SystemNotice, { type: "disappearing" }>;
type CallNotice = Extract<SystemNotice, { type: "call" }>;

const callOutcomes = new Set<CallOutcome>(["completed", "missed", "declined", "busy", "failed"]);

/** A system message's notice, or null when its body is not one this app knows. */
export function systemNoticeOf(message: MessageView): SystemNotice | null {
  if (message.kind !== "system" || !message.body) return null;
  try {
    const notice = JSON.parse(message.body) as { type?: string } & Partial<Omit<DisappearingNotice, "type"> & Omit<CallNotice, "type">>;
    if (typeof notice.actorId !== "string") return null;
    switch (notice.type) {
      case "disappearing":
        return { type: "disappearing", actorId: notice.actorId, disappearing: notice.disappearing ?? null };
      case "call":
        if (typeof notice.callId !== "string" || (notice.media !== "audio" && notice.media !== "video") || !callOutcomes.has(notice.outcome as CallOutcome)) {
          return null;
        }
        return {
          type: "call",
          actorId: notice.actorId,
          callId: notice.callId,
          media: notice.media,
          outcome: notice.outcome as CallOutcome,
          durationSeconds: typeof notice.durationSeconds === "number" ? notice.durationSeconds : null,
        };
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
  /** Whether the viewer is the actor (a call they made reads "Outgoing", one they missed "Missed"). */
  actorIsViewer?: boolean;
}

/** "42 s", "3 min 05 s", "1 h 02 min". */
export function describeCallDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

function describeCall(notice: CallNotice, outgoing: boolean): string {
  const kind = notice.media === "video" ? "video call" : "call";
  switch (notice.outcome) {
    case "completed":
      return `${outgoing ? "Outgoing" : "Incoming"} ${kind}${notice.durationSeconds === null ? "" : ` (${describeCallDuration(notice.durationSeconds)})`}`;
    case "missed":
      return outgoing ? `Cancelled ${kind}` : `Missed ${kind}`;
    case "declined":
      return outgoing ? `Declined ${kind}` : `You declined a ${kind}`;
    case "busy":
      return outgoing ? `Busy: ${kind} not answered` : `Missed ${kind} (you were in another call)`;
    case "failed":
      return `Failed ${kind}`;
  }
}

/** The notice as one line of the timeline: "You set disappearing messages to 1 hour after sending". */
export function describeSystemNotice(notice: SystemNotice, wording: NoticeWording): string {
  switch (notice.type) {
    case "disappearing":
      return notice.disappearing
        ? `${wording.actor} set disappearing messages to ${describeDisappearing(notice.disappearing)}`
        : `${wording.actor} turned off disappearing messages`;
    case "call":
      return describeCall(notice, wording.actorIsViewer ?? wording.actor === "You");
  }
}

/** The notice as a chat row's preview: shorter, without the actor. */
export function previewSystemNotice(notice: SystemNotice): string {
  switch (notice.type) {
    case "disappearing":
      return notice.disappearing ? `Disappearing messages: ${describeDisappearing(notice.disappearing)}` : "Disappearing messages off";
    case "call":
      return describeCall(notice, false).replace(/^Incoming /, "").replace(/^./, (first) => first.toUpperCase());
  }
}
