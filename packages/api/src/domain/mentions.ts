import { usernameMaxCharacters, usernameMinCharacters } from "@parley/db/limits";

/** `@name` after the start or a character that cannot be part of a username. */
const mention = new RegExp(`(?:^|[^A-Za-z0-9_.-])@([A-Za-z0-9_.-]{${usernameMinCharacters},${usernameMaxCharacters}})`, "g");

/**
 * The usernames a message names with `@username`, lower-cased (usernames are unique regardless
 * of case). A name followed by sentence punctuation ("@alice.") counts without it too.
 */
export function mentionedUsernames(body: string): Set<string> {
  const names = new Set<string>();
  for (const match of body.matchAll(mention)) {
    const name = (match[1] ?? "").toLowerCase();
    names.add(name);
    const trimmed = name.replace(/[.-]+$/, "");
    if (trimmed.length >= usernameMinCharacters) names.add(trimmed);
  }
  return names;
}
