"use client";

import { messageBodyMaxCharacters } from "@parley/db/limits";
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";

import type { ConversationSummary, MessageView } from "../../lib/api-types";
import { useChatStore, useMe } from "../../lib/chat-context";
import { conversationTitle, nameOf } from "../../lib/people";
import { IconButton } from "../ui/button";
import { CheckIcon, CloseIcon, EditIcon, ReplyIcon, SendIcon, SmileIcon } from "../ui/icons";
import { EmojiPanel } from "./emoji-panel";

export function Composer({
  conversation,
  replyTo,
  editing,
  onCancelReply,
  onCancelEdit,
  onEdit,
}: {
  conversation: ConversationSummary;
  replyTo: MessageView | null;
  editing: MessageView | null;
  onCancelReply: () => void;
  onCancelEdit: () => void;
  onEdit: (message: MessageView) => void;
}) {
  const store = useChatStore();
  const me = useMe();
  const [text, setText] = useState("");
  const [draftBeforeEdit, setDraftBeforeEdit] = useState("");
  const [choosingEmoji, setChoosingEmoji] = useState(false);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const emojiAreaRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!choosingEmoji) return;
    const onPointerDown = (event: PointerEvent) => {
      if (!emojiAreaRef.current?.contains(event.target as Node)) setChoosingEmoji(false);
    };
    document.addEventListener("pointerdown", onPointerDown);
    return () => document.removeEventListener("pointerdown", onPointerDown);
  }, [choosingEmoji]);

  /** Puts the emoji where the caret is, replacing any selection, and keeps typing there. */
  function insertEmoji(emoji: string) {
    const input = inputRef.current;
    const start = input?.selectionStart ?? text.length;
    const end = input?.selectionEnd ?? text.length;
    const next = `${text.slice(0, start)}${emoji}${text.slice(end)}`;
    setText(next);
    if (!editing) store.announceTyping(conversation.id);
    requestAnimationFrame(() => {
      const caret = start + emoji.length;
      input?.setSelectionRange(caret, caret);
    });
  }

  // Editing puts the message in the box; leaving the edit brings the draft back.
  const [shownEditId, setShownEditId] = useState<string | null>(null);
  if ((editing?.id ?? null) !== shownEditId) {
    setShownEditId(editing?.id ?? null);
    if (editing) {
      setDraftBeforeEdit(shownEditId === null ? text : draftBeforeEdit);
      setText(editing.body ?? "");
    }
  }
  useEffect(() => {
    if (shownEditId) inputRef.current?.focus();
  }, [shownEditId]);

  useEffect(() => {
    if (replyTo) inputRef.current?.focus();
  }, [replyTo]);

  const trimmed = text.trim();
  const tooLong = Array.from(trimmed).length > messageBodyMaxCharacters;

  function cancelEdit() {
    setText(draftBeforeEdit);
    onCancelEdit();
  }

  async function submit(event?: FormEvent) {
    event?.preventDefault();
    if (!trimmed || tooLong) return;
    if (editing) {
      if (trimmed !== editing.body) {
        const saved = await store.editMessage(editing.id, trimmed);
        if (!saved) return;
      }
      setText(draftBeforeEdit);
      onCancelEdit();
      return;
    }
    store.sendMessage({ conversationId: conversation.id, body: trimmed, replyToId: replyTo?.id ?? null });
    setText("");
    onCancelReply();
    inputRef.current?.focus();
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void submit();
    } else if (event.key === "Escape") {
      if (editing) cancelEdit();
      else if (replyTo) onCancelReply();
    } else if (event.key === "ArrowUp" && !text && !editing) {
      // As in most messengers: ↑ in an empty box edits your last message.
      const timeline = store.getState().timelines[conversation.id];
      const lastOwn = timeline?.messages.findLast((message) => message.senderId === me.id && !message.deletedAt);
      if (lastOwn) {
        event.preventDefault();
        onEdit(lastOwn);
      }
    }
  }

  const replySender = replyTo ? (replyTo.senderId === me.id ? "You" : nameOf(conversation.members.find((member) => member.userId === replyTo.senderId))) : "";

  return (
    <form
      onSubmit={submit}
      aria-label="Send a message"
      className="shrink-0 border-t border-zinc-200 bg-white px-2 pt-2 pb-[max(0.5rem,env(safe-area-inset-bottom))] md:px-4 dark:border-zinc-800 dark:bg-zinc-950"
    >
      <div className="mx-auto max-w-3xl">
        {(replyTo || editing) && (
          <div className="mb-2 flex items-center gap-3 rounded-lg bg-zinc-50 px-3 py-2 dark:bg-zinc-900">
            <span className="text-sky-600">{editing ? <EditIcon size={18} /> : <ReplyIcon size={18} />}</span>
            <div className="min-w-0 flex-1 border-l-2 border-sky-500 pl-2 text-sm">
              <p className="font-semibold text-sky-700 dark:text-sky-300">{editing ? "Edit message" : `Reply to ${replySender}`}</p>
              <p className="truncate text-zinc-600 dark:text-zinc-400">{(editing ?? replyTo)?.body}</p>
            </div>
            <IconButton label={editing ? "Cancel editing" : "Cancel reply"} onClick={editing ? cancelEdit : onCancelReply} className="size-8">
              <CloseIcon size={16} />
            </IconButton>
          </div>
        )}
        <div className="flex items-end gap-2">
          <div ref={emojiAreaRef} className="relative shrink-0">
            <IconButton
              label="Emoji"
              aria-expanded={choosingEmoji}
              onClick={() => setChoosingEmoji((open) => !open)}
              className="size-11"
            >
              <SmileIcon size={22} />
            </IconButton>
            {choosingEmoji && (
              <div
                role="dialog"
                aria-label="Emoji"
                onKeyDown={(event) => {
                  if (event.key === "Escape") {
                    event.stopPropagation();
                    setChoosingEmoji(false);
                    inputRef.current?.focus();
                  }
                }}
                className="absolute bottom-full left-0 z-30 mb-2 w-[min(22rem,calc(100vw-1rem))] overflow-hidden rounded-2xl bg-white shadow-xl ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-700"
              >
                <EmojiPanel onPick={insertEmoji} />
              </div>
            )}
          </div>
          <label className="min-w-0 flex-1">
            <span className="sr-only">Message {conversationTitle(conversation, me.id)}</span>
            <textarea
              ref={inputRef}
              rows={1}
              value={text}
              placeholder="Message"
              onChange={(event) => {
                setText(event.target.value);
                if (event.target.value.trim() && !editing) store.announceTyping(conversation.id);
              }}
              onKeyDown={onKeyDown}
              aria-invalid={tooLong || undefined}
              className="block max-h-40 min-h-11 w-full resize-none rounded-2xl border border-zinc-200 bg-zinc-50 px-4 py-2.5 text-base leading-6 outline-none [field-sizing:content] placeholder:text-zinc-400 focus:border-sky-500 focus:bg-white focus:ring-2 focus:ring-sky-500/20 dark:border-zinc-700 dark:bg-zinc-900 dark:focus:bg-zinc-900"
            />
          </label>
          <button
            type="submit"
            aria-label={editing ? "Save edit" : "Send message"}
            title={editing ? "Save edit" : "Send message"}
            disabled={!trimmed || tooLong}
            className="flex size-11 shrink-0 items-center justify-center rounded-full bg-sky-600 text-white transition-colors hover:bg-sky-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-500 disabled:bg-zinc-200 disabled:text-zinc-400 dark:disabled:bg-zinc-800"
          >
            {editing ? <CheckIcon /> : <SendIcon />}
          </button>
        </div>
        {tooLong && (
          <p className="mt-1 text-sm text-rose-600" role="alert">
            A message can be at most {messageBodyMaxCharacters.toLocaleString()} characters.
          </p>
        )}
      </div>
    </form>
  );
}
