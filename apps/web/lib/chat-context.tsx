"use client";

import { createContext, useContext, useSyncExternalStore, type ReactNode } from "react";

import { initialChatState, type ChatState } from "./chat-state";
import type { ChatStore } from "./chat-store";

const ChatStoreContext = createContext<ChatStore | null>(null);

export function ChatStoreProvider({ store, children }: { store: ChatStore; children: ReactNode }) {
  return <ChatStoreContext.Provider value={store}>{children}</ChatStoreContext.Provider>;
}

export function useChatStore(): ChatStore {
  const store = useContext(ChatStoreContext);
  if (!store) throw new Error("useChatStore must be used inside <ChatStoreProvider>");
  return store;
}

/**
 * A slice of the chat state; the component re-renders only when the slice changes identity,
 * so selectors return stored objects and derive lists with useMemo.
 */
export function useChatState<TSlice>(selector: (state: ChatState) => TSlice): TSlice {
  const store = useChatStore();
  return useSyncExternalStore(
    store.subscribe,
    () => selector(store.getState()),
    () => selector(initialChatState),
  );
}

/** The signed-in user; the app shell renders nothing below it until this is known. */
export function useMe() {
  const me = useChatState((state) => state.me);
  if (!me) throw new Error("useMe used before the user was loaded");
  return me;
}
