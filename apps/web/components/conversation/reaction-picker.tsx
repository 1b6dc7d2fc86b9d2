"use client";

import { useEffect, useRef } from "react";

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
  const closeRef = useRef(onClose);
  useEffect(() => {
    closeRef.current = onClose;
  });

  useEffect(() => {
    ref.current?.querySelector("button")?.focus();
    const onPointerDown = (event: PointerEvent) => {
      // The toolbar's own React button toggles the picker itself.
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
          className="flex size-9 items-center justify-center rounded-full text-xl transition-transform hover:scale-125 hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-sky-500 dark:hover:bg-zinc-700"
        >
          {emoji}
        </button>
      ))}
    </div>
  );
}
