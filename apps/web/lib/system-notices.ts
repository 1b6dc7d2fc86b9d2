/** How the web app reads and words the `system` messages a conversation's timeline holds. */
import type { CallOutcome, SystemNotice } from "@parley/client";

import type { MessageView } from "./api-types";
import { describeDisappearing } from "./disappearing";

/** Every field any notice has, so that a parsed body can be checked field by field. */
type UnionFields<TUnion> = { [TKey in TUnion extends unknown ? keyof TUnion : never]: TUnion extends { [K in TKey]: infer TValue } ? TValue : never };
type CallNotice = Extract<SystemNotice, { type: "call" }>;

const callOutcomes = new Set<CallOutcome>(["completed", "missed", "declined", "busy", "failed"]);

/** A system message's notice, or null when its body is not one this app knows. */
export function systemNoticeOf(message: MessageView): SystemNotice | null {
  if (message.kind !== "system" || !message.body) return null;
  try {
    const notice = JSON.parse(message.body) as Partial<UnionFields<SystemNotice>>;
    if (typeof notice.actorId !== "string") return null;
    switch (notice.type) {
      case "disappearing":
        return { type: "disappearing", actorId: notice.actorId, disappearing: notice.disappearing ?? null };
      case "group_renamed":
        return typeof notice.title === "string" ? { type: "group_renamed", actorId: notice.actorId, title: notice.title } : null;
      case "members_added":
        return Array.isArray(notice.userIds) && notice.userIds.every((id) => typeof id === "string")
          ? { type: "members_added", actorId: notice.actorId, userIds: notice.userIds }
          : null;
      case "member_removed":
        return typeof notice.userId === "string" ? { type: "member_removed", actorId: notice.actorId, userId: notice.userId } : null;
      case "member_left":
        return { type: "member_left", actorId: notice.actorId };
      case "role_changed":
        return typeof notice.userId === "string" && (notice.role === "owner" || notice.role === "admin" || notice.role === "member")
          ? { type: "role_changed", actorId: notice.actorId, userId: notice.userId, role: notice.role }
          : null;
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
  /** How it names anyone else the notice is about: "you" for the viewer, else their name. */
  nameOf: (userId: string) => string;
  /** Whether the viewer is the actor (a call they made reads "Outgoing", one they missed "Missed"). */
  actorIsViewer?: boolean;
}

/** "Ada", "Ada and Grace", "Ada, Grace and Alan". */
function listOfNames(names: string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
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
    case "group_renamed":
      return `${wording.actor} renamed the group to “${notice.title}”`;
    case "members_added":
      return `${wording.actor} added ${listOfNames(notice.userIds.map(wording.nameOf))}`;
    case "member_removed":
      return `${wording.actor} removed ${wording.nameOf(notice.userId)}`;
    case "member_left":
      return `${wording.actor} left the group`;
    case "role_changed":
      if (notice.role === "owner") {
        const owner = wording.nameOf(notice.userId);
        return owner === "you" ? "You now own the group" : `${owner} now owns the group`;
      }
      if (notice.role === "admin") return `${wording.actor} made ${wording.nameOf(notice.userId)} an admin`;
      return `${wording.actor} removed ${wording.nameOf(notice.userId)} as admin`;
    case "call":
      return describeCall(notice, wording.actorIsViewer ?? wording.actor === "You");
  }
}

/** The notice as a chat row's preview: shorter, without the actor. */
export function previewSystemNotice(notice: SystemNotice): string {
  switch (notice.type) {
    case "disappearing":
      return notice.disappearing ? `Disappearing messages: ${describeDisappearing(notice.disappearing)}` : "Disappearing messages off";
    case "group_renamed":
      return `Renamed to “${notice.title}”`;
    case "members_added":
      return notice.userIds.length === 1 ? "New member added" : `${notice.userIds.length} members added`;
    case "member_removed":
      return "A member was removed";
    case "member_left":
      return "A member left";
    case "role_changed":
      return notice.role === "owner" ? "The group has a new owner" : "A member's role changed";
    case "call":
      return describeCall(notice, false).replace(/^Incoming /, "").replace(/^./, (first) => first.toUpperCase());
  }
}
