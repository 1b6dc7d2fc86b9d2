"use client";

import { useChatState, useChatStore } from "../../lib/chat-context";
import { CloseIcon } from "../ui/icons";

/** Short-lived messages about actions that failed or happened elsewhere. */
export function Notices() {
  const store = useChatStore();
  const notices = useChatState((state) => state.notices);
  return (
    <div className="pointer-events-none fixed inset-x-0 bottom-20 z-50 flex flex-col items-center gap-2 px-4 md:bottom-6">
      {notices.map((notice) => (
        <div
          key={notice.id}
          role={notice.tone === "error" ? "alert" : "status"}
          className={`pointer-events-auto flex max-w-md items-center gap-3 rounded-xl px-4 py-2.5 text-sm shadow-lg ${
            notice.tone === "error" ? "bg-rose-600 text-white" : "bg-zinc-900 text-white dark:bg-zinc-100 dark:text-zinc-900"
          }`}
        >
          <span>{notice.text}</span>
          <button
            type="button"
            aria-label="Dismiss"
            onClick={() => store.dismissNotice(notice.id)}
            className="rounded-full p-1 opacity-80 hover:opacity-100"
          >
            <CloseIcon size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}
