/**
 * Finds the runs of emoji in a text, so that they can be drawn with a colour emoji font: a text
 * font met first in the stack (DejaVu Sans on many Linux desktops) draws some emoji, such as 😂
 * and 😮, in black and white. Only what shows as emoji by default, or is asked to with U+FE0F,
 * counts: ©, ® and digits stay text.
 */
export type EmojiPart = { emoji: boolean; text: string };

const emojiUnit = String.raw`(?:\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F)(?:[\u{1F3FB}-\u{1F3FF}]|\uFE0F|\u20E3|[\u{E0020}-\u{E007F}]|\u200D(?:\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F?))*`;
const emojiRun = new RegExp(`(?:${emojiUnit})+`, "gu");

export function splitEmoji(text: string): EmojiPart[] {
  const parts: EmojiPart[] = [];
  let last = 0;
  for (const match of text.matchAll(emojiRun)) {
    if (match.index > last) parts.push({ emoji: false, text: text.slice(last, match.index) });
    parts.push({ emoji: true, text: match[0] });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push({ emoji: false, text: text.slice(last) });
  return parts;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** A message of one to three emoji and nothing else, which messengers show large. */
export function isJumboEmoji(text: string): boolean {
  const parts = splitEmoji(text.trim());
  if (parts.length !== 1 || !parts[0]?.emoji) return false;
  let count = 0;
  for (const _ of graphemes.segment(parts[0].text)) count += 1;
  return count <= 3;
}
