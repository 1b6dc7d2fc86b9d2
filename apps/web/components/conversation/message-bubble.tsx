"use client";

import { memo, useEffect, useState } from "react";

import type { MessageView } from "../../lib/api-types";
import { useChatStore, useMe } from "../../lib/chat-context";
import type { DeliveryState, OutboxEntry } from "../../lib/chat-state";
import { remainingLabel, timerName } from "../../lib/disappearing";
import { isJumboEmoji } from "../../lib/emoji-runs";
import { nameColorOf } from "../../lib/people";
import { formatClock, formatFullDate } from "../../lib/time-format";
import { Avatar } from "../ui/avatar";
import {
  AlertIcon,
  CheckIcon,
  ClockIcon,
  DoubleCheckIcon,
  EditIcon,
  ForwardIcon,
  ReplyIcon,
  SmileIcon,
  TimerIcon,
  TrashIcon,
} from "../ui/icons";
import { messagePreview } from "../../lib/message-preview";
import { isEdgeToEdge, isStickerMessage, MessageAttachments } from "./message-attachments";
import { MessageText } from "./message-text";
import { ReactionPicker } from "./reaction-picker";

export interface DisplayedMessage {
  message: MessageView;
  own: boolean;
  status: DeliveryState;
  /** Set while the message waits in the outbox. */
  pending: OutboxEntry | null;
  senderName: string;
  senderAvatarUrl: string | null;
  firstInGroup: boolean;
  lastInGroup: boolean;
  /** The quoted message; `message` is null when it is not loaded. */
  replyTarget: { message: MessageView | null; senderName: string } | null;
}

const statusLabels: Record<DeliveryState, string> = {
  sending: "Sending",
  failed: "Not sent",
  sent: "Sent",
  read: "Read",
};

function StatusIcon({ status }: { status: DeliveryState }) {
  const label = statusLabels[status];
  return (
    <span data-testid="delivery-status" data-status={status} title={label} className="inline-flex">
      <span className="sr-only">{label}</span>
      {status === "sending" && <ClockIcon size={13} />}
      {status === "failed" && <AlertIcon size={13} className="text-rose-200" />}
      {status === "sent" && <CheckIcon size={14} />}
      {status === "read" && <DoubleCheckIcon size={14} />}
    </span>
  );
}

/** Width kept free at the end of the text for the time, "edited" and the ticks. */
function metaSpacerWidth(own: boolean, edited: boolean, disappearing: boolean): string {
  const extra = disappearing ? 10 : 0;
  const base = own ? (edited ? 30 : 20) : edited ? 26 : 14;
  return widthClasses[base + extra] ?? "w-20";
}

// Written out so that Tailwind sees every class.
const widthClasses: Record<number, string> = { 14: "w-14", 20: "w-20", 24: "w-24", 26: "w-26", 30: "w-30", 36: "w-36", 40: "w-40" };

function snippet(message: MessageView): string {
  if (message.deletedAt) return "Message deleted";
  const text = messagePreview(message);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/** The time a disappearing message has left, ticking; or its timer while it waits to be read. */
function DisappearingBadge({ message, own }: { message: MessageView; own: boolean }) {
  const [nowMs, setNowMs] = useState(() => Date.now());
  useEffect(() => {
    if (!message.expiresAt) return;
    setNowMs(Date.now());
    const timer = setInterval(() => setNowMs(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, [message.expiresAt]);
  const label = message.expiresAt
    ? remainingLabel(message.expiresAt, nowMs)
    : message.expiresAfterReadSeconds !== null
      ? timerName(message.expiresAfterReadSeconds)
      : null;
  if (!label) return null;
  return (
    <span
      data-testid="disappearing-badge"
      title={message.expiresAt ? `Disappears in ${label}` : `Disappears ${timerName(message.expiresAfterReadSeconds ?? 0)} after it is read`}
      className={`inline-flex items-center gap-0.5 ${own ? "text-sky-100" : "text-amber-600 dark:text-amber-400"}`}
    >
      <TimerIcon size={11} />
      {message.expiresAt ? label : ""}
    </span>
  );
}

/** The quoted message above a reply: a click (or Enter) goes to the original while it is loaded. */
function ReplyQuote({
  target,
  own,
  onGoTo,
}: {
  target: NonNullable<DisplayedMessage["replyTarget"]>;
  own: boolean;
  onGoTo: (messageId: string) => void;
}) {
  const className = `mb-1 block w-full rounded-md border-l-4 px-2 py-1 text-left text-sm ${
    own ? "border-white/70 bg-white/15" : "border-sky-500 bg-sky-50 dark:bg-sky-950/40"
  }`;
  const content = (
    <>
      <span className={`block font-semibold ${own ? "text-white" : "text-sky-700 dark:text-sky-300"}`}>
        {target.message ? target.senderName : "Reply"}
      </span>
      <span className={`line-clamp-2 block break-words ${own ? "text-white/85" : "text-zinc-600 dark:text-zinc-300"}`}>
        {target.message ? snippet(target.message) : "Original message"}
      </span>
    </>
  );
  const original = target.message;
  if (!original) return <div className={className}>{content}</div>;
  return (
    <button
      type="button"
      data-testid="reply-quote"
      aria-label={`Go to the original message, ${target.senderName}: ${snippet(original)}`}
      onClick={() => onGoTo(original.id)}
      className={`${className} cursor-pointer`}
    >
      {content}
    </button>
  );
}

export const MessageBubble = memo(function MessageBubble({
  item,
  group,
  highlighted,
  onReply,
  onEdit,
  onDelete,
  onForward,
  onGoTo,
}: {
  item: DisplayedMessage;
  group: boolean;
  /** A search result opened here: marked until the reader moves on. */
  highlighted: boolean;
  onReply: (message: MessageView) => void;
  onEdit: (message: MessageView) => void;
  onDelete: (message: MessageView) => void;
  onForward: (message: MessageView) => void;
  /** Shows and focuses another message of the list (the one a reply quotes). */
  onGoTo: (messageId: string) => void;
}) {
  const store = useChatStore();
  const me = useMe();
  const [picking, setPicking] = useState(false);
  const { message, own, status, pending, senderName, firstInGroup, lastInGroup, replyTarget } = item;
  const deleted = message.deletedAt !== null;
  const actionable = !pending && !deleted;
  const showAvatarColumn = group && !own;
  const attachments = deleted ? [] : message.attachments;
  const sticker = isStickerMessage(attachments);
  const edgeToEdge = !sticker && isEdgeToEdge(attachments);
  const hasText = deleted || Boolean(message.body) || attachments.length === 0;
  /** A message of a few emoji and nothing else is shown large. */
  const jumbo = !deleted && attachments.length === 0 && isJumboEmoji(message.body ?? "");
  // With no caption, the time sits on the picture (or under the sticker) in a dark chip.
  const metaOnMedia = !hasText && (edgeToEdge || sticker);

  const corner = own
    ? `${firstInGroup ? "rounded-tr-2xl" : "rounded-tr-md"} ${lastInGroup ? "rounded-br-sm" : "rounded-br-md"}`
    : `${firstInGroup ? "rounded-tl-2xl" : "rounded-tl-md"} ${lastInGroup ? "rounded-bl-sm" : "rounded-bl-md"}`;

  return (
    <li
      data-testid="message"
      data-message-id={pending ? undefined : message.id}
      data-own={own}
      className={`group/message relative flex items-end gap-2 ${own ? "flex-row-reverse" : ""} ${lastInGroup ? "mb-2" : "mb-0.5"}`}
    >
      {showAvatarColumn && (
        <span className="w-8 shrink-0">{lastInGroup && <Avatar id={message.senderId} name={senderName} src={item.senderAvatarUrl} size="sm" />}</span>
      )}

      <div className={`flex max-w-[min(80%,36rem)] min-w-0 flex-col ${own ? "items-end" : "items-start"}`}>
        <div
          tabIndex={-1}
          data-kind={message.kind}
          className={`relative min-w-0 outline-none ${highlighted ? "ring-4 ring-amber-400" : ""} ${
            sticker
              ? "rounded-2xl"
              : `rounded-2xl shadow-sm ${corner} ${edgeToEdge ? "w-min overflow-hidden" : `px-3 py-1.5 ${hasText ? "" : "pb-5"}`} ${
                  status === "failed"
                    ? "bg-rose-600 text-white"
                    : own
                      ? "bg-sky-700 text-white"
                      : "bg-white text-zinc-900 dark:bg-zinc-800 dark:text-zinc-100"
                }`
          }`}
        >
          <div className={edgeToEdge ? "px-3 pt-1.5 empty:hidden" : "empty:hidden"}>
          {group && !own && firstInGroup && (
            <p className={`mb-0.5 text-sm font-semibold ${nameColorOf(message.senderId)}`}>{senderName}</p>
          )}

          {message.forwardedFrom && (
            <p data-testid="forwarded-label" className={`mb-0.5 flex items-center gap-1 text-xs italic ${own ? "text-sky-100" : "text-zinc-500 dark:text-zinc-400"}`}>
              <ForwardIcon size={12} />
              {message.forwardedFrom.displayName ? `Forwarded from ${message.forwardedFrom.displayName}` : "Forwarded"}
            </p>
          )}

          {replyTarget && <ReplyQuote target={replyTarget} own={own} onGoTo={onGoTo} />}

          </div>

          {attachments.length > 0 && <MessageAttachments attachments={attachments} own={own} pending={pending !== null} />}

          {hasText && (
          <p
            data-testid="message-body"
            data-jumbo={jumbo || undefined}
            className={`break-words whitespace-pre-wrap [overflow-wrap:anywhere] ${deleted ? "italic opacity-70" : ""} ${edgeToEdge ? "px-3 pt-1 pb-1.5" : ""} ${jumbo ? "text-4xl leading-tight" : ""}`}
          >
            {deleted ? "Message deleted" : <MessageText body={message.body ?? ""} conversationId={message.conversationId} own={own} />}
            {/* Room for the time and ticks that sit in the bubble's corner. */}
            <span aria-hidden="true" className={`inline-block ${metaSpacerWidth(own, Boolean(message.editedAt) && !deleted, message.expiresAt !== null || message.expiresAfterReadSeconds !== null)}`} />
          </p>
          )}

          <span
            className={`absolute flex items-center gap-1 text-[11px] leading-none ${
              metaOnMedia
                ? `right-1.5 bottom-1.5 rounded-full bg-black/50 px-1.5 py-1 text-white`
                : `right-2.5 bottom-1 ${own ? "text-sky-100" : "text-zinc-500 dark:text-zinc-400"}`
            }`}
          >
            {!deleted && <DisappearingBadge message={message} own={own} />}
            {message.editedAt && !deleted && <span data-testid="edited-marker">edited</span>}
            <time dateTime={message.createdAt} title={formatFullDate(message.createdAt)}>
              {formatClock(message.createdAt)}
            </time>
            {own && !deleted && <StatusIcon status={status} />}
          </span>
        </div>

        {message.reactions.length > 0 && !deleted && (
          <ul className={`mt-1 flex flex-wrap gap-1 ${own ? "justify-end" : ""}`} aria-label="Reactions">
            {message.reactions.map((reaction) => {
              const mine = reaction.userIds.includes(me.id);
              return (
                <li key={reaction.emoji}>
                  <button
                    type="button"
                    aria-pressed={mine}
                    aria-label={`${reaction.emoji} ${reaction.userIds.length}${mine ? ", remove your reaction" : ", add your reaction"}`}
                    onClick={() => void store.toggleReaction(message, reaction.emoji)}
                    className={`flex h-7 items-center gap-1 rounded-full border px-2 text-sm ${
                      mine
                        ? "border-sky-400 bg-sky-100 text-sky-800 dark:border-sky-600 dark:bg-sky-900 dark:text-sky-100"
                        : "border-zinc-200 bg-white text-zinc-700 dark:border-zinc-700 dark:bg-zinc-800 dark:text-zinc-200"
                    }`}
                  >
                    <span className="font-emoji">{reaction.emoji}</span>
                    <span className="text-xs font-medium">{reaction.userIds.length}</span>
                  </button>
                </li>
              );
            })}
          </ul>
        )}

        {pending?.status === "failed" && (
          <p className="mt-1 flex items-center gap-2 text-xs text-rose-600 dark:text-rose-400" role="alert">
            <span>{pending.error ?? "Not sent"}</span>
            <button type="button" className="font-semibold underline" onClick={() => store.retryMessage(pending.clientId)}>
              Retry
            </button>
            <button type="button" className="font-semibold underline" onClick={() => store.discardMessage(pending.clientId)}>
              Discard
            </button>
          </p>
        )}
      </div>

      {actionable && (
        <div
          data-message-toolbar
          className={`relative flex shrink-0 items-center gap-0.5 self-center opacity-0 transition-opacity group-focus-within/message:opacity-100 group-hover/message:opacity-100 ${
            picking ? "opacity-100" : ""
          }`}
        >
          <ActionButton label="React" onClick={() => setPicking((open) => !open)} expanded={picking}>
            <SmileIcon size={16} />
          </ActionButton>
          <ActionButton label="Reply" onClick={() => onReply(message)}>
            <ReplyIcon size={16} />
          </ActionButton>
          <ActionButton label="Forward" onClick={() => onForward(message)}>
            <ForwardIcon size={16} />
          </ActionButton>
          {own && (
            <>
              <ActionButton label="Edit" onClick={() => onEdit(message)}>
                <EditIcon size={16} />
              </ActionButton>
              <ActionButton label="Delete" onClick={() => onDelete(message)}>
                <TrashIcon size={16} />
              </ActionButton>
            </>
          )}
          {picking && (
            <ReactionPicker
              align={own ? "right" : "left"}
              onPick={(emoji) => {
                setPicking(false);
                void store.toggleReaction(message, emoji);
              }}
              onClose={() => setPicking(false)}
            />
          )}
        </div>
      )}
    </li>
  );
});

function ActionButton({
  label,
  onClick,
  expanded,
  children,
}: {
  label: string;
  onClick: () => void;
  expanded?: boolean;
  children: React.ReactNode;
}) {
  return (
    <button
      type="button"
      aria-label={label}
      title={label}
      aria-expanded={expanded}
      onClick={onClick}
      className="flex size-8 items-center justify-center rounded-full text-zinc-500 dark:text-zinc-400 hover:bg-white hover:text-zinc-900 focus-visible:outline-2 focus-visible:outline-sky-500 dark:hover:bg-zinc-800 dark:hover:text-zinc-100"
    >
      {children}
    </button>
  );
}
