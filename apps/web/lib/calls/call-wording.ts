/** How the call screens word a call's state: why it ended, how long it has run, how the line is. */
import type { CallEnding } from "./call-controller";
import type { ConnectionQuality } from "./connection-quality";

/** "0:42", "12:05", "1:02:09". */
export function formatCallDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(seconds / 3_600);
  const minutes = Math.floor((seconds % 3_600) / 60);
  const rest = String(seconds % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

/** Why the call ended, from this device's side: "Bo declined", "No answer". */
export function describeEnding(ending: CallEnding, context: { outgoing: boolean; otherName: string; wasConnected: boolean }): string {
  if (ending.kind === "problem") return ending.message;
  if (ending.kind === "connection-lost") return "The connection was lost";
  switch (ending.reason) {
    case "hangup":
      return "Call ended";
    case "declined":
      return context.outgoing ? `${context.otherName} declined the call` : "Call declined";
    case "busy":
      return context.outgoing ? `${context.otherName} is on another call` : "Call ended";
    case "timeout":
      return context.outgoing ? "No answer" : "Missed call";
    case "failed":
      return context.wasConnected ? "The call dropped" : "The call couldn’t connect";
    case "answered_elsewhere":
      return "Answered on another device";
    default:
      return "Call ended";
  }
}

export const qualityLabels: Record<ConnectionQuality, string> = {
  unknown: "Checking connection",
  good: "Good connection",
  fair: "Fair connection",
  poor: "Poor connection",
};
