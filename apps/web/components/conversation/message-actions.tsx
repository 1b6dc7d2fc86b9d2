"use client";

import {
  useCallback,
  useEffect,
  useId,
  useLayoutEffect,
  useRef,
  useState,
  type FocusEvent,
  type KeyboardEvent,
  type MouseEvent,
  type PointerEvent,
  type ReactNode,
  type RefObject,
} from "react";

import type { MessageView } from "../../lib/api-types";
import { Dialog } from "../ui/dialog";
import { CopyIcon, EditIcon, ForwardIcon, PlusIcon, ReplyIcon, TrashIcon } from "../ui/icons";
import { EmojiPanel } from "./emoji-panel";
import { quickReactions } from "./reaction-picker";

/** A touch held this long without moving opens the message's menu. */
const longPressMs = 450;
/** Moving a held touch further than this is a scroll, not a long press. */
const longPressSlopPx = 10;

const messageSelector = ':scope > li[data-testid="message"]';
/** What a touch on a message works instead of holding for its menu: buttons, links, a video's or a voice note's controls. */
const controlSelector = 'button, a[href], input, textarea, select, video[controls], audio[controls], [role="slider"]';
/** What inside a sent message leaves the Tab order: its controls and anything else made focusable. */
const tabStopSelector = `${controlSelector}, [tabindex]:not([tabindex="-1"])`;
/** The hover toolbar beside a message: its actions are all in the message's menu, so Enter does not reach it. */
const toolbarSelector = "[data-message-toolbar]";

export interface MessageActionHandlers {
  /** The message an item of the list shows, with whether it is the viewer's; null for one still sending. */
  messageOf: (messageId: string) => { message: MessageView; own: boolean } | null;
  onReply: (message: MessageView) => void;
  onReact: (message: MessageView, emoji: string) => void;
  onForward: (message: MessageView) => void;
  onEdit: (message: MessageView) => void;
  onDelete: (message: MessageView) => void;
}

interface OpenMenu {
  message: MessageView;
  own: boolean;
  /** Where it opens: the pointer, or the message's corner for the keyboard. */
  x: number;
  y: number;
  /** Focus goes back here when the menu closes. */
  item: HTMLElement;
}

function itemsOf(list: HTMLElement): HTMLElement[] {
  return Array.from(list.querySelectorAll<HTMLElement>(messageSelector));
}

/**
 * The controls Enter reaches inside a message and Tab cycles through, in reading order: links,
 * players, file cards, pictures, reaction chips. Not the hover toolbar, nor what an open dialog
 * holds, nor disabled or hidden controls.
 */
function controlsOf(item: HTMLElement): HTMLElement[] {
  return Array.from(item.querySelectorAll<HTMLElement>(controlSelector)).filter(
    (control) =>
      !control.closest(`dialog, ${toolbarSelector}`) && !control.matches(":disabled") && control.getClientRects().length > 0,
  );
}

function itemAround(list: HTMLElement, target: EventTarget | null): HTMLElement | null {
  if (!(target instanceof Element)) return null;
  const item = target.closest<HTMLElement>('li[data-testid="message"]');
  return item && item.parentElement === list ? item : null;
}

/**
 * The message list as one Tab stop (a roving tabindex): arrow keys, Home and End move between
 * messages, Space opens the focused message's menu, and the controls inside messages are left
 * out of the Tab order. Enter or F2 moves into the focused message's own controls (Enter opens
 * the menu of a message that has none), Tab and Shift+Tab cycle through them without leaving the
 * message, and Escape goes back to the message: the grid pattern's "interactive content in a
 * cell". The same menu opens on a long press (touch) or a right click.
 */
export function useMessageListKeyboard(listRef: RefObject<HTMLOListElement | null>, handlers: MessageActionHandlers) {
  const [menu, setMenu] = useState<OpenMenu | null>(null);
  const activeId = useRef<string | null>(null);
  const press = useRef<{ timer: ReturnType<typeof setTimeout>; x: number; y: number } | null>(null);
  const handlersRef = useRef(handlers);
  const hintId = useId();
  useLayoutEffect(() => {
    handlersRef.current = handlers;
  });

  // One message holds tabindex 0 (the last one focused, else the newest); the controls in sent
  // messages are -1, reached with Enter instead. A message still sending has no id and is never
  // the remembered one. Messages with controls tell screen readers that Enter reaches them.
  const applyTabStops = useCallback(() => {
    const list = listRef.current;
    if (!list) return;
    const items = itemsOf(list);
    const active = items.find((item) => item.dataset.messageId === activeId.current) ?? items.at(-1);
    for (const item of items) {
      item.tabIndex = item === active ? 0 : -1;
      // A message that failed to send keeps its Retry and Discard in the Tab order: it has no menu.
      if (!item.dataset.messageId) continue;
      for (const control of item.querySelectorAll<HTMLElement>(tabStopSelector)) {
        if (!control.closest("dialog")) control.tabIndex = -1;
      }
      if (controlsOf(item).length > 0) item.setAttribute("aria-describedby", hintId);
      else item.removeAttribute("aria-describedby");
    }
  }, [listRef, hintId]);

  useEffect(() => {
    const list = listRef.current;
    if (!list) return;
    applyTabStops();
    const observer = new MutationObserver(applyTabStops);
    observer.observe(list, { childList: true, subtree: true });
    return () => observer.disconnect();
  });

  const open = useCallback((item: HTMLElement, at: { x: number; y: number } | null) => {
    const messageId = item.dataset.messageId;
    const found = messageId ? handlersRef.current.messageOf(messageId) : null;
    if (!found || found.message.deletedAt) return;
    const rect = item.getBoundingClientRect();
    const point = at ?? { x: found.own ? rect.right : rect.left, y: rect.bottom };
    setMenu({ ...found, ...point, item });
  }, []);

  const focusItem = useCallback((item: HTMLElement | undefined) => {
    if (!item) return;
    activeId.current = item.dataset.messageId ?? null;
    applyTabStops();
    item.focus();
    item.scrollIntoView({ block: "nearest" });
  }, [applyTabStops]);

  // Inside a sent message's controls: Tab and Shift+Tab go round them, Escape goes back to the message.
  const keyDownInMessage = (event: KeyboardEvent<HTMLOListElement>, item: HTMLElement) => {
    if (event.defaultPrevented || !item.dataset.messageId) return;
    const controls = controlsOf(item);
    const index = controls.indexOf(event.target as HTMLElement);
    if (index === -1) return;
    if (event.key === "Tab") {
      event.preventDefault();
      const step = event.shiftKey ? -1 : 1;
      controls[(index + step + controls.length) % controls.length]?.focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      item.focus();
    }
  };

  const cancelPress = () => {
    if (press.current) clearTimeout(press.current.timer);
    press.current = null;
  };

  const listProps = {
    // Focus on a message, or on a control inside one, makes it the list's Tab stop.
    onFocus: (event: FocusEvent<HTMLOListElement>) => {
      const list = listRef.current;
      const item = list ? itemAround(list, event.target) : null;
      if (item?.dataset.messageId && !(event.target as Element).closest("dialog") && activeId.current !== item.dataset.messageId) {
        activeId.current = item.dataset.messageId ?? null;
        applyTabStops();
      }
    },
    onKeyDown: (event: KeyboardEvent<HTMLOListElement>) => {
      const list = listRef.current;
      if (!list) return;
      const item = itemAround(list, event.target);
      if (!item) return;
      if (event.target !== item) {
        keyDownInMessage(event, item);
        return;
      }
      const items = itemsOf(list);
      const index = items.indexOf(item);
      const moves: Record<string, number | undefined> = {
        ArrowUp: index - 1,
        ArrowDown: index + 1,
        Home: 0,
        End: items.length - 1,
        PageUp: Math.max(0, index - 10),
        PageDown: Math.min(items.length - 1, index + 10),
      };
      const to = moves[event.key];
      if (to !== undefined) {
        event.preventDefault();
        focusItem(items[to]);
      } else if (event.key === "Enter" || event.key === "F2") {
        const first = item.dataset.messageId ? controlsOf(item)[0] : undefined;
        if (first) {
          event.preventDefault();
          first.focus();
        } else if (event.key === "Enter") {
          event.preventDefault();
          open(item, null);
        }
      } else if (event.key === " ") {
        event.preventDefault();
        open(item, null);
      }
    },
    onContextMenu: (event: MouseEvent<HTMLOListElement>) => {
      const list = listRef.current;
      const item = list ? itemAround(list, event.target) : null;
      // Links and selected text keep the browser's own menu.
      if (!item || (event.target as Element).closest("a") || window.getSelection()?.toString()) return;
      event.preventDefault();
      cancelPress();
      open(item, { x: event.clientX, y: event.clientY });
    },
    onPointerDown: (event: PointerEvent<HTMLOListElement>) => {
      if (event.pointerType !== "touch") return;
      const list = listRef.current;
      const item = list ? itemAround(list, event.target) : null;
      if (!item || (event.target as Element).closest(controlSelector)) return;
      cancelPress();
      const { clientX: x, clientY: y } = event;
      press.current = { x, y, timer: setTimeout(() => {
        press.current = null;
        open(item, { x, y });
      }, longPressMs) };
    },
    onPointerMove: (event: PointerEvent<HTMLOListElement>) => {
      const start = press.current;
      if (start && Math.hypot(event.clientX - start.x, event.clientY - start.y) > longPressSlopPx) cancelPress();
    },
    onPointerUp: cancelPress,
    onPointerCancel: cancelPress,
  };

  const close = useCallback(() => {
    setMenu((current) => {
      current?.item.focus({ preventScroll: true });
      return null;
    });
  }, []);

  const menuElement: ReactNode = menu ? (
    <MessageMenu
      menu={menu}
      onClose={close}
      run={(action) => {
        const { message } = menu;
        setMenu(null);
        menu.item.focus({ preventScroll: true });
        action(handlersRef.current, message);
      }}
    />
  ) : null;

  const hint: ReactNode = (
    <span id={hintId} hidden>
      Enter reaches its links and controls, Escape comes back.
    </span>
  );

  return { listProps, menu: menuElement, hint };
}

type Action = (handlers: MessageActionHandlers, message: MessageView) => void;

function MessageMenu({ menu, onClose, run }: { menu: OpenMenu; onClose: () => void; run: (action: Action) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const [position, setPosition] = useState<{ left: number; top: number } | null>(null);
  /** The full emoji set, for a reaction outside the quick row. */
  const [choosingAny, setChoosingAny] = useState(false);
  const pickerRef = useRef<HTMLDivElement>(null);

  // Opened beside the message or the pointer, kept inside the window.
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    const margin = 8;
    const { width, height } = element.getBoundingClientRect();
    const left = Math.min(Math.max(margin, menu.own ? menu.x - width : menu.x), window.innerWidth - width - margin);
    const top = menu.y + height + margin > window.innerHeight ? Math.max(margin, menu.y - height) : menu.y;
    setPosition({ left, top });
  }, [menu]);

  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
  }, []);

  const { message, own } = menu;
  const items: { label: string; icon: ReactNode; action: Action; danger?: boolean }[] = [
    { label: "Reply", icon: <ReplyIcon size={18} />, action: (handlers, target) => handlers.onReply(target) },
    ...(message.body
      ? [{ label: "Copy text", icon: <CopyIcon size={18} />, action: (_: MessageActionHandlers, target: MessageView) => void navigator.clipboard?.writeText(target.body ?? "") }]
      : []),
    { label: "Forward", icon: <ForwardIcon size={18} />, action: (handlers, target) => handlers.onForward(target) },
    ...(own
      ? [
          { label: "Edit", icon: <EditIcon size={18} />, action: (handlers: MessageActionHandlers, target: MessageView) => handlers.onEdit(target) },
          { label: "Delete", icon: <TrashIcon size={18} />, action: (handlers: MessageActionHandlers, target: MessageView) => handlers.onDelete(target), danger: true },
        ]
      : []),
  ];

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const entries = Array.from(ref.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? []);
    const index = entries.indexOf(document.activeElement as HTMLElement);
    const step = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[event.key];
    if (event.key === "Escape" || event.key === "Tab") {
      event.preventDefault();
      event.stopPropagation();
      onClose();
    } else if (step !== undefined) {
      event.preventDefault();
      entries[(index + step + entries.length) % entries.length]?.focus();
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      (event.key === "Home" ? entries[0] : entries.at(-1))?.focus();
    }
  }

  return (
    <div className="fixed inset-0 z-40" onPointerDown={(event) => event.target === event.currentTarget && onClose()} onContextMenu={(event) => event.preventDefault()}>
      <div
        ref={ref}
        role="menu"
        aria-label="Message actions"
        onKeyDown={onKeyDown}
        style={position ?? { left: -9999, top: -9999 }}
        className="fixed w-[17rem] overflow-hidden rounded-xl bg-white py-1 text-zinc-900 shadow-xl ring-1 ring-zinc-200 dark:bg-zinc-800 dark:text-zinc-100 dark:ring-zinc-700"
      >
        <div role="group" aria-label="React" className="flex justify-between border-b border-zinc-200 px-1 pb-1 dark:border-zinc-700">
          {quickReactions.slice(0, 6).map((emoji) => (
            <button
              key={emoji}
              type="button"
              role="menuitem"
              aria-label={`React with ${emoji}`}
              onClick={() => run((handlers, target) => handlers.onReact(target, emoji))}
              className="flex size-9 items-center justify-center rounded-full font-emoji text-xl hover:bg-zinc-100 focus-visible:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-sky-500 dark:hover:bg-zinc-700 dark:focus-visible:bg-zinc-700"
            >
              {emoji}
            </button>
          ))}
          <button
            type="button"
            role="menuitem"
            title="More reactions"
            onClick={() => setChoosingAny(true)}
            className="flex size-9 items-center justify-center rounded-full text-zinc-500 hover:bg-zinc-100 hover:text-zinc-900 focus-visible:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-sky-500 dark:hover:bg-zinc-700 dark:hover:text-zinc-100 dark:focus-visible:bg-zinc-700"
          >
            <PlusIcon size={18} />
            <span className="sr-only">More reactions</span>
          </button>
        </div>
        {items.map((item) => (
          <button
            key={item.label}
            type="button"
            role="menuitem"
            onClick={() => run(item.action)}
            className={`flex w-full items-center gap-3 px-4 py-2.5 text-left text-sm hover:bg-zinc-100 focus-visible:bg-zinc-100 focus-visible:outline-none dark:hover:bg-zinc-700 dark:focus-visible:bg-zinc-700 ${
              item.danger ? "text-rose-700 dark:text-rose-400" : ""
            }`}
          >
            {item.icon}
            {item.label}
          </button>
        ))}
      </div>
      {/* Outside the menu, so that its keys (Tab, arrows) are the picker's own. */}
      <Dialog open={choosingAny} title="React with any emoji" onClose={onClose}>
        {choosingAny && (
          <div ref={pickerRef} className="-mx-5 -my-4">
            <EmojiPanel
              onPick={(emoji) => {
                // Closed first: while the modal is open, focus cannot go back to the message.
                pickerRef.current?.closest("dialog")?.close();
                run((handlers, target) => handlers.onReact(target, emoji));
              }}
            />
          </div>
        )}
      </Dialog>
    </div>
  );
}
