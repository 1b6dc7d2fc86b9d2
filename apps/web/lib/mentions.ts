import { usernameMaxCharacters, usernameMinCharacters } from "@parley/db/limits";

export type TextPart = { text: string; mention: false } | { text: string; mention: true; username: string; self: boolean };

/** The same rule the server pushes by: `@name` after the start or a character no username has. */
const mention = new RegExp(`(^|[^A-Za-z0-9_.-])@([A-Za-z0-9_.-]{${usernameMinCharacters},${usernameMaxCharacters}})`, "g");

/**
 * Splits a message into plain text and `@username` mentions of people in `usernames` (lower
 * case); "@alice." mentions alice. Names of no member stay plain text.
 */
export function splitMentions(body: string, usernames: ReadonlySet<string>, myUsername: string): TextPart[] {
  const parts: TextPart[] = [];
  let position = 0;
  for (const match of body.matchAll(mention)) {
    const lead = match[1] ?? "";
    let name = match[2] ?? "";
    if (!usernames.has(name.toLowerCase())) name = name.replace(/[.-]+$/, "");
    if (!usernames.has(name.toLowerCase())) continue;
    const start = (match.index ?? 0) + lead.length;
    if (start > position) parts.push({ text: body.slice(position, start), mention: false });
    parts.push({ text: `@${name}`, mention: true, username: name, self: name.toLowerCase() === myUsername.toLowerCase() });
    position = start + name.length + 1;
  }
  if (position < body.length) parts.push({ text: body.slice(position), mention: false });
  return parts;
}

/** Whether `body` mentions the user. */
export function mentionsUser(body: string, username: string): boolean {
  return splitMentions(body, new Set([username.toLowerCase()]), username).some((part) => part.mention);
}
