"use client";

import { useRouter } from "next/navigation";
import { forwardRef, useEffect, useImperativeHandle, useState, type KeyboardEvent } from "react";

import type { ConversationSummary, MessageSearchResult, PublicUser } from "../../lib/api-types";
import { useChatState, useChatStore, useMe } from "../../lib/chat-context";
import { conversationTitle, nameOf } from "../../lib/people";
import { formatListTime } from "../../lib/time-format";
import { Avatar } from "../ui/avatar";
import { ConversationListItem } from "./conversation-list-item";

/** Typing pauses this long before messages and people are searched on the server. */
const searchDelayMs = 250;

export interface SearchResultsHandle {
  /** Arrow keys move through the results, Enter opens the one marked. */
  handleKey: (event: KeyboardEvent<HTMLInputElement>) => void;
}

type Item =
  | { kind: "chat"; key: string; conversation: ConversationSummary }
  | { kind: "person"; key: string; user: PublicUser }
  | { kind: "message"; key: string; result: MessageSearchResult };

/** The body with each match marked, cut to a window around the first match. */
function HighlightedBody({ result }: { result: MessageSearchResult }) {
  const body = result.message.body ?? "";
  const first = result.highlights[0]?.start ?? 0;
  const from = Math.max(0, first - 30);
  const parts: React.ReactNode[] = [];
  let cursor = from;
  for (const { start, end } of result.highlights) {
    if (end <= from) continue;
    parts.push(body.slice(cursor, Math.max(cursor, start)));
    parts.push(
      <mark key={start} className="rounded-sm bg-amber-200 px-0.5 text-zinc-900 dark:bg-amber-500/60 dark:text-white">
        {body.slice(Math.max(cursor, start), end)}
      </mark>,
    );
    cursor = end;
  }
  parts.push(body.slice(cursor));
  return (
    <span className="line-clamp-2 text-sm break-words text-zinc-600 dark:text-zinc-300">
      {from > 0 ? "…" : ""}
      {parts}
    </span>
  );
}

/**
 * One search box for chats, people and messages: chats match by name at once, people and
 * messages are asked of the server as typing pauses. Grouped, and navigable with the keyboard.
 */
export const SearchResults = forwardRef<SearchResultsHandle, { query: string; chats: ConversationSummary[]; activeId?: string }>(
  function SearchResults({ query, chats, activeId }, ref) {
    const store = useChatStore();
    const me = useMe();
    const router = useRouter();
    const conversations = useChatState((state) => state.conversations);
    const [people, setPeople] = useState<PublicUser[]>([]);
    const [messages, setMessages] = useState<MessageSearchResult[] | null>(null);
    const [active, setActive] = useState(0);

    useEffect(() => {
      const needle = query.trim();
      setMessages(null);
      setActive(0);
      if (!needle) return;
      let cancelled = false;
      const timer = setTimeout(() => {
        void Promise.all([
          store.searchMessages(needle).catch(() => ({ results: [] as MessageSearchResult[] })),
          store.searchPeople(needle).catch(() => [] as PublicUser[]),
        ]).then(([found, users]) => {
          if (cancelled) return;
          setMessages(found.results);
          setPeople(users.filter((user) => user.id !== me.id));
        });
      }, searchDelayMs);
      return () => {
        cancelled = true;
        clearTimeout(timer);
      };
    }, [store, query, me.id]);

    const items: Item[] = [
      ...chats.map((conversation): Item => ({ kind: "chat", key: `chat:${conversation.id}`, conversation })),
      ...people.map((user): Item => ({ kind: "person", key: `person:${user.id}`, user })),
      ...(messages ?? []).map((result): Item => ({ kind: "message", key: `message:${result.message.id}`, result })),
    ];

    const open = async (item: Item) => {
      if (item.kind === "chat") router.push(`/chats/${item.conversation.id}`);
      else if (item.kind === "message") {
        router.push(`/chats/${item.result.conversation.id}?message=${item.result.message.id}&seq=${item.result.message.seq}`);
      } else {
        const conversationId = await store.openDirect(item.user.id);
        if (conversationId) router.push(`/chats/${conversationId}`);
      }
    };

    useImperativeHandle(ref, () => ({
      handleKey: (event) => {
        if (items.length === 0) return;
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          event.preventDefault();
          const step = event.key === "ArrowDown" ? 1 : -1;
          setActive((current) => (current + step + items.length) % items.length);
        } else if (event.key === "Enter") {
          event.preventDefault();
          const item = items[Math.min(active, items.length - 1)];
          if (item) void open(item);
        }
      },
    }));

    const section = (title: string, kind: Item["kind"], empty: string | null) => {
      const inSection = items.map((item, index) => ({ item, index })).filter(({ item }) => item.kind === kind);
      if (inSection.length === 0 && empty === null) return null;
      return (
        <section aria-label={title} className="mb-2">
          <h2 className="px-2 pt-2 pb-1 text-xs font-semibold tracking-wide text-zinc-500 dark:text-zinc-400 uppercase">{title}</h2>
          {inSection.length === 0 ? (
            <p className="px-2 py-1 text-sm text-zinc-500 dark:text-zinc-400">{empty}</p>
          ) : (
            <ul className="flex flex-col gap-0.5" role="listbox" aria-label={title}>
              {inSection.map(({ item, index }) => (
                <li
                  key={item.key}
                  role="option"
                  aria-selected={index === active}
                  data-testid={`search-${item.kind}`}
                  className={`rounded-xl ${index === active ? "bg-sky-50 ring-1 ring-sky-300 dark:bg-sky-950/50 dark:ring-sky-800" : ""}`}
                  onMouseEnter={() => setActive(index)}
                >
                  {item.kind === "chat" ? (
                    <ConversationListItem conversation={item.conversation} active={item.conversation.id === activeId} />
                  ) : item.kind === "person" ? (
                    <button type="button" onClick={() => void open(item)} className="flex w-full items-center gap-3 rounded-xl p-2 text-left hover:bg-zinc-100 dark:hover:bg-zinc-900">
                      <Avatar id={item.user.id} name={nameOf(item.user)} src={item.user.avatarUrl} size="md" />
                      <span className="min-w-0">
                        <span className="block truncate font-medium">{nameOf(item.user)}</span>
                        <span className="block truncate text-sm text-zinc-500 dark:text-zinc-400">@{item.user.username}</span>
                      </span>
                    </button>
                  ) : (
                    <button type="button" onClick={() => void open(item)} className="flex w-full flex-col gap-0.5 rounded-xl p-2 text-left hover:bg-zinc-100 dark:hover:bg-zinc-900">
                      <span className="flex items-baseline justify-between gap-2">
                        <span className="truncate text-sm font-semibold">
                          {conversations[item.result.conversation.id]
                            ? conversationTitle(conversations[item.result.conversation.id] as ConversationSummary, me.id)
                            : (item.result.conversation.title ?? "Chat")}
                        </span>
                        <span className="shrink-0 text-xs text-zinc-500 dark:text-zinc-400">{formatListTime(item.result.message.createdAt)}</span>
                      </span>
                      <HighlightedBody result={item.result} />
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )}
        </section>
      );
    };

    return (
      <div>
        {section("Chats", "chat", null)}
        {section("People", "person", null)}
        {section("Messages", "message", messages === null ? "Searching…" : `No messages match “${query.trim()}”.`)}
      </div>
    );
  },
);
