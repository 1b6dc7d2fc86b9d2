"use client";

import { usePathname, useRouter } from "next/navigation";
import { useEffect, useRef, useState, type ReactNode } from "react";

import { createBrowserClient } from "../../lib/browser-client";
import { ChatStoreProvider } from "../../lib/chat-context";
import { ChatStore } from "../../lib/chat-store";
import { NotificationsProvider } from "../notifications/notifications-provider";
import { CallLayer } from "../calls/call-layer";
import { Sidebar } from "../sidebar/sidebar";
import { Button } from "../ui/button";
import { ConnectionBanner } from "./connection-banner";
import { Notices } from "./notices";

type Status = "loading" | "ready" | "unreachable";

/**
 * The signed-in app: starts the store (one SDK client, one event subscription) once for all
 * app routes, sends anyone without a valid session to sign in, and lays out the sidebar and
 * the open screen (side by side on wide screens, one at a time on phones).
 */
export function AppShell({ children }: { children: ReactNode }) {
  const router = useRouter();
  const pathname = usePathname();
  const [store, setStore] = useState<ChatStore | null>(null);
  const [status, setStatus] = useState<Status>("loading");
  const [attempt, setAttempt] = useState(0);
  const leaving = useRef(false);

  useEffect(() => {
    const signIn = (reason?: "ended") => {
      if (leaving.current) return;
      leaving.current = true;
      const here = `${window.location.pathname}${window.location.search}`;
      router.replace(`/login?next=${encodeURIComponent(here)}${reason ? `&signedOut=${reason}` : ""}`);
    };
    // A session that ends while the app runs was signed out from another device (or by a password change there).
    let started = false;
    const created = new ChatStore({ client: createBrowserClient(), onSignedOut: () => signIn(started ? "ended" : undefined) });
    let cancelled = false;
    void created.start().then((result) => {
      if (cancelled) return;
      if (result === "signed-out") signIn();
      else if (result === "unreachable") setStatus("unreachable");
      else {
        started = true;
        setStore(created);
        setStatus("ready");
      }
    });
    return () => {
      cancelled = true;
      created.stop();
    };
  }, [router, attempt]);

  if (status === "unreachable") {
    return (
      <main className="flex min-h-dvh flex-col items-center justify-center gap-4 px-6 text-center">
        <h1 className="text-xl font-semibold">Can’t reach Parley</h1>
        <p className="max-w-sm text-zinc-500 dark:text-zinc-400">Check your connection; your messages are safe and will load when you’re back.</p>
        <Button
          onClick={() => {
            setStatus("loading");
            setAttempt((value) => value + 1);
          }}
        >
          Try again
        </Button>
      </main>
    );
  }

  if (!store) {
    return (
      <div className="flex h-dvh items-center justify-center" role="status" aria-label="Loading Parley">
        <span className="size-8 animate-spin rounded-full border-4 border-sky-600 border-t-transparent" />
      </div>
    );
  }

  const detailOpen = pathname !== "/chats";
  return (
    <ChatStoreProvider store={store}>
      <NotificationsProvider>
      <div className="flex h-dvh flex-col overflow-hidden bg-white dark:bg-zinc-950">
        <SkipLink detailOpen={detailOpen} />
        <ConnectionBanner />
        <div className="flex min-h-0 flex-1">
          <aside
            aria-label="Conversations"
            className={`${detailOpen ? "hidden md:flex" : "flex"} w-full min-w-0 flex-col border-zinc-200 md:w-80 md:border-r lg:w-96 dark:border-zinc-800`}
          >
            <Sidebar />
          </aside>
          <main id="main" tabIndex={-1} className={`${detailOpen ? "flex" : "hidden md:flex"} min-w-0 flex-1 flex-col outline-none`}>
            {children}
          </main>
        </div>
        <Notices />
        <CallLayer />
      </div>
      </NotificationsProvider>
    </ChatStoreProvider>
  );
}

/**
 * The first Tab stop: past the sidebar to the open screen (in a conversation, straight to its
 * message box), or, with no screen open, past the sidebar's buttons to the chat list.
 */
function SkipLink({ detailOpen }: { detailOpen: boolean }) {
  return (
    <a
      href="#main"
      onClick={(event) => {
        const target = detailOpen
          ? (document.querySelector<HTMLElement>("#main textarea") ?? document.getElementById("main"))
          : document.querySelector<HTMLElement>('nav[aria-label="Chats"] a');
        if (!target) return;
        event.preventDefault();
        target.focus();
      }}
      className="sr-only z-50 rounded-lg bg-sky-700 px-4 py-2 font-medium text-white focus:not-sr-only focus:fixed focus:top-2 focus:left-2"
    >
      {detailOpen ? "Skip to main content" : "Skip to the chat list"}
    </a>
  );
}
