"use client";

import Link from "next/link";
import { useEffect } from "react";

import type { ConversationSummary } from "../../lib/api-types";
import { useChatState, useChatStore, useMe } from "../../lib/chat-context";
import { deliveryStateOf, type DeliveryState } from "../../lib/chat-state";
import { previewSystemNotice, systemNoticeOf } from "../../lib/system-notices";
import { conversationTitle, directPeerOf, nameOf } from "../../lib/people";
import { formatListTime } from "../../lib/time-format";
import { Avatar } from "../ui/avatar";
import { AlertIcon, BellOffIcon, CheckIcon, ClockIcon, DoubleCheckIcon } from "../ui/icons";
import { useNotifications } from "../notifications/notifications-provider";
import { typingText } from "../conversation/typing-text";
import { messagePreview } from "../../lib/message-preview";

const deliveryLabels: Record<DeliveryState, string> = { sending: "Sending", failed: "Not sent", sent: "Sent", read: "Read" };

export function ConversationListItem({ conversation, active }: { conversation: ConversationSummary; active: boolean }) {
  const me = useMe();
  const peer = directPeerOf(conversation, me.id);
  const online = useChatState((state) => (peer ? (state.presence[peer.userId] ?? false) : undefined));
  const typers = useChatState((state) => state.typing[conversation.id]);
  const outbox = useChatState((state) => state.outbox);
  const people = useChatState((state) => state.people);
  const pending = outbox.findLast((entry) => entry.conversationId === conversation.id);
  const title = conversationTitle(conversation, me.id);
  const last = conversation.lastMessage;
  const typing = typingText(conversation, typers, me.id);
  // What was written there and not sent, for any chat but the open one (whose box shows it).
  const draft = useChatState((state) => (active ? undefined : state.drafts[conversation.id]));
  const store = useChatStore();
  const formerSenderId =
    last && conversation.kind === "group" && !conversation.members.some((member) => member.userId === last.senderId) ? last.senderId : null;
  // The last message may be from someone who has since left: their name is looked up once.
  useEffect(() => {
    if (formerSenderId && !people[formerSenderId]) void store.lookUpPerson(formerSenderId);
  }, [store, formerSenderId, people]);

  let preview: string;
  let previewStyle = "";
  if (typing) {
    preview = typing;
    previewStyle = active ? "font-medium" : "text-sky-700 dark:text-sky-400";
  } else if (draft) {
    preview = draft.replace(/\s+/g, " ").trim();
  } else if (pending) {
    preview = `You: ${messagePreview(pending)}`;
  } else if (!last) {
    preview = conversation.kind === "group" ? "Group created" : "Say hello 👋";
  } else if (last.deletedAt) {
    preview = "Message deleted";
    previewStyle = "italic";
  } else if (last.kind === "system") {
    const notice = systemNoticeOf(last);
    preview = notice ? previewSystemNotice(notice) : "";
    previewStyle = "italic";
  } else {
    const sender =
      last.senderId === me.id
        ? "You: "
        : conversation.kind === "group"
          ? `${nameOf(conversation.members.find((member) => member.userId === last.senderId) ?? people[last.senderId])}: `
          : "";
    preview = `${sender}${messagePreview(last)}`;
  }
  const delivery = pending
    ? pending.status === "failed"
      ? "failed"
      : "sending"
    : last && last.senderId === me.id && !last.deletedAt
      ? deliveryStateOf(conversation, last, me.id)
      : null;
  const unread = conversation.unreadCount;
  const muted = useNotifications().mutes[conversation.id] !== undefined;

  return (
    <Link
      href={`/chats/${conversation.id}`}
      aria-current={active ? "page" : undefined}
      data-testid="conversation-item"
      data-unread={unread}
      className={`flex items-center gap-3 rounded-xl p-2 transition-colors ${
        active ? "bg-sky-700 text-white" : "hover:bg-zinc-100 dark:hover:bg-zinc-900"
      }`}
    >
      <Avatar id={peer?.userId ?? conversation.id} name={title} src={peer?.avatarUrl} size="lg" online={online} />
      <span className="flex min-w-0 flex-1 flex-col gap-0.5">
        <span className="flex items-baseline gap-2">
          <span className={`min-w-0 flex-1 truncate ${unread > 0 ? "font-semibold" : "font-medium"}`} data-testid="conversation-title">
            {title}
          </span>
          {muted && (
            <span data-testid="muted-icon" title="Muted" className={active ? "text-sky-100" : "text-zinc-400"}>
              <span className="sr-only">Muted</span>
              <BellOffIcon size={14} />
            </span>
          )}
          {delivery && (
            <span
              className={delivery === "failed" ? "text-rose-500" : active ? "text-white" : "text-sky-600"}
              title={deliveryLabels[delivery]}
            >
              <span className="sr-only">{deliveryLabels[delivery]}</span>
              {delivery === "read" && <DoubleCheckIcon size={14} />}
              {delivery === "sent" && <CheckIcon size={14} />}
              {delivery === "sending" && <ClockIcon size={13} />}
              {delivery === "failed" && <AlertIcon size={13} />}
            </span>
          )}
          <time
            dateTime={last?.createdAt ?? conversation.lastActivityAt}
            className={`shrink-0 text-xs ${active ? "text-sky-100" : "text-zinc-500 dark:text-zinc-400"}`}
          >
            {formatListTime(pending?.createdAt ?? last?.createdAt ?? conversation.lastActivityAt)}
          </time>
        </span>
        <span className="flex items-center gap-2">
          <span
            data-testid="conversation-preview"
            className={`min-w-0 flex-1 truncate text-sm ${active ? "text-sky-50" : "text-zinc-500 dark:text-zinc-400"} ${previewStyle}`}
          >
            {draft && !typing && <span className="text-rose-700 dark:text-rose-400">Draft: </span>}
            {preview}
          </span>
          {unread > 0 && (
            <span
              data-testid="unread-badge"
              aria-label={`${unread} unread`}
              className={`flex h-5 min-w-5 shrink-0 items-center justify-center rounded-full px-1.5 text-xs font-semibold ${
                active ? "bg-white text-sky-700" : muted ? "bg-zinc-500 text-white dark:bg-zinc-600" : "bg-sky-700 text-white"
              }`}
            >
              {unread > 99 ? "99+" : unread}
            </span>
          )}
        </span>
      </span>
    </Link>
  );
}
