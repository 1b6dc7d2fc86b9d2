"use client";

import { attachmentsPerMessageMax, messageBodyMaxCharacters } from "@parley/db/limits";
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";

import type { ConversationSummary, MessageView } from "../../lib/api-types";
import { useChatState, useChatStore, useMe } from "../../lib/chat-context";
import { messagePreview } from "../../lib/message-preview";
import { conversationTitle, nameOf } from "../../lib/people";
import { MentionSuggestions, useMentionSuggestions } from "../notifications/mention-suggestions";
import { IconButton } from "../ui/button";
import { CheckIcon, CloseIcon, EditIcon, MicIcon, PaperclipIcon, ReplyIcon, SendIcon, SmileIcon } from "../ui/icons";
import { AttachmentTray } from "./attachment-tray";
import { EmojiPanel } from "./emoji-panel";
import { StickerPanel } from "./sticker-panel";
import { VoiceRecorder, type Recording } from "./voice-recorder";

/** A draft is kept this long after the last keystroke (and at once when the chat is left). */
const draftSaveDelayMs = 400;

function hasFiles(event: DragEvent): boolean {
  return Array.from(event.dataTransfer?.types ?? []).includes("Files");
}

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
  // What was written here and not sent comes back when the chat is opened again.
  const [text, setText] = useState(() => store.getState().drafts[conversation.id] ?? "");
  const [draftBeforeEdit, setDraftBeforeEdit] = useState("");
  const [choosingEmoji, setChoosingEmoji] = useState(false);
  const [panel, setPanel] = useState<"emoji" | "stickers">("emoji");
  const [trayIds, setTrayIds] = useState<string[]>([]);
  const [trayProblem, setTrayProblem] = useState<string | null>(null);
  const [recordingVoice, setRecordingVoice] = useState(false);
  const [draggingFiles, setDraggingFiles] = useState(false);
  const uploads = useChatState((state) => state.uploads);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const fileInputRef = useRef<HTMLInputElement>(null);
  const emojiAreaRef = useRef<HTMLDivElement>(null);
  const trayRef = useRef<string[]>([]);
  useEffect(() => {
    trayRef.current = trayIds;
  });

  // Files attached here but never sent stop uploading when the chat is left.
  useEffect(() => () => trayRef.current.forEach((id) => store.cancelUpload(id)), [store]);

  function addFiles(files: Iterable<File>) {
    if (editing) return;
    const room = attachmentsPerMessageMax - trayRef.current.length;
    const picked = Array.from(files);
    setTrayProblem(picked.length > room ? `A message can carry at most ${attachmentsPerMessageMax} files; the rest were left out.` : null);
    const ids = picked
      .slice(0, Math.max(0, room))
      .map((file) => store.startUpload({ conversationId: conversation.id, file, name: file.name || "file" }));
    if (ids.length > 0) setTrayIds((current) => [...current, ...ids]);
    inputRef.current?.focus();
  }

  function removeFromTray(uploadId: string) {
    store.cancelUpload(uploadId);
    setTrayIds((current) => current.filter((id) => id !== uploadId));
    setTrayProblem(null);
  }

  // Files dropped anywhere on the page go into the message being written.
  useEffect(() => {
    let depth = 0;
    const onDragEnter = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      depth++;
      setDraggingFiles(true);
    };
    const onDragLeave = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDraggingFiles(false);
    };
    const onDragOver = (event: DragEvent) => {
      if (hasFiles(event)) event.preventDefault();
    };
    const onDrop = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth = 0;
      setDraggingFiles(false);
      if (event.dataTransfer) addFilesRef.current(event.dataTransfer.files);
    };
    document.addEventListener("dragenter", onDragEnter);
    document.addEventListener("dragleave", onDragLeave);
    document.addEventListener("dragover", onDragOver);
    document.addEventListener("drop", onDrop);
    return () => {
      document.removeEventListener("dragenter", onDragEnter);
      document.removeEventListener("dragleave", onDragLeave);
      document.removeEventListener("dragover", onDragOver);
      document.removeEventListener("drop", onDrop);
    };
  }, []);
  const addFilesRef = useRef(addFiles);
  useEffect(() => {
    addFilesRef.current = addFiles;
  });

  function sendRecording(recording: Recording) {
    setRecordingVoice(false);
    const uploadId = store.startUpload({
      conversationId: conversation.id,
      file: recording.file,
      name: recording.name,
      metadata: { durationMs: recording.durationMs, ...(recording.waveform.length > 0 ? { waveform: recording.waveform } : {}) },
    });
    store.sendMessage({ conversationId: conversation.id, body: "", replyToId: replyTo?.id ?? null, uploadIds: [uploadId] });
    onCancelReply();
  }

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

  // The draft is kept a moment after typing stops, when the chat is left, and when the page goes.
  const draft = shownEditId ? draftBeforeEdit : text;
  const draftRef = useRef(draft);
  useEffect(() => {
    draftRef.current = draft;
    const timer = setTimeout(() => store.setDraft(conversation.id, draft), draftSaveDelayMs);
    return () => clearTimeout(timer);
  }, [store, conversation.id, draft]);
  useEffect(() => {
    const flush = () => store.setDraft(conversation.id, draftRef.current);
    window.addEventListener("pagehide", flush);
    return () => {
      window.removeEventListener("pagehide", flush);
      flush();
    };
  }, [store, conversation.id]);

  useEffect(() => {
    if (replyTo) inputRef.current?.focus();
  }, [replyTo]);

  // Opening a chat puts the cursor here, except on touch screens, where it would pop up the keyboard.
  useEffect(() => {
    if (window.matchMedia("(pointer: fine)").matches) inputRef.current?.focus({ preventScroll: true });
  }, []);
  const mentions = useMentionSuggestions({ inputRef, text, setText, conversation, meId: me.id });

  const trimmed = text.trim();
  const tooLong = Array.from(trimmed).length > messageBodyMaxCharacters;
  const trayFailed = trayIds.some((id) => uploads[id]?.status === "failed");
  const canSend = (Boolean(trimmed) || (trayIds.length > 0 && !editing)) && !tooLong && !trayFailed;

  function cancelEdit() {
    setText(draftBeforeEdit);
    onCancelEdit();
  }

  async function submit(event?: FormEvent) {
    event?.preventDefault();
    if (!canSend) return;
    if (editing) {
      if (trimmed !== editing.body) {
        const saved = await store.editMessage(editing.id, trimmed);
        if (!saved) return;
      }
      setText(draftBeforeEdit);
      onCancelEdit();
      return;
    }
    // The message waits in the outbox until its files are uploaded; the tray is handed over to it.
    store.sendMessage({ conversationId: conversation.id, body: trimmed, replyToId: replyTo?.id ?? null, uploadIds: trayIds });
    store.setDraft(conversation.id, "");
    draftRef.current = "";
    setTrayIds([]);
    setTrayProblem(null);
    setChoosingEmoji(false);
    setText("");
    onCancelReply();
    inputRef.current?.focus();
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (mentions.handleKeyDown(event)) return;
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
      className="relative shrink-0 border-t border-zinc-200 bg-white px-2 pt-2 pb-[max(0.5rem,env(safe-area-inset-bottom))] md:px-4 dark:border-zinc-800 dark:bg-zinc-950"
    >
      {draggingFiles && !editing && (
        <div
          data-testid="drop-overlay"
          className="pointer-events-none fixed inset-0 z-40 flex items-center justify-center bg-sky-600/15 p-6 backdrop-blur-[1px]"
        >
          <p className="rounded-2xl border-2 border-dashed border-sky-500 bg-white/95 px-8 py-6 text-lg font-semibold text-sky-700 shadow-xl dark:bg-zinc-900/95 dark:text-sky-300">
            Drop files to send them
          </p>
        </div>
      )}
      <div className="mx-auto max-w-3xl">
        {(replyTo || editing) && (
          <div className="mb-2 flex items-center gap-3 rounded-lg bg-zinc-50 px-3 py-2 dark:bg-zinc-900">
            <span className="text-sky-600">{editing ? <EditIcon size={18} /> : <ReplyIcon size={18} />}</span>
            <div className="min-w-0 flex-1 border-l-2 border-sky-500 pl-2 text-sm">
              <p className="font-semibold text-sky-700 dark:text-sky-300">{editing ? "Edit message" : `Reply to ${replySender}`}</p>
              <p className="truncate text-zinc-600 dark:text-zinc-400">{messagePreview(editing ?? replyTo ?? { body: "" })}</p>
            </div>
            <IconButton label={editing ? "Cancel editing" : "Cancel reply"} onClick={editing ? cancelEdit : onCancelReply} className="size-8">
              <CloseIcon size={16} />
            </IconButton>
          </div>
        )}
        <MentionSuggestions state={mentions} />
        <AttachmentTray uploadIds={trayIds} onRemove={removeFromTray} onRetry={(id) => store.retryUpload(id)} />
        {trayProblem && (
          <p className="mb-2 text-sm text-rose-600" role="alert">
            {trayProblem}
          </p>
        )}
        {recordingVoice ? (
          <VoiceRecorder
            onSend={sendRecording}
            onCancel={() => setRecordingVoice(false)}
            onError={(message) => {
              setRecordingVoice(false);
              setTrayProblem(message);
            }}
          />
        ) : (
        <div className="flex items-end gap-1 md:gap-2">
          <div ref={emojiAreaRef} className="relative shrink-0">
            <IconButton
              label="Emoji and stickers"
              aria-expanded={choosingEmoji}
              onClick={() => setChoosingEmoji((open) => !open)}
              className="size-11"
            >
              <SmileIcon size={22} />
            </IconButton>
            {choosingEmoji && (
              <div
                role="dialog"
                aria-label="Emoji and stickers"
                onKeyDown={(event) => {
                  if (event.key === "Escape") {
                    event.stopPropagation();
                    setChoosingEmoji(false);
                    inputRef.current?.focus();
                  }
                }}
                className="absolute bottom-full left-0 z-30 mb-2 w-[min(22rem,calc(100vw-1rem))] overflow-hidden rounded-2xl bg-white shadow-xl ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-700"
              >
                {panel === "emoji" ? (
                  <EmojiPanel onPick={insertEmoji} />
                ) : (
                  <StickerPanel
                    onPick={(sticker) => {
                      setChoosingEmoji(false);
                      void store.sendSticker({ conversationId: conversation.id, sticker, replyToId: replyTo?.id ?? null });
                      onCancelReply();
                    }}
                  />
                )}
                <div role="tablist" aria-label="Emoji or stickers" className="flex border-t border-zinc-200 dark:border-zinc-700">
                  {(["emoji", "stickers"] as const).map((name) => (
                    <button
                      key={name}
                      type="button"
                      role="tab"
                      aria-selected={panel === name}
                      onClick={() => setPanel(name)}
                      className={`flex-1 py-2 text-sm font-medium ${
                        panel === name ? "text-sky-700 dark:text-sky-300" : "text-zinc-500 hover:text-zinc-900 dark:hover:text-zinc-100"
                      }`}
                    >
                      {name === "emoji" ? "Emoji" : "Stickers"}
                    </button>
                  ))}
                </div>
              </div>
            )}
          </div>
          <label className="min-w-0 flex-1">
            <span className="sr-only">Message {conversationTitle(conversation, me.id)}</span>
            <textarea
              ref={inputRef}
              rows={1}
              value={text}
              placeholder={trayIds.length > 0 ? "Add a caption" : "Message"}
              onChange={(event) => {
                setText(event.target.value);
                if (event.target.value.trim() && !editing) store.announceTyping(conversation.id);
              }}
              onKeyDown={onKeyDown}
              onPaste={(event) => {
                if (event.clipboardData.files.length === 0 || editing) return;
                event.preventDefault();
                addFiles(event.clipboardData.files);
              }}
              aria-invalid={tooLong || undefined}
              className="block max-h-40 min-h-11 w-full resize-none rounded-2xl border border-zinc-200 bg-zinc-50 px-4 py-2.5 text-base leading-6 outline-none [field-sizing:content] placeholder:text-zinc-400 focus:border-sky-500 focus:bg-white focus:ring-2 focus:ring-sky-500/20 dark:border-zinc-700 dark:bg-zinc-900 dark:focus:bg-zinc-900"
            />
          </label>
          {!editing && (
            <>
              <input
                ref={fileInputRef}
                type="file"
                multiple
                hidden
                data-testid="attach-input"
                onChange={(event) => {
                  if (event.target.files) addFiles(event.target.files);
                  event.target.value = "";
                }}
              />
              <IconButton label="Attach files" onClick={() => fileInputRef.current?.click()} className="size-11">
                <PaperclipIcon size={22} />
              </IconButton>
            </>
          )}
          {!editing && !trimmed && trayIds.length === 0 ? (
            <button
              type="button"
              aria-label="Record a voice message"
              title="Record a voice message"
              onClick={() => setRecordingVoice(true)}
              className="flex size-11 shrink-0 items-center justify-center rounded-full bg-sky-700 text-white transition-colors hover:bg-sky-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-500"
            >
              <MicIcon />
            </button>
          ) : (
            <button
              type="submit"
              aria-label={editing ? "Save edit" : "Send message"}
              title={editing ? "Save edit" : "Send message"}
              disabled={!canSend}
              className="flex size-11 shrink-0 items-center justify-center rounded-full bg-sky-700 text-white transition-colors hover:bg-sky-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-500 disabled:bg-zinc-200 disabled:text-zinc-400 dark:disabled:bg-zinc-800"
            >
              {editing ? <CheckIcon /> : <SendIcon />}
            </button>
          )}
        </div>
        )}
        {tooLong && (
          <p className="mt-1 text-sm text-rose-600" role="alert">
            A message can be at most {messageBodyMaxCharacters.toLocaleString()} characters.
          </p>
        )}
      </div>
    </form>
  );
}
