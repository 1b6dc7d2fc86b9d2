"use client";

import { useEffect, useRef, useState } from "react";

import { describeMute, muteChoices } from "../../lib/mutes";
import { IconButton } from "../ui/button";
import { BellIcon, BellOffIcon } from "../ui/icons";
import { useNotifications } from "./notifications-provider";

/**
 * The conversation header's bell: mute for an hour, eight hours, a week or until unmuted, or
 * unmute. A timed mute still lets @mentions through; "Until I unmute" silences everything.
 */
export function MuteMenu({ conversationId, group }: { conversationId: string; group: boolean }) {
  const { mutes, mute, unmute } = useNotifications();
  const current = mutes[conversationId];
  const [open, setOpen] = useState(false);
  const [failed, setFailed] = useState(false);
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const onPointer = (event: PointerEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") setOpen(false);
    };
    document.addEventListener("pointerdown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  const run = async (action: () => Promise<void>) => {
    setOpen(false);
    setFailed(false);
    await action().catch(() => setFailed(true));
  };

  const label = current ? `${describeMute(current)}: change` : "Mute notifications";
  return (
    <div ref={root} className="relative">
      <IconButton
        label={failed ? "Could not change notifications; try again" : label}
        aria-haspopup="menu"
        aria-expanded={open}
        data-testid="mute-button"
        className={current ? "text-amber-600 dark:text-amber-400" : ""}
        onClick={() => setOpen((value) => !value)}
      >
        {current ? <BellOffIcon /> : <BellIcon />}
      </IconButton>
      {open && (
        <div
          role="menu"
          aria-label="Notifications"
          className="absolute right-0 top-11 z-30 w-60 rounded-xl border border-zinc-200 bg-white p-1 text-sm shadow-lg dark:border-zinc-700 dark:bg-zinc-900"
        >
          {current && (
            <p className="px-3 py-2 text-xs text-zinc-500 dark:text-zinc-400" data-testid="mute-status">
              {describeMute(current)}
            </p>
          )}
          {muteChoices.map((choice) => (
            <button
              key={choice.duration}
              type="button"
              role="menuitem"
              className="block w-full rounded-lg px-3 py-2 text-left hover:bg-zinc-100 dark:hover:bg-zinc-800"
              onClick={() => void run(() => mute(conversationId, choice.duration))}
            >
              {choice.duration === "forever" ? "Mute until I unmute" : `Mute ${choice.label.toLowerCase()}`}
            </button>
          ))}
          {current && (
            <button
              type="button"
              role="menuitem"
              className="block w-full rounded-lg px-3 py-2 text-left font-medium text-sky-700 hover:bg-zinc-100 dark:text-sky-400 dark:hover:bg-zinc-800"
              onClick={() => void run(() => unmute(conversationId))}
            >
              Unmute
            </button>
          )}
          {group && (
            <p className="border-t border-zinc-100 px-3 py-2 text-xs text-zinc-500 dark:border-zinc-800 dark:text-zinc-400">
              Timed mutes still notify you when someone @mentions you.
            </p>
          )}
        </div>
      )}
    </div>
  );
}
