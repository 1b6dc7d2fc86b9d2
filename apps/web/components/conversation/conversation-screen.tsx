"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";

import type { MessageView } from "../../lib/api-types";
import { useChatState, useChatStore } from "../../lib/chat-context";
import { ConversationHeader } from "./conversation-header";
import { Composer } from "./composer";
import { ConversationInfoPanel } from "./conversation-info-panel";
import { MessageList } from "./message-list";

export function ConversationScreen({ conversationId }: { conversationId: string }) {
  const store = useChatStore();
  const conversation = useChatState((state) => state.conversations[conversationId]);
  const conversationsLoaded = useChatState((state) => state.conversationsLoaded);
  const [replyTo, setReplyTo] = useState<MessageView | null>(null);
  const [editing, setEditing] = useState<MessageView | null>(null);
  const [infoOpen, setInfoOpen] = useState(false);
  const startEditing = (message: MessageView) => {
    setReplyTo(null);
    setEditing(message);
  };
  const known = conversation !== undefined;
  // A search result opens the conversation at its message: ?message=<id>&seq=<seq>.
  const searchParams = useSearchParams();
  const focusMessageId = searchParams.get("message");
  const focusSeq = Number(searchParams.get("seq"));

  useEffect(() => {
    if (!known) return;
    if (focusMessageId && Number.isInteger(focusSeq) && focusSeq > 0) void store.revealMessage(conversationId, focusSeq);
    else void store.openTimeline(conversationId);
  }, [store, conversationId, known, focusMessageId, focusSeq]);

  if (!conversation) {
    return (
      <div className="flex flex-1 flex-col items-center justify-center gap-3 p-6 text-center">
        {conversationsLoaded ? (
          <>
            <p className="text-zinc-500 dark:text-zinc-400">This conversation isn’t available. You may have left it or been removed.</p>
            <Link href="/chats" className="font-medium text-sky-700 hover:underline dark:text-sky-400">
              Back to chats
            </Link>
          </>
        ) : (
          <span role="status" aria-label="Loading conversation" className="size-6 animate-spin rounded-full border-4 border-sky-600 border-t-transparent" />
        )}
      </div>
    );
  }

  return (
    <div className="flex min-h-0 flex-1">
      <section aria-label="Conversation" className="flex min-w-0 flex-1 flex-col bg-slate-100 dark:bg-zinc-900">
        <ConversationHeader conversation={conversation} infoOpen={infoOpen} onToggleInfo={() => setInfoOpen((open) => !open)} />
        <MessageList
          key={conversationId}
          conversation={conversation}
          focusMessageId={focusMessageId}
          onReply={(message) => {
            setEditing(null);
            setReplyTo(message);
          }}
          onEdit={startEditing}
        />
        <Composer
          key={conversationId}
          conversation={conversation}
          replyTo={replyTo}
          editing={editing}
          onCancelReply={() => setReplyTo(null)}
          onCancelEdit={() => setEditing(null)}
          onEdit={startEditing}
        />
      </section>
      {infoOpen && <ConversationInfoPanel conversation={conversation} onClose={() => setInfoOpen(false)} />}
    </div>
  );
}
