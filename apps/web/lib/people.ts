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
  { background: "bg-rose-500", text: "text-rose-600" },
  { background: "bg-orange-500", text: "text-orange-600" },
  { background: "bg-amber-500", text: "text-amber-600" },
  { background: "bg-emerald-500", text: "text-emerald-600" },
  { background: "bg-teal-500", text: "text-teal-600" },
  { background: "bg-sky-500", text: "text-sky-600" },
  { background: "bg-indigo-500", text: "text-indigo-600" },
  { background: "bg-violet-500", text: "text-violet-600" },
  { background: "bg-fuchsia-500", text: "text-fuchsia-600" },
] as const;

function paletteOf(id: string): (typeof palette)[number] {
  let hash = 0;
  for (const character of id) hash = (hash * 31 + (character.codePointAt(0) ?? 0)) >>> 0;
  return palette[hash % palette.length] ?? palette[0];
}

/** A stable colour per id, so a person looks the same everywhere. */
export function avatarColorOf(id: string): string {
  return paletteOf(id).background;
}

/** The text colour matching `avatarColorOf`, for sender names in groups. */
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
