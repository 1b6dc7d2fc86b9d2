"use client";

import { useMemo } from "react";

import { useChatState, useMe } from "../../lib/chat-context";
import { splitMentions } from "../../lib/mentions";

/** A message's text with the group's @mentions highlighted (the reader's own most strongly). */
export function MessageText({ body, conversationId, own }: { body: string; conversationId: string; own: boolean }) {
  const me = useMe();
  const members = useChatState((state) => state.conversations[conversationId]?.members);
  const kind = useChatState((state) => state.conversations[conversationId]?.kind);
  const parts = useMemo(() => {
    if (kind !== "group" || !members || !body.includes("@")) return null;
    return splitMentions(body, new Set(members.map((member) => member.username.toLowerCase())), me.username);
  }, [body, kind, members, me.username]);
  if (!parts) return <>{body}</>;
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
          <span key={index}>{part.text}</span>
        ),
      )}
    </>
  );
}
