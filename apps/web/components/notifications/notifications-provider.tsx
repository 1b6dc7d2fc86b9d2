"use client";

import { usePathname, useRouter } from "next/navigation";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";

import { useChatState, useChatStore, useMe } from "../../lib/chat-context";
import { showUnreadBadge, showUnreadInTitle } from "../../lib/favicon-badge";
import { mentionsUser } from "../../lib/mentions";
import { muteHolds, type MuteDuration, type MuteView } from "../../lib/mutes";
import { playNotificationSound, setSoundEnabled, soundEnabled } from "../../lib/notification-sound";
import { registerServiceWorker } from "../../lib/push-subscription";

/** How often this device repeats that it shows a conversation; the server forgets a report after a minute. */
const viewingReportIntervalMs = 20_000;
const conversationPath = /^\/chats\/([0-9a-f-]{36})$/i;

interface NotificationsContextValue {
  /** Mutes in force, by conversation. */
  mutes: Record<string, MuteView>;
  mute: (conversationId: string, duration: MuteDuration) => Promise<void>;
  unmute: (conversationId: string) => Promise<void>;
  soundOn: boolean;
  setSoundOn: (on: boolean) => void;
}

const NotificationsContext = createContext<NotificationsContextValue | null>(null);

export function useNotifications(): NotificationsContextValue {
  const value = useContext(NotificationsContext);
  if (!value) throw new Error("useNotifications must be used inside <NotificationsProvider>");
  return value;
}

/** The open conversation, from the address. */
function openConversationId(pathname: string): string | null {
  return conversationPath.exec(pathname)?.[1] ?? null;
}

/**
 * Everything that tells the user about activity: the service worker (offline page, pushed
 * notifications, opening a clicked conversation), which conversation this device has on screen
 * (so the server does not push what is already seen), mutes, the unread count in the tab title
 * and the favicon, and the notification sound.
 */
export function NotificationsProvider({ children }: { children: ReactNode }) {
  const store = useChatStore();
  const me = useMe();
  const router = useRouter();
  const pathname = usePathname();
  const openId = openConversationId(pathname);
  const [mutes, setMutes] = useState<Record<string, MuteView>>({});
  const [soundOn, setSoundOnState] = useState(true);
  const [nowMs, setNowMs] = useState(() => Date.now());
  const state = useRef({ mutes, soundOn, openId, nowMs });
  state.current = { mutes, soundOn, openId, nowMs };

  useEffect(() => setSoundOnState(soundEnabled()), []);

  // Timed mutes end by themselves: look again every half minute.
  useEffect(() => {
    const timer = setInterval(() => setNowMs(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    void registerServiceWorker();
    if (!("serviceWorker" in navigator)) return;
    const onMessage = (event: MessageEvent<{ type?: string; url?: string }>) => {
      if (event.data?.type !== "parley:open" || !event.data.url) return;
      const url = new URL(event.data.url, window.location.origin);
      if (url.origin === window.location.origin) router.push(`${url.pathname}${url.search}`);
    };
    navigator.serviceWorker.addEventListener("message", onMessage);
    return () => navigator.serviceWorker.removeEventListener("message", onMessage);
  }, [router]);

  useEffect(() => {
    let cancelled = false;
    store.client.api.notifications.mutes
      .query()
      .then((list) => {
        if (!cancelled) setMutes(Object.fromEntries(list.map((mute) => [mute.conversationId, mute])));
      })
      .catch(() => {});
    const stop = store.observeEvents((event) => {
      if (event.type === "mute.changed") {
        setMutes((current) => {
          const next = { ...current };
          if (event.mute) next[event.conversationId] = event.mute;
          else delete next[event.conversationId];
          return next;
        });
        return;
      }
      if (event.type !== "message.created") return;
      const message = event.message;
      if (message.senderId === me.id || message.kind === "system" || !state.current.soundOn) return;
      const seen = document.visibilityState === "visible" && document.hasFocus() && state.current.openId === message.conversationId;
      if (seen) return;
      const mute = state.current.mutes[message.conversationId];
      if (muteHolds(mute, Date.now()) && (mute.mutedUntil === null || !mentionsUser(message.body ?? "", me.username))) return;
      playNotificationSound();
    });
    return () => {
      cancelled = true;
      stop();
    };
  }, [store, me.id, me.username]);

  // Which conversation this device shows, for push: only while the window is visible and focused.
  useEffect(() => {
    // What the server last heard from this page; the cleanup below takes it back.
    let reported: string | null = null;
    const report = (repeat: boolean) => {
      const visible = document.visibilityState === "visible" && document.hasFocus();
      const showing = visible ? openId : null;
      if (showing === reported && !(repeat && showing !== null)) return;
      reported = showing;
      store.client.api.notifications.viewing.mutate({ conversationId: showing }).catch(() => {
        // Lost: the next change or repeat tells the server again.
      });
    };
    const onChange = () => report(false);
    report(false);
    const timer = setInterval(() => report(true), viewingReportIntervalMs);
    document.addEventListener("visibilitychange", onChange);
    window.addEventListener("focus", onChange);
    window.addEventListener("blur", onChange);
    return () => {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", onChange);
      window.removeEventListener("focus", onChange);
      window.removeEventListener("blur", onChange);
      if (reported) store.client.api.notifications.viewing.mutate({ conversationId: null }).catch(() => {});
    };
  }, [store, openId]);

  const conversations = useChatState((chat) => chat.conversations);
  const unread = useMemo(
    () =>
      Object.values(conversations).reduce(
        (total, conversation) => total + (muteHolds(mutes[conversation.id], nowMs) ? 0 : conversation.unreadCount),
        0,
      ),
    [conversations, mutes, nowMs],
  );
  useEffect(() => {
    showUnreadInTitle(unread);
    void showUnreadBadge(unread);
    // Next.js rewrites the title on navigation; put the count back when it does.
    const title = document.querySelector("title");
    if (!title) return;
    const observer = new MutationObserver(() => showUnreadInTitle(unread));
    observer.observe(title, { childList: true, characterData: true, subtree: true });
    return () => observer.disconnect();
  }, [unread, pathname]);

  const mute = useCallback(
    async (conversationId: string, duration: MuteDuration) => {
      const result = await store.client.api.notifications.mute.mutate({ conversationId, duration });
      if (result) setMutes((current) => ({ ...current, [conversationId]: result }));
    },
    [store],
  );
  const unmute = useCallback(
    async (conversationId: string) => {
      await store.client.api.notifications.unmute.mutate({ conversationId });
      setMutes((current) => {
        const next = { ...current };
        delete next[conversationId];
        return next;
      });
    },
    [store],
  );
  const setSoundOn = useCallback((on: boolean) => {
    setSoundEnabled(on);
    setSoundOnState(on);
    if (on) playNotificationSound();
  }, []);

  const activeMutes = useMemo(
    () => Object.fromEntries(Object.entries(mutes).filter(([, value]) => muteHolds(value, nowMs))),
    [mutes, nowMs],
  );
  const value = useMemo(
    () => ({ mutes: activeMutes, mute, unmute, soundOn, setSoundOn }),
    [activeMutes, mute, unmute, soundOn, setSoundOn],
  );
  return <NotificationsContext.Provider value={value}>{children}</NotificationsContext.Provider>;
}
