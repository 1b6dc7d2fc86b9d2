"use client";

import { Fragment, useMemo } from "react";

import { useChatState, useMe } from "../../lib/chat-context";
import { splitEmoji } from "../../lib/emoji-runs";
import { splitLinks } from "../../lib/links";
import { splitMentions } from "../../lib/mentions";

/** Plain text with its http, https and mailto links clickable; never parsed as HTML. */
function LinkedText({ text, own }: { text: string; own: boolean }) {
  return splitLinks(text).map((part, index) =>
    part.kind === "link" ? (
      <a
        key={index}
        href={part.href}
        target="_blank"
        rel="noopener noreferrer"
        className={`underline underline-offset-2 ${own ? "text-white decoration-white/60" : "text-sky-700 decoration-sky-700/40 dark:text-sky-300"}`}
      >
        {part.text}
      </a>
    ) : (
      <EmojiText key={index} text={part.text} />
    ),
  );
}

/** Text with its emoji drawn in a colour emoji font. */
function EmojiText({ text }: { text: string }) {
  return splitEmoji(text).map((part, index) =>
    part.emoji ? (
      <span key={index} className="font-emoji">
        {part.text}
      </span>
    ) : (
      <Fragment key={index}>{part.text}</Fragment>
    ),
  );
}

/** A message's text: links clickable, and in groups the @mentions highlighted (the reader's own most strongly). */
export function MessageText({ body, conversationId, own }: { body: string; conversationId: string; own: boolean }) {
  const me = useMe();
  const members = useChatState((state) => state.conversations[conversationId]?.members);
  const kind = useChatState((state) => state.conversations[conversationId]?.kind);
  const parts = useMemo(() => {
    if (kind !== "group" || !members || !body.includes("@")) return null;
    return splitMentions(body, new Set(members.map((member) => member.username.toLowerCase())), me.username);
  }, [body, kind, members, me.username]);
  if (!parts) return <LinkedText text={body} own={own} />;
  return (
    <>
      {parts.map((part, index) =>
        part.mention ? (
          <span
            key={index}
            data-testid="mention"
            data-self={part.self}
            className={`rounded px-0.5 font-medium ${
              own
                ? "bg-white/20 text-white"
                : part.self
                  ? "bg-amber-100 text-amber-900 dark:bg-amber-400/20 dark:text-amber-200"
                  : "text-sky-700 dark:text-sky-300"
            }`}
          >
            {part.text}
          </span>
        ) : (
          <LinkedText key={index} text={part.text} own={own} />
        ),
      )}
    </>
  );
}
