import type { ConversationSummary } from "../../lib/api-types";
import { nameOf } from "../../lib/people";

/** "Ada is typing…", "Ada and Bo are typing…", or null when nobody is. */
export function typingText(
  conversation: ConversationSummary,
  typers: Record<string, number> | undefined,
  meId: string,
): string | null {
  const ids = Object.keys(typers ?? {}).filter((id) => id !== meId);
  if (ids.length === 0) return null;
  const names = ids.map((id) => nameOf(conversation.members.find((member) => member.userId === id)));
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}
