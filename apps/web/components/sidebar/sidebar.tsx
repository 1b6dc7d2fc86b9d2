"use client";

import Link from "next/link";
import { useParams } from "next/navigation";
import { useDeferredValue, useMemo, useRef, useState } from "react";

import { useChatState, useMe } from "../../lib/chat-context";
import { sortedConversations } from "../../lib/chat-state";
import { conversationTitle, nameOf } from "../../lib/people";
import { Avatar } from "../ui/avatar";
import { IconButton } from "../ui/button";
import { ComposeIcon, SearchIcon, SettingsIcon, UsersIcon } from "../ui/icons";
import { ConversationListItem } from "./conversation-list-item";
import { NewChatDialog } from "./new-chat-dialog";
import { SearchResults, type SearchResultsHandle } from "./search-results";

export function Sidebar() {
  const me = useMe();
  const params = useParams<{ conversationId?: string }>();
  const conversations = useChatState((state) => state.conversations);
  const loaded = useChatState((state) => state.conversationsLoaded);
  const incoming = useChatState((state) => state.incomingRequests.length);
  const [filter, setFilter] = useState("");
  const deferredFilter = useDeferredValue(filter);
  const [startingChat, setStartingChat] = useState(false);
  const results = useRef<SearchResultsHandle>(null);
  const searching = deferredFilter.trim().length > 0;

  const visible = useMemo(() => {
    const all = sortedConversations(conversations);
    const needle = deferredFilter.trim().toLowerCase();
    if (!needle) return all;
    return all.filter((conversation) => conversationTitle(conversation, me.id).toLowerCase().includes(needle));
  }, [conversations, deferredFilter, me.id]);

  return (
    <div className="flex min-h-0 flex-1 flex-col bg-white dark:bg-zinc-950">
      <h2 className="sr-only">Chats</h2>
      <header className="flex items-center gap-2 px-3 pt-3 pb-2">
        <Link
          href="/settings"
          className="flex min-w-0 flex-1 items-center gap-3 rounded-xl p-1 hover:bg-zinc-100 dark:hover:bg-zinc-900"
          title="Settings"
        >
          <Avatar id={me.id} name={nameOf(me)} src={me.avatarUrl} size="md" />
          {/* The name read out starts with what is shown (WCAG 2.5.3), then says where it leads. */}
          <span className="min-w-0">
            <span className="block truncate font-semibold">{nameOf(me)}</span>
            <span className="block truncate text-xs text-zinc-500 dark:text-zinc-400">@{me.username}</span>
            <span className="sr-only">, settings</span>
          </span>
        </Link>
        <IconButton label="New message" onClick={() => setStartingChat(true)}>
          <ComposeIcon />
        </IconButton>
        <Link
          href="/friends"
          aria-label={incoming > 0 ? `Friends, ${incoming} new requests` : "Friends"}
          title="Friends"
          className="relative inline-flex size-10 items-center justify-center rounded-full text-zinc-500 hover:bg-zinc-100 hover:text-zinc-900 dark:text-zinc-400 dark:hover:bg-zinc-800 dark:hover:text-zinc-100"
        >
          <UsersIcon />
          {incoming > 0 && (
            <span className="absolute top-1 right-1 flex min-w-4 items-center justify-center rounded-full bg-rose-500 px-1 text-[10px] leading-4 font-semibold text-white">
              {incoming}
            </span>
          )}
        </Link>
        <Link
          href="/settings"
          aria-label="Settings"
          title="Settings"
          className="inline-flex size-10 items-center justify-center rounded-full text-zinc-500 hover:bg-zinc-100 hover:text-zinc-900 dark:text-zinc-400 dark:hover:bg-zinc-800 dark:hover:text-zinc-100"
        >
          <SettingsIcon />
        </Link>
      </header>

      <div className="px-3 pb-2">
        <label className="relative block">
          <span className="sr-only">Search chats, people and messages</span>
          <SearchIcon size={16} className="pointer-events-none absolute top-1/2 left-3 -translate-y-1/2 text-zinc-400" />
          <input
            type="search"
            value={filter}
            onChange={(event) => setFilter(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === "Escape") setFilter("");
              else results.current?.handleKey(event);
            }}
            placeholder="Search chats, people, messages"
            className="h-10 w-full rounded-full bg-zinc-100 pr-4 pl-9 text-sm outline-none placeholder:text-zinc-500 dark:text-zinc-400 focus:ring-2 focus:ring-sky-500/40 dark:bg-zinc-900"
          />
        </label>
      </div>

      <nav aria-label="Chats" className="min-h-0 flex-1 overflow-y-auto px-2 pb-3">
        {searching ? (
          <SearchResults ref={results} query={deferredFilter} chats={visible} activeId={params.conversationId} />
        ) : !loaded && visible.length === 0 ? (
          <ul aria-hidden="true" className="flex flex-col gap-1">
            {[0, 1, 2, 3].map((index) => (
              <li key={index} className="flex items-center gap-3 rounded-xl p-2">
                <span className="size-12 animate-pulse rounded-full bg-zinc-100 dark:bg-zinc-800" />
                <span className="flex flex-1 flex-col gap-2">
                  <span className="h-3 w-2/5 animate-pulse rounded bg-zinc-100 dark:bg-zinc-800" />
                  <span className="h-3 w-4/5 animate-pulse rounded bg-zinc-100 dark:bg-zinc-800" />
                </span>
              </li>
            ))}
          </ul>
        ) : visible.length === 0 ? (
          <div className="flex flex-col items-center gap-3 px-6 py-12 text-center text-sm text-zinc-500 dark:text-zinc-400">
            {filter ? (
              <p>No chats match “{filter}”.</p>
            ) : (
              <>
                <p>No conversations yet.</p>
                <Link href="/friends" className="font-medium text-sky-700 hover:underline dark:text-sky-400">
                  Find friends to start chatting
                </Link>
              </>
            )}
          </div>
        ) : (
          <ul className="flex flex-col gap-0.5">
            {visible.map((conversation) => (
              <li key={conversation.id}>
                <ConversationListItem conversation={conversation} active={conversation.id === params.conversationId} />
              </li>
            ))}
          </ul>
        )}
      </nav>
      <NewChatDialog open={startingChat} onClose={() => setStartingChat(false)} />
    </div>
  );
}
