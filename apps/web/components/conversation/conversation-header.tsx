"use client";

import Link from "next/link";
import { useState } from "react";

import type { ConversationSummary } from "../../lib/api-types";
import { useChatState, useMe } from "../../lib/chat-context";
import { describeDisappearing, shortTimerName } from "../../lib/disappearing";
import { conversationTitle, directPeerOf } from "../../lib/people";
import { MuteMenu } from "../notifications/mute-menu";
import { CallButtons } from "../calls/call-buttons";
import { Avatar } from "../ui/avatar";
import { IconButton } from "../ui/button";
import { ArrowLeftIcon, InfoIcon, TimerIcon } from "../ui/icons";
import { DisappearingDialog } from "./disappearing-dialog";
import { typingText } from "./typing-text";

export function ConversationHeader({
  conversation,
  infoOpen,
  onToggleInfo,
}: {
  conversation: ConversationSummary;
  infoOpen: boolean;
  onToggleInfo: () => void;
}) {
  const me = useMe();
  const peer = directPeerOf(conversation, me.id);
  const presence = useChatState((state) => state.presence);
  const typers = useChatState((state) => state.typing[conversation.id]);
  const title = conversationTitle(conversation, me.id);
  const typing = typingText(conversation, typers, me.id);
  const online = peer ? (presence[peer.userId] ?? false) : undefined;
  const [timerOpen, setTimerOpen] = useState(false);
  const canSetTimer = conversation.kind === "direct" || conversation.members.some((member) => member.userId === me.id && member.role !== "member");

  let subtitle: string;
  if (peer) {
    subtitle = online ? "online" : `@${peer.username}`;
  } else {
    const onlineCount = conversation.members.filter((member) => member.userId !== me.id && presence[member.userId]).length;
    const count = conversation.members.length;
    subtitle = `${count} ${count === 1 ? "member" : "members"}${onlineCount > 0 ? `, ${onlineCount} online` : ""}`;
  }

  return (
    <header className="flex h-16 shrink-0 items-center gap-0.5 border-b sm:gap-2 border-zinc-200 bg-white px-2 md:px-4 dark:border-zinc-800 dark:bg-zinc-950">
      <Link
        href="/chats"
        aria-label="Back to chats"
        className="inline-flex size-10 items-center justify-center rounded-full text-zinc-600 hover:bg-zinc-100 md:hidden dark:text-zinc-300 dark:hover:bg-zinc-800"
      >
        <ArrowLeftIcon />
      </Link>
      <h1 className="sr-only">{title}</h1>
      <button
        type="button"
        onClick={onToggleInfo}
        className="flex min-w-0 flex-1 items-center gap-3 rounded-xl p-1 text-left hover:bg-zinc-50 dark:hover:bg-zinc-900"
        aria-expanded={infoOpen}
      >
        <Avatar id={peer?.userId ?? conversation.id} name={title} src={peer?.avatarUrl} size="md" online={online} />
        <span className="min-w-0">
          <span className="block truncate font-semibold" data-testid="conversation-heading">
            {title}
          </span>
          <span
            className={`block truncate text-sm ${typing ? "text-sky-600 dark:text-sky-400" : online ? "text-emerald-700 dark:text-emerald-400" : "text-zinc-500 dark:text-zinc-400"}`}
            data-testid="conversation-subtitle"
            aria-live="polite"
          >
            {typing ?? subtitle}
          </span>
          <span className="sr-only">, {infoOpen ? "hide" : "show"} details</span>
        </span>
      </button>
      {canSetTimer || conversation.disappearing ? (
        <button
          type="button"
          onClick={() => canSetTimer && setTimerOpen(true)}
          disabled={!canSetTimer}
          aria-label={`Disappearing messages: ${describeDisappearing(conversation.disappearing)}`}
          title={`Disappearing messages: ${describeDisappearing(conversation.disappearing)}`}
          className={`inline-flex h-10 items-center gap-1 rounded-full px-2.5 text-sm ${
            conversation.disappearing ? "text-amber-600 dark:text-amber-400" : "text-zinc-500 dark:text-zinc-400"
          } hover:bg-zinc-100 disabled:hover:bg-transparent dark:hover:bg-zinc-800`}
        >
          <TimerIcon />
          {conversation.disappearing && (
            <span className="hidden sm:inline">{shortTimerName(conversation.disappearing.seconds)}</span>
          )}
        </button>
      ) : null}
      <CallButtons conversation={conversation} />
      <MuteMenu conversationId={conversation.id} group={conversation.kind === "group"} />
      {/* On a phone the name itself opens the details: the row keeps its room for the name. */}
      <div className="hidden sm:flex">
        <IconButton label={infoOpen ? "Hide details" : "Show details"} aria-expanded={infoOpen} onClick={onToggleInfo}>
          <InfoIcon />
        </IconButton>
      </div>
      {timerOpen && <DisappearingDialog conversation={conversation} open={timerOpen} onClose={() => setTimerOpen(false)} />}
    </header>
  );
}
