"use client";

import { useEffect, useState } from "react";

import { useChatState } from "../../lib/chat-context";
import type { ConnectionStatus } from "../../lib/chat-state";
import { WifiOffIcon } from "../ui/icons";

/** A first connection this quick needs no banner: it would only flash. */
const firstConnectGraceMs = 1_500;

const labels: Partial<Record<ConnectionStatus, string>> = {
  offline: "You’re offline. Messages you send will go out when you reconnect.",
  reconnecting: "Connection lost. Reconnecting…",
  connecting: "Connecting…",
  closed: "Disconnected. Reconnecting…",
};

export function ConnectionBanner() {
  const connection = useChatState((state) => state.connection);
  const [graceOver, setGraceOver] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setGraceOver(true), firstConnectGraceMs);
    return () => clearTimeout(timer);
  }, []);

  const label = connection === "connecting" && !graceOver ? undefined : labels[connection];
  return (
    <div role="status" aria-live="polite" data-testid="connection-status" data-state={connection}>
      {label && (
        <p
          className={`flex items-center justify-center gap-2 px-4 py-1.5 text-center text-sm font-medium ${
            connection === "offline"
              ? "bg-zinc-800 text-white dark:bg-zinc-700"
              : "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100"
          }`}
        >
          {connection === "offline" ? (
            <WifiOffIcon size={16} />
          ) : (
            <span className="size-3 animate-spin rounded-full border-2 border-current border-t-transparent" aria-hidden="true" />
          )}
          {label}
        </p>
      )}
    </div>
  );
}
