"use client";

import { useEffect, useRef } from "react";

/** Where the picker reads its emoji data: the app's own route, never a CDN. */
const emojiDataUrl = "/emoji-data.json";

/**
 * The full emoji set with search, skin tones and the reader's recently used ones
 * (emoji-picker-element keeps those in IndexedDB). The element is created in the browser only,
 * with its data source set before it first connects, so it never asks another origin.
 */
export function EmojiPanel({ onPick, className = "" }: { onPick: (emoji: string) => void; className?: string }) {
  const hostRef = useRef<HTMLDivElement>(null);
  const pickRef = useRef(onPick);
  useEffect(() => {
    pickRef.current = onPick;
  });

  useEffect(() => {
    let cancelled = false;
    let element: HTMLElement | null = null;
    const onClick = (event: Event) => {
      const unicode = (event as CustomEvent<{ unicode?: string }>).detail.unicode;
      if (unicode) pickRef.current(unicode);
    };
    void import("emoji-picker-element/picker.js").then(({ default: Picker }) => {
      if (cancelled || !hostRef.current) return;
      const picker = new Picker({ dataSource: emojiDataUrl, locale: "en" });
      picker.classList.add("parley-emoji-picker");
      picker.addEventListener("emoji-click", onClick);
      hostRef.current.append(picker);
      element = picker;
      // The search box takes the keyboard at once, as in other messengers.
      requestAnimationFrame(() => picker.shadowRoot?.querySelector<HTMLInputElement>("input[type=search]")?.focus());
    });
    return () => {
      cancelled = true;
      element?.removeEventListener("emoji-click", onClick);
      element?.remove();
    };
  }, []);

  return <div ref={hostRef} data-testid="emoji-panel" className={`h-[min(24rem,60dvh)] ${className}`} />;
}
