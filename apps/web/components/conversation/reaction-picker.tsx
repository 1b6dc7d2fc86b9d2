"use client";

import { useEffect, useRef, useState } from "react";

import { Dialog } from "../ui/dialog";
import { PlusIcon } from "../ui/icons";
import { EmojiPanel } from "./emoji-panel";

/** The quick set offered for reactions; any single emoji is accepted by the server. */
export const quickReactions = ["👍", "❤️", "😂", "😮", "😢", "🙏", "🔥", "🎉"] as const;

export function ReactionPicker({
  onPick,
  onClose,
  align,
}: {
  onPick: (emoji: string) => void;
  onClose: () => void;
  align: "left" | "right";
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [choosingAny, setChoosingAny] = useState(false);
  const choosingRef = useRef(false);
  useEffect(() => {
    choosingRef.current = choosingAny;
  });
  const closeRef = useRef(onClose);
  useEffect(() => {
    closeRef.current = onClose;
  });

  useEffect(() => {
    ref.current?.querySelector("button")?.focus();
    const onPointerDown = (event: PointerEvent) => {
      // The toolbar's own React button toggles the picker itself; the full set is a modal of its own.
      if (choosingRef.current) return;
      if (!ref.current?.parentElement?.contains(event.target as Node)) closeRef.current();
    };
    document.addEventListener("pointerdown", onPointerDown);
    return () => document.removeEventListener("pointerdown", onPointerDown);
  }, []);

  return (
    <div
      ref={ref}
      role="group"
      aria-label="Pick a reaction"
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          event.stopPropagation();
          onClose();
        }
      }}
      className={`absolute bottom-full z-20 mb-1 flex gap-0.5 rounded-full bg-white p-1 shadow-lg ring-1 ring-zinc-200 dark:bg-zinc-800 dark:ring-zinc-700 ${
        align === "right" ? "right-0" : "left-0"
      }`}
    >
      {quickReactions.map((emoji) => (
        <button
          key={emoji}
          type="button"
          aria-label={`React with ${emoji}`}
          onClick={() => onPick(emoji)}
          className="flex size-9 items-center justify-center rounded-full font-emoji text-xl transition-transform hover:scale-125 hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-sky-500 dark:hover:bg-zinc-700"
        >
          {emoji}
        </button>
      ))}
      <button
        type="button"
        aria-label="More reactions"
        title="More reactions"
        onClick={() => setChoosingAny(true)}
        className="flex size-9 items-center justify-center rounded-full text-zinc-500 hover:bg-zinc-100 hover:text-zinc-900 focus-visible:outline-2 focus-visible:outline-sky-500 dark:hover:bg-zinc-700 dark:hover:text-zinc-100"
      >
        <PlusIcon size={18} />
      </button>
      <Dialog open={choosingAny} title="React with any emoji" onClose={onClose}>
        {choosingAny && <EmojiPanel onPick={onPick} className="-mx-5 -my-4" />}
      </Dialog>
    </div>
  );
}
