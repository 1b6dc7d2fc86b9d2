import type { Metadata } from "next";

import { ChatIcon } from "../../../components/ui/icons";

export const metadata: Metadata = { title: "Chats" };

/** Beside the list on wide screens, before any conversation is picked. */
export default function ChatsPage() {
  return (
    <div className="flex flex-1 flex-col items-center justify-center gap-3 bg-slate-100 p-6 text-center dark:bg-zinc-900">
      <span className="flex size-16 items-center justify-center rounded-full bg-white text-sky-600 shadow-sm dark:bg-zinc-800">
        <ChatIcon size={30} />
      </span>
      <h1 className="text-lg font-medium">Pick a conversation</h1>
      <p className="max-w-xs text-sm text-zinc-600 dark:text-zinc-400">Choose a chat on the left, or start a new one with the pencil button.</p>
    </div>
  );
}
