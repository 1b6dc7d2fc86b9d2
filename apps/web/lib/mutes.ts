import type { ParleyClient } from "@parley/client";

import type { RouterOutputs } from "./api-types";

type ParleyMutate = ParleyClient["api"]["notifications"]["mute"]["mutate"];

export type MuteView = RouterOutputs["notifications"]["mutes"][number];
export type MuteDuration = Parameters<ParleyMutate>[0]["duration"];

export const muteChoices: { duration: MuteDuration; label: string }[] = [
  { duration: "1h", label: "For 1 hour" },
  { duration: "8h", label: "For 8 hours" },
  { duration: "1w", label: "For a week" },
  { duration: "forever", label: "Until I unmute" },
];

/** Whether the mute still holds at `nowMs`; "until I unmute" has no end. */
export function muteHolds(mute: MuteView | undefined, nowMs: number): mute is MuteView {
  if (!mute) return false;
  return mute.mutedUntil === null || Date.parse(mute.mutedUntil) > nowMs;
}

/** "Muted until 14:30", "Muted until Tue 09:00", or "Muted" for a mute with no end. */
export function describeMute(mute: MuteView): string {
  if (mute.mutedUntil === null) return "Muted";
  const until = new Date(mute.mutedUntil);
  const sameDay = until.toDateString() === new Date().toDateString();
  const time = until.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return `Muted until ${sameDay ? time : `${until.toLocaleDateString([], { weekday: "short" })} ${time}`}`;
}
