"use client";

import { useEffect, useState } from "react";

import { describeProblem } from "../../lib/api-errors";
import type { StickerView } from "../../lib/api-types";
import { useChatStore } from "../../lib/chat-context";

/** The sticker pack that ships with Parley; a tap sends one. */
export function StickerPanel({ onPick }: { onPick: (sticker: StickerView) => void }) {
  const store = useChatStore();
  const [stickers, setStickers] = useState<StickerView[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    store.client.api.stickers.list
      .query()
      .then((list) => {
        if (!cancelled) setStickers(list);
      })
      .catch((error: unknown) => {
        if (!cancelled) setProblem(describeProblem(error).message);
      });
    return () => {
      cancelled = true;
    };
  }, [store]);

  if (problem) return <p className="p-4 text-sm text-rose-600">{problem}</p>;
  if (!stickers) return <p className="p-4 text-sm text-zinc-500">Loading stickers…</p>;
  return (
    <ul data-testid="sticker-panel" className="grid h-[min(24rem,60dvh)] grid-cols-4 content-start gap-1 overflow-y-auto p-2">
      {stickers.map((sticker) => (
        <li key={sticker.id}>
          <button
            type="button"
            onClick={() => onPick(sticker)}
            aria-label={`Send sticker ${sticker.name}`}
            title={sticker.name}
            className="flex aspect-square w-full items-center justify-center rounded-xl p-1 hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-sky-500 dark:hover:bg-zinc-800"
          >
            <img src={sticker.url} alt="" loading="lazy" className="size-full object-contain" />
          </button>
        </li>
      ))}
    </ul>
  );
}
