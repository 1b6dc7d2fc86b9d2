/** How the web app reads and words the `system` messages a conversation's timeline holds. */
import type { SystemNotice } from "@parley/client";

import type { MessageView } from "./api-types";
import { describeDisappearing } from "./disappearing";

/** Every field any notice has, so that a parsed body can be checked field by field. */
type UnionFields<TUnion> = { [TKey in TUnion extends unknown ? keyof TUnion : never]: TUnion extends { [K in TKey]: infer TValue } ? TValue : never };

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
}

/** "Ada", "Ada and Grace", "Ada, Grace and Alan". */
function listOfNames(names: string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
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
  }
}
