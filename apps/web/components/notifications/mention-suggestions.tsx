"use client";

import { useEffect, useMemo, useState, type KeyboardEvent, type RefObject } from "react";

import type { ConversationMemberView, ConversationSummary } from "../../lib/api-types";
import { nameOf } from "../../lib/people";
import { Avatar } from "../ui/avatar";

const maxSuggestions = 6;
/** The `@name` being typed just before the caret. */
const typedMention = /(?:^|[^A-Za-z0-9_.-])@([A-Za-z0-9_.-]*)$/;

export interface MentionSuggestionsState {
  suggestions: ConversationMemberView[];
  activeIndex: number;
  /** Arrow keys move, Enter or Tab picks, Escape closes; returns true when it took the key. */
  handleKeyDown: (event: KeyboardEvent<HTMLTextAreaElement>) => boolean;
  pick: (member: ConversationMemberView) => void;
}

/**
 * Suggests group members while an `@name` is being typed in the composer and completes the one
 * picked to `@username `, which is what the server notifies by.
 */
export function useMentionSuggestions(options: {
  inputRef: RefObject<HTMLTextAreaElement | null>;
  text: string;
  setText: (text: string) => void;
  conversation: ConversationSummary;
  meId: string;
}): MentionSuggestionsState {
  const { inputRef, text, setText, conversation, meId } = options;
  const [caret, setCaret] = useState(0);
  const [activeIndex, setActiveIndex] = useState(0);
  const [dismissedAt, setDismissedAt] = useState<number | null>(null);

  // Follows the caret. Never from the element's own "input" event: a state change there would
  // re-render the controlled text box before React's onChange has taken the new text.
  useEffect(() => {
    const input = inputRef.current;
    if (!input) return;
    const track = () => {
      if (document.activeElement === input) setCaret(input.selectionStart ?? input.value.length);
    };
    document.addEventListener("selectionchange", track);
    input.addEventListener("keyup", track);
    input.addEventListener("click", track);
    return () => {
      document.removeEventListener("selectionchange", track);
      input.removeEventListener("keyup", track);
      input.removeEventListener("click", track);
    };
  }, [inputRef]);

  const query = conversation.kind === "group" ? (typedMention.exec(text.slice(0, caret))?.[1] ?? null) : null;
  const suggestions = useMemo(() => {
    if (query === null || dismissedAt === caret) return [];
    const wanted = query.toLowerCase();
    return conversation.members
      .filter((member) => member.userId !== meId)
      .filter((member) => member.username.toLowerCase().startsWith(wanted) || member.displayName.toLowerCase().startsWith(wanted))
      .slice(0, maxSuggestions);
  }, [query, conversation.members, meId, dismissedAt, caret]);

  useEffect(() => setActiveIndex(0), [query]);

  const pick = (member: ConversationMemberView) => {
    if (query === null) return;
    const start = caret - query.length;
    const insert = `${member.username} `;
    const next = `${text.slice(0, start)}${insert}${text.slice(caret)}`;
    setText(next);
    const position = start + insert.length;
    setCaret(position);
    requestAnimationFrame(() => {
      inputRef.current?.focus();
      inputRef.current?.setSelectionRange(position, position);
    });
  };

  const handleKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>): boolean => {
    if (suggestions.length === 0) return false;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      setActiveIndex((index) => (index + step + suggestions.length) % suggestions.length);
      return true;
    }
    if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") {
      const member = suggestions[Math.min(activeIndex, suggestions.length - 1)];
      if (!member) return false;
      event.preventDefault();
      pick(member);
      return true;
    }
    if (event.key === "Escape") {
      event.preventDefault();
      setDismissedAt(caret);
      return true;
    }
    return false;
  };

  return { suggestions, activeIndex, handleKeyDown, pick };
}

/** The list above the composer while a mention is being typed. */
export function MentionSuggestions({ state }: { state: MentionSuggestionsState }) {
  if (state.suggestions.length === 0) return null;
  return (
    <ul
      role="listbox"
      aria-label="Mention someone"
      data-testid="mention-suggestions"
      className="mb-2 max-h-60 overflow-y-auto rounded-xl border border-zinc-200 bg-white p-1 shadow-lg dark:border-zinc-700 dark:bg-zinc-900"
    >
      {state.suggestions.map((member, index) => (
        <li
          key={member.userId}
          role="option"
          aria-selected={index === state.activeIndex}
          className={`flex cursor-pointer items-center gap-3 rounded-lg px-2 py-1.5 ${
            index === state.activeIndex ? "bg-sky-50 dark:bg-sky-950/50" : "hover:bg-zinc-50 dark:hover:bg-zinc-800"
          }`}
          // Keeps the focus in the text box.
          onPointerDown={(event) => event.preventDefault()}
          onClick={() => state.pick(member)}
        >
          <Avatar id={member.userId} name={nameOf(member)} size="sm" />
          <span className="min-w-0">
            <span className="block truncate text-sm font-medium">{nameOf(member)}</span>
            <span className="block truncate text-xs text-zinc-500 dark:text-zinc-400">@{member.username}</span>
          </span>
        </li>
      ))}
    </ul>
  );
}
