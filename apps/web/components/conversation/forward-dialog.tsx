"use client";

import { useState } from "react";

import type { MessageView } from "../../lib/api-types";
import { useChatState, useChatStore, useMe } from "../../lib/chat-context";
import { sortedConversations } from "../../lib/chat-state";
import { conversationTitle, directPeerOf } from "../../lib/people";
import { Avatar } from "../ui/avatar";
import { Button } from "../ui/button";
import { Dialog } from "../ui/dialog";

/** Picks the chats a message is forwarded to; each row is one labelled checkbox. */
export function ForwardDialog({ message, onClose }: { message: MessageView | null; onClose: () => void }) {
  const store = useChatStore();
  const me = useMe();
  const conversations = useChatState((state) => state.conversations);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [sending, setSending] = useState(false);
  const close = () => {
    setSelected(new Set());
    onClose();
  };

  return (
    <Dialog
      open={message !== null}
      title="Forward to…"
      onClose={close}
      footer={
        <>
          <Button variant="ghost" onClick={close}>
            Cancel
          </Button>
          <Button
            disabled={selected.size === 0 || sending}
            onClick={() => {
              if (!message) return;
              setSending(true);
              void store.forwardMessage(message.id, [...selected]).then((done) => {
                setSending(false);
                if (done) close();
              });
            }}
          >
            {selected.size > 1 ? `Forward to ${selected.size} chats` : "Forward"}
          </Button>
        </>
      }
    >
      {message?.body && <p className="mb-3 line-clamp-3 rounded-lg bg-zinc-100 px-3 py-2 text-sm dark:bg-zinc-800">{message.body}</p>}
      <fieldset className="flex max-h-72 flex-col gap-1 overflow-y-auto">
        <legend className="mb-2 text-sm font-medium text-zinc-700 dark:text-zinc-300">Chats</legend>
        {sortedConversations(conversations).map((conversation) => {
          const title = conversationTitle(conversation, me.id);
          const peer = directPeerOf(conversation, me.id);
          return (
            <label
              key={conversation.id}
              className="flex cursor-pointer items-center gap-3 rounded-lg px-2 py-1.5 hover:bg-zinc-100 dark:hover:bg-zinc-800"
            >
              <input
                type="checkbox"
                className="size-4 accent-sky-600"
                checked={selected.has(conversation.id)}
                onChange={(event) => {
                  const next = new Set(selected);
                  if (event.target.checked) next.add(conversation.id);
                  else next.delete(conversation.id);
                  setSelected(next);
                }}
              />
              <Avatar id={peer?.userId ?? conversation.id} name={title} src={peer?.avatarUrl} size="sm" />
              <span className="min-w-0 flex-1 truncate text-sm font-medium">{title}</span>
            </label>
          );
        })}
      </fieldset>
    </Dialog>
  );
}
