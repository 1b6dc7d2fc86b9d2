/** How the web app names disappearing-message timers and counts them down. */
import type { DisappearingSetting } from "@parley/client";

const timerNames: Record<number, string> = {
  30: "30 seconds",
  300: "5 minutes",
  3_600: "1 hour",
  86_400: "1 day",
  604_800: "1 week",
};

export function timerName(seconds: number): string {
  return timerNames[seconds] ?? `${seconds} seconds`;
}

/** "30s", "5m", "1h", "1d", "1w": the timer on the conversation's header. */
export function shortTimerName(seconds: number): string {
  if (seconds % 604_800 === 0) return `${seconds / 604_800}w`;
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** "Disappear 5 minutes after sending", "… after reading". */
export function describeDisappearing(setting: DisappearingSetting | null): string {
  if (!setting) return "Off";
  return `${timerName(setting.seconds)} after ${setting.startsAt === "read" ? "reading" : "sending"}`;
}

/** The short time left on a bubble's badge: "28s", "4m", "1h", "6d". */
export function remainingLabel(expiresAt: string, nowMs: number): string {
  const seconds = Math.max(0, Math.ceil((Date.parse(expiresAt) - nowMs) / 1_000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3_600) return `${Math.ceil(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.ceil(seconds / 3_600)}h`;
  return `${Math.ceil(seconds / 86_400)}d`;
}
