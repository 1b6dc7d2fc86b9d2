"use client";

import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";

import type { ConversationSummary, MessageView } from "../../lib/api-types";
import { useChatState, useChatStore, useMe } from "../../lib/chat-context";
import { deliveryStateOf, type DeliveryState, type OutboxEntry } from "../../lib/chat-state";
import { nameOf } from "../../lib/people";
import { formatDayLabel, isSameDay } from "../../lib/time-format";
import { Button } from "../ui/button";
import { Dialog } from "../ui/dialog";
import { ArrowDownIcon } from "../ui/icons";
import { describeSystemNotice, systemNoticeOf } from "../../lib/system-notices";
import { ForwardDialog } from "./forward-dialog";
import { useMessageListKeyboard } from "./message-actions";
import { MessageBubble, type DisplayedMessage } from "./message-bubble";

/** Within this distance of the bottom the list counts as "at the latest message". */
const bottomThresholdPx = 80;
/** Older history starts loading this far before the top is reached. */
const loadOlderThresholdPx = 400;
/** Messages from one sender closer together than this share a bubble group. */
const groupWindowMs = 5 * 60_000;

type Row =
  | { kind: "day"; key: string; label: string }
  | { kind: "notice"; key: string; text: string }
  /** Where the messages that were unread when the chat was opened begin. */
  | { kind: "unread"; key: string }
  | { kind: "message"; key: string; item: DisplayedMessage };

function pendingAsMessage(entry: OutboxEntry, previewUrls: ReadonlyMap<string, string>): MessageView {
  const attachments = (entry.attachments ?? []).map((attachment) => ({
    id: attachment.uploadId,
    kind: attachment.kind,
    name: attachment.name,
    size: attachment.size,
    contentType: attachment.contentType,
    url: attachment.url ?? previewUrls.get(attachment.uploadId) ?? "",
  }));
  return {
    id: `pending:${entry.clientId}`,
    conversationId: entry.conversationId,
    seq: Number.MAX_SAFE_INTEGER,
    senderId: entry.senderId,
    clientId: entry.clientId,
    kind: attachments[0]?.kind ?? "text",
    body: entry.body,
    replyToId: entry.replyToId,
    createdAt: entry.createdAt,
    editedAt: null,
    deletedAt: null,
    expiresAt: null,
    expiresAfterReadSeconds: null,
    forwardedFrom: null,
    reactions: [],
    attachments,
  };
}

/** Whose names a message needs: its sender, and anyone its system notice is about. */
function peopleNamedBy(message: MessageView): string[] {
  const notice = systemNoticeOf(message);
  if (notice?.type === "members_added") return [message.senderId, ...notice.userIds];
  if (notice?.type === "member_removed" || notice?.type === "role_changed") return [message.senderId, notice.userId];
  return [message.senderId];
}

function isOnBottom(element: HTMLElement): boolean {
  return element.scrollHeight - element.scrollTop - element.clientHeight < bottomThresholdPx;
}

export function MessageList({
  conversation,
  focusMessageId,
  onReply,
  onEdit,
}: {
  conversation: ConversationSummary;
  /** A message to open at (a search result) instead of the newest one, marked for a while. */
  focusMessageId: string | null;
  onReply: (message: MessageView) => void;
  onEdit: (message: MessageView) => void;
}) {
  const store = useChatStore();
  const me = useMe();
  const timeline = useChatState((state) => state.timelines[conversation.id]);
  const outbox = useChatState((state) => state.outbox);
  const people = useChatState((state) => state.people);
  const [deleting, setDeleting] = useState<MessageView | null>(null);
  const [forwarding, setForwarding] = useState<MessageView | null>(null);
  const [highlightedId, setHighlightedId] = useState<string | null>(focusMessageId);
  // A new search result to open: position at it again, and mark it for a few seconds.
  useEffect(() => {
    setHighlightedId(focusMessageId);
    if (!focusMessageId) return;
    positioned.current = false;
    const timer = setTimeout(() => setHighlightedId(null), 6_000);
    return () => clearTimeout(timer);
  }, [focusMessageId]);
  const [atBottom, setAtBottom] = useState(true);
  // Read up to here when the chat was opened: the divider stays there while the chat is open.
  const [readUpToOnOpen] = useState(() => (conversation.unreadCount > 0 ? conversation.lastReadSeq : null));

  const scrollRef = useRef<HTMLDivElement>(null);
  const listRef = useRef<HTMLOListElement>(null);
  const atBottomRef = useRef(true);
  const positioned = useRef(false);
  const previous = useRef<{ firstKey?: string; lastKey?: string; scrollHeight: number }>({ scrollHeight: 0 });

  // A reply's quote leads to the original: centred, focused and marked like a search result.
  const goToTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(goToTimer.current), []);
  const goToMessage = useCallback((messageId: string) => {
    const target = listRef.current?.querySelector<HTMLElement>(`:scope > li[data-message-id="${messageId}"]`);
    if (!target) return;
    target.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
    setHighlightedId(messageId);
    clearTimeout(goToTimer.current);
    goToTimer.current = setTimeout(() => setHighlightedId(null), 2_000);
  }, []);

  const messages = timeline?.messages;
  const hasOlder = timeline?.hasOlder ?? false;
  // Local previews of unsent pictures, as one string so that upload progress does not re-render the list.
  const previewUrlList = useChatState((state) =>
    Object.values(state.uploads)
      .flatMap((job) => (job.previewUrl ? [`${job.id} ${job.previewUrl}`] : []))
      .join("\n"),
  );
  const previewUrls = useMemo(
    () => new Map(previewUrlList.split("\n").flatMap((line) => (line ? [line.split(" ") as [string, string]] : []))),
    [previewUrlList],
  );
  const rows = useMemo<Row[]>(() => {
    const byId = new Map((messages ?? []).map((message) => [message.id, message]));
    const pending = outbox.filter((entry) => entry.conversationId === conversation.id);
    const all: { message: MessageView; status: DeliveryState; entry?: OutboxEntry }[] = [
      ...(messages ?? []).map((message) => ({
        message,
        status: message.senderId === me.id ? deliveryStateOf(conversation, message, me.id) : ("sent" as const),
      })),
      ...pending.map((entry) => ({
        message: pendingAsMessage(entry, previewUrls),
        status: entry.status === "failed" ? ("failed" as const) : ("sending" as const),
        entry,
      })),
    ];
    const result: Row[] = [];
    let unreadMarked = false;
    all.forEach(({ message, status, entry }, index) => {
      const before = all[index - 1]?.message;
      const after = all[index + 1]?.message;
      if (!before || !isSameDay(before.createdAt, message.createdAt)) {
        result.push({ kind: "day", key: `day:${message.createdAt.slice(0, 10)}:${message.id}`, label: formatDayLabel(message.createdAt) });
      }
      // Above the first message unread on opening, once what comes before it is loaded too.
      if (
        readUpToOnOpen !== null &&
        !unreadMarked &&
        !entry &&
        message.seq > readUpToOnOpen &&
        message.senderId !== me.id &&
        message.kind !== "system" &&
        (before ? before.seq <= readUpToOnOpen : !hasOlder)
      ) {
        unreadMarked = true;
        result.push({ kind: "unread", key: `unread:${message.id}` });
      }
      const joinsBefore =
        before !== undefined &&
        before.senderId === message.senderId &&
        isSameDay(before.createdAt, message.createdAt) &&
        Date.parse(message.createdAt) - Date.parse(before.createdAt) < groupWindowMs;
      const joinsAfter =
        after !== undefined &&
        after.senderId === message.senderId &&
        isSameDay(after.createdAt, message.createdAt) &&
        Date.parse(after.createdAt) - Date.parse(message.createdAt) < groupWindowMs;
      const sender = conversation.members.find((member) => member.userId === message.senderId) ?? people[message.senderId];
      const notice = systemNoticeOf(message);
      if (message.kind === "system") {
        const actor = message.senderId === me.id ? "You" : sender ? nameOf(sender) : "Someone";
        const nameOfUser = (userId: string) =>
          userId === me.id ? "you" : nameOf(conversation.members.find((member) => member.userId === userId) ?? people[userId]);
        if (notice) result.push({ kind: "notice", key: message.id, text: describeSystemNotice(notice, { actor, nameOf: nameOfUser }) });
        return;
      }
      const replyTarget = message.replyToId ? byId.get(message.replyToId) : undefined;
      result.push({
        kind: "message",
        key: entry ? `pending:${entry.clientId}` : message.id,
        item: {
          message,
          own: message.senderId === me.id,
          status,
          pending: entry ?? null,
          senderName: sender ? nameOf(sender) : "…",
          senderAvatarUrl: conversation.members.find((member) => member.userId === message.senderId)?.avatarUrl ?? null,
          firstInGroup: !joinsBefore,
          lastInGroup: !joinsAfter,
          replyTarget: replyTarget
            ? {
                message: replyTarget,
                senderName:
                  replyTarget.senderId === me.id
                    ? "You"
                    : nameOf(
                        conversation.members.find((member) => member.userId === replyTarget.senderId) ??
                          people[replyTarget.senderId],
                      ),
              }
            : message.replyToId
              ? { message: null, senderName: "" }
              : null,
        },
      });
    });
    return result;
  }, [messages, outbox, conversation, people, me.id, previewUrls, readUpToOnOpen, hasOlder]);

  // Senders and people named in notices who have since left the group: their names are looked up once.
  useEffect(() => {
    const known = new Set(conversation.members.map((member) => member.userId));
    const named = (messages ?? []).flatMap(peopleNamedBy);
    if (conversation.kind === "group" && conversation.creatorId) named.push(conversation.creatorId);
    for (const userId of new Set(named)) {
      if (!known.has(userId) && !people[userId]) void store.lookUpPerson(userId);
    }
  }, [store, messages, conversation.kind, conversation.creatorId, conversation.members, people]);

  const keyboard = useMessageListKeyboard(listRef, {
    messageOf: (messageId) => {
      const message = messages?.find((candidate) => candidate.id === messageId);
      return message ? { message, own: message.senderId === me.id } : null;
    },
    onReply,
    onEdit,
    onDelete: setDeleting,
    onForward: setForwarding,
    onReact: (message, emoji) => void store.toggleReaction(message, emoji),
  });

  const lastKey = rows.at(-1)?.key;
  const firstKey = rows.find((row) => row.kind === "message")?.key;

  /*
   * Keeps the view steady: the first load opens at the newest message; older pages prepended
   * above leave what you are reading where it was; new messages scroll into view only if you
   * were already at the bottom (or sent them yourself).
   */
  useLayoutEffect(() => {
    const element = scrollRef.current;
    if (!element || !timeline?.loaded) return;
    const before = previous.current;
    if (!positioned.current) {
      if (focusMessageId) {
        // Opened at a search result: wait until its page is loaded, then centre it.
        const target = element.querySelector(`[data-message-id="${focusMessageId}"]`);
        if (!target) return;
        target.scrollIntoView({ block: "center" });
        atBottomRef.current = isOnBottom(element);
        setAtBottom(atBottomRef.current);
      } else {
        element.scrollTop = element.scrollHeight;
      }
      positioned.current = true;
    } else if (before.firstKey !== firstKey && before.lastKey === lastKey) {
      element.scrollTop += element.scrollHeight - before.scrollHeight;
    } else if (atBottomRef.current || (before.lastKey !== lastKey && lastKey?.startsWith("pending:"))) {
      element.scrollTop = element.scrollHeight;
      atBottomRef.current = true;
    }
    previous.current = { firstKey, lastKey, scrollHeight: element.scrollHeight };
  });

  // The composer growing or the window resizing must not push the newest message out of view.
  useEffect(() => {
    const element = scrollRef.current;
    if (!element) return;
    const observer = new ResizeObserver(() => {
      if (atBottomRef.current) element.scrollTop = element.scrollHeight;
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const onScroll = useCallback(() => {
    const element = scrollRef.current;
    if (!element) return;
    const bottom = isOnBottom(element);
    atBottomRef.current = bottom;
    setAtBottom(bottom);
    if (element.scrollTop < loadOlderThresholdPx) void store.loadOlder(conversation.id);
  }, [store, conversation.id]);

  // A short first page may not fill the screen: keep loading until it scrolls or history ends.
  useEffect(() => {
    const element = scrollRef.current;
    if (element && timeline?.loaded && timeline.hasOlder && !timeline.loadingOlder && element.scrollHeight <= element.clientHeight) {
      void store.loadOlder(conversation.id);
    }
  }, [store, conversation.id, timeline?.loaded, timeline?.hasOlder, timeline?.loadingOlder, rows.length]);

  // Read while on screen: the window focused, the tab visible and the newest message in view.
  const lastSeq = conversation.lastSeq;
  const unread = conversation.unreadCount;
  const loaded = timeline?.loaded ?? false;
  useEffect(() => {
    if (!loaded) return;
    const markIfSeen = () => {
      if (document.visibilityState === "visible" && document.hasFocus() && atBottomRef.current) {
        store.markRead(conversation.id);
      }
    };
    markIfSeen();
    window.addEventListener("focus", markIfSeen);
    document.addEventListener("visibilitychange", markIfSeen);
    return () => {
      window.removeEventListener("focus", markIfSeen);
      document.removeEventListener("visibilitychange", markIfSeen);
    };
  }, [store, conversation.id, lastSeq, unread, atBottom, loaded]);

  function jumpToLatest() {
    const element = scrollRef.current;
    if (!element) return;
    element.scrollTo({ top: element.scrollHeight, behavior: "smooth" });
  }

  return (
    <div className="relative min-h-0 flex-1">
      <div
        ref={scrollRef}
        onScroll={onScroll}
        data-testid="message-scroller"
        className="h-full overflow-y-auto overscroll-contain [overflow-anchor:none]"
      >
        <div className="mx-auto flex min-h-full max-w-3xl flex-col justify-end px-2 py-4 md:px-6">
          {!loaded ? (
            <div className="flex flex-1 items-center justify-center" role="status" aria-label="Loading messages">
              <span className="size-6 animate-spin rounded-full border-4 border-sky-600 border-t-transparent" />
            </div>
          ) : (
            <>
              {timeline?.hasOlder ? (
                <div className="flex h-10 items-center justify-center" aria-hidden={!timeline.loadingOlder}>
                  {timeline.loadingOlder && (
                    <span role="status" aria-label="Loading older messages" className="size-5 animate-spin rounded-full border-2 border-sky-600 border-t-transparent" />
                  )}
                </div>
              ) : (
                <p className="mx-auto mb-4 rounded-full bg-white/70 px-3 py-1 text-xs text-zinc-500 dark:text-zinc-400 dark:bg-zinc-800/70">
                  {conversation.kind === "group"
                    ? `${conversation.creatorId === me.id ? "You" : nameOf(conversation.members.find((member) => member.userId === conversation.creatorId) ?? (conversation.creatorId ? people[conversation.creatorId] : undefined))} created the group`
                    : rows.length === 0
                      ? "No messages yet. Say hello!"
                      : "This is the beginning of the conversation."}
                </p>
              )}
              <ol ref={listRef} aria-label="Messages" className="flex flex-col" {...keyboard.listProps}>
                {rows.map((row) =>
                  row.kind === "notice" ? (
                    <li key={row.key} data-testid="system-notice" className="my-2 flex justify-center">
                      <span className="rounded-full bg-amber-50 px-3 py-1 text-center text-xs text-amber-800 dark:bg-amber-950/60 dark:text-amber-200">
                        {row.text}
                      </span>
                    </li>
                  ) : row.kind === "unread" ? (
                    <li key={row.key} data-testid="unread-divider" className="my-3 flex items-center gap-3" aria-label="Unread messages">
                      <span aria-hidden="true" className="h-px flex-1 bg-sky-300 dark:bg-sky-800" />
                      <span className="rounded-full bg-sky-100 px-3 py-1 text-xs font-medium text-sky-800 dark:bg-sky-950 dark:text-sky-200">Unread messages</span>
                      <span aria-hidden="true" className="h-px flex-1 bg-sky-300 dark:bg-sky-800" />
                    </li>
                  ) : row.kind === "day" ? (
                    <li key={row.key} className="z-10 my-3 flex justify-center md:sticky md:top-2" aria-label={row.label}>
                      <span className="rounded-full bg-white/90 px-3 py-1 text-xs font-medium text-zinc-600 shadow-sm backdrop-blur dark:bg-zinc-800/90 dark:text-zinc-300">
                        {row.label}
                      </span>
                    </li>
                  ) : (
                    <MessageBubble
                      key={row.key}
                      item={row.item}
                      group={conversation.kind === "group"}
                      highlighted={row.item.message.id === highlightedId}
                      onReply={onReply}
                      onEdit={onEdit}
                      onDelete={setDeleting}
                      onForward={setForwarding}
                      onGoTo={goToMessage}
                    />
                  ),
                )}
              </ol>
            </>
          )}
        </div>
      </div>

      {!atBottom && (
        <button
          type="button"
          onClick={jumpToLatest}
          aria-label={unread > 0 ? `Jump to latest, ${unread} unread` : "Jump to latest"}
          className="absolute right-4 bottom-4 flex size-11 items-center justify-center rounded-full bg-white text-zinc-700 shadow-lg ring-1 ring-zinc-200 hover:bg-zinc-50 dark:bg-zinc-800 dark:text-zinc-200 dark:ring-zinc-700"
        >
          <ArrowDownIcon />
          {unread > 0 && (
            <span className="absolute -top-1.5 -right-1 flex h-5 min-w-5 items-center justify-center rounded-full bg-sky-700 px-1 text-xs font-semibold text-white">
              {unread}
            </span>
          )}
        </button>
      )}

      {keyboard.hint}
      {keyboard.menu}
      <ForwardDialog message={forwarding} onClose={() => setForwarding(null)} />

      <Dialog
        open={deleting !== null}
        title="Delete message?"
        onClose={() => setDeleting(null)}
        footer={
          <>
            <Button variant="ghost" onClick={() => setDeleting(null)}>
              Cancel
            </Button>
            <Button
              variant="danger"
              onClick={() => {
                if (deleting) void store.deleteMessage(deleting.id);
                setDeleting(null);
              }}
            >
              Delete
            </Button>
          </>
        }
      >
        <p className="text-sm text-zinc-600 dark:text-zinc-400">It will be deleted for everyone in this conversation.</p>
      </Dialog>
    </div>
  );
}
