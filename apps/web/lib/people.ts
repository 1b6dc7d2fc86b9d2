import type { ConversationMemberView, ConversationSummary, PublicUser } from "./api-types";

type Person = Pick<PublicUser, "displayName" | "username">;

/** Up to two letters for an avatar: "Ada Lovelace" → "AL", "grace" → "G". */
export function initialsOf(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words.at(-1)] : [words[0]];
  return letters
    .map((word) => Array.from(word ?? "")[0] ?? "")
    .join("")
    .toUpperCase();
}

const palette = [
  { background: "bg-rose-700", text: "text-rose-700 dark:text-rose-300" },
  { background: "bg-orange-700", text: "text-orange-700 dark:text-orange-300" },
  { background: "bg-amber-700", text: "text-amber-700 dark:text-amber-300" },
  { background: "bg-emerald-700", text: "text-emerald-700 dark:text-emerald-300" },
  { background: "bg-teal-700", text: "text-teal-700 dark:text-teal-300" },
  { background: "bg-sky-700", text: "text-sky-700 dark:text-sky-300" },
  { background: "bg-indigo-700", text: "text-indigo-700 dark:text-indigo-300" },
  { background: "bg-violet-700", text: "text-violet-700 dark:text-violet-300" },
  { background: "bg-fuchsia-700", text: "text-fuchsia-700 dark:text-fuchsia-300" },
] as const;

function paletteOf(id: string): (typeof palette)[number] {
  let hash = 0;
  for (const character of id) hash = (hash * 31 + (character.codePointAt(0) ?? 0)) >>> 0;
  return palette[hash % palette.length] ?? palette[0];
}

/** A stable colour per id, so a person looks the same everywhere; white initials on it pass WCAG AA (4.5:1). */
export function avatarColorOf(id: string): string {
  return paletteOf(id).background;
}

/** The text colour matching `avatarColorOf`, for sender names in groups, readable on light and dark bubbles. */
export function nameColorOf(id: string): string {
  return paletteOf(id).text;
}

export function nameOf(person: Person | undefined | null): string {
  return person?.displayName || person?.username || "Unknown";
}

/** The other person in a direct conversation. */
export function directPeerOf(conversation: ConversationSummary, meId: string): ConversationMemberView | undefined {
  return conversation.kind === "direct" ? conversation.members.find((member) => member.userId !== meId) : undefined;
}

/** What the conversation is called: a group's title, or the other person's name. */
export function conversationTitle(conversation: ConversationSummary, meId: string): string {
  if (conversation.kind === "group") return conversation.title ?? "Untitled group";
  return nameOf(directPeerOf(conversation, meId));
}
