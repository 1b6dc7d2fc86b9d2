/**
 * Finds the links in a message's text so that the bubble can render them as anchors. Only
 * http, https and mailto links are recognised; everything else stays plain text, and the text
 * is never parsed as HTML, so a message cannot inject markup or a `javascript:` URL.
 */
export type TextPart = { kind: "text"; text: string } | { kind: "link"; text: string; href: string };

// A scheme link, a bare www. host, or an e-mail address; trailing punctuation is trimmed below.
const linkPattern = /\b(?:https?:\/\/[^\s<>"]+|www\.[^\s<>"]+|mailto:[^\s<>"]+|[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}\b)/gi;

const trailingPunctuation = /[.,;:!?'"»”’]+$/;

/** Drops sentence punctuation after a link, and a closing bracket that has no opening one in it. */
function trimLink(candidate: string): string {
  let link = candidate.replace(trailingPunctuation, "");
  for (const [open, close] of [["(", ")"], ["[", "]"], ["{", "}"]] as const) {
    while (link.endsWith(close) && link.split(open).length <= link.split(close).length - 1) {
      link = link.slice(0, -1).replace(trailingPunctuation, "");
    }
  }
  return link;
}

/** The href a link's text stands for, or null when it is not a link Parley opens. */
export function hrefOf(linkText: string): string | null {
  const withScheme = /^www\./i.test(linkText)
    ? `https://${linkText}`
    : /^[^:/\s]+@/.test(linkText)
      ? `mailto:${linkText}`
      : linkText;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return null;
  }
  if (url.protocol === "mailto:") return url.pathname.includes("@") ? url.href : null;
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (!url.hostname.includes(".") && url.hostname !== "localhost") return null;
  return url.href;
}

export function splitLinks(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let plainStart = 0;
  for (const match of text.matchAll(linkPattern)) {
    const start = match.index;
    const linkText = trimLink(match[0]);
    const href = linkText ? hrefOf(linkText) : null;
    if (!href) continue;
    if (start > plainStart) parts.push({ kind: "text", text: text.slice(plainStart, start) });
    parts.push({ kind: "link", text: linkText, href });
    plainStart = start + linkText.length;
  }
  if (plainStart < text.length) parts.push({ kind: "text", text: text.slice(plainStart) });
  return parts;
}
