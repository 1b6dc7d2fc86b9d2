"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";

import { useChatState, useChatStore } from "../../lib/chat-context";
import { nameOf } from "../../lib/people";
import { CreateGroupDialog } from "../groups/create-group-dialog";
import { Avatar } from "../ui/avatar";
import { Dialog } from "../ui/dialog";
import { GroupAddIcon, SearchIcon, UsersIcon } from "../ui/icons";

/** "New message": pick a friend to write to, or start a group. */
export function NewChatDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const store = useChatStore();
  const router = useRouter();
  const friends = useChatState((state) => state.friends);
  const [query, setQuery] = useState("");
  const [creatingGroup, setCreatingGroup] = useState(false);

  const matching = useMemo(() => {
    const needle = query.trim().toLowerCase();
    const sorted = [...friends].sort((a, b) => nameOf(a.user).localeCompare(nameOf(b.user)));
    if (!needle) return sorted;
    return sorted.filter(
      (friend) => nameOf(friend.user).toLowerCase().includes(needle) || friend.user.username.toLowerCase().startsWith(needle.replace(/^@/, "")),
    );
  }, [friends, query]);

  function close() {
    setQuery("");
    onClose();
  }

  async function write(userId: string) {
    const conversationId = await store.openDirect(userId);
    if (!conversationId) return;
    close();
    router.push(`/chats/${conversationId}`);
  }

  return (
    <>
      <Dialog open={open} title="New message" onClose={close}>
        <div className="flex flex-col gap-3">
          <label className="relative block">
            <span className="sr-only">Search friends</span>
            <SearchIcon size={16} className="pointer-events-none absolute top-1/2 left-3 -translate-y-1/2 text-zinc-500 dark:text-zinc-400" />
            <input
              type="search"
              value={query}
              autoFocus
              onChange={(event) => setQuery(event.target.value)}
              placeholder="Search friends by name or @username"
              className="h-10 w-full rounded-full bg-zinc-100 pr-4 pl-9 text-sm outline-none placeholder:text-zinc-600 focus:ring-2 focus:ring-sky-500/60 dark:bg-zinc-800 dark:placeholder:text-zinc-400"
            />
          </label>
          <button
            type="button"
            onClick={() => {
              close();
              setCreatingGroup(true);
            }}
            className="flex items-center gap-3 rounded-lg px-2 py-2 text-left text-sm font-medium text-sky-800 hover:bg-zinc-100 dark:text-sky-300 dark:hover:bg-zinc-800"
          >
            <span className="flex size-8 items-center justify-center rounded-full bg-sky-100 dark:bg-sky-900">
              <GroupAddIcon size={18} />
            </span>
            New group
          </button>
          <ul aria-label="Friends" className="flex flex-col gap-0.5">
            {matching.map((friend) => (
              <li key={friend.user.id}>
                <button
                  type="button"
                  onClick={() => void write(friend.user.id)}
                  className="flex w-full items-center gap-3 rounded-lg px-2 py-1.5 text-left hover:bg-zinc-100 dark:hover:bg-zinc-800"
                >
                  <Avatar id={friend.user.id} name={nameOf(friend.user)} size="sm" online={friend.online} />
                  <span className="min-w-0 flex-1">
                    <span className="block truncate text-sm font-medium">{nameOf(friend.user)}</span>
                    <span className="block truncate text-xs text-zinc-600 dark:text-zinc-400">@{friend.user.username}</span>
                  </span>
                </button>
              </li>
            ))}
          </ul>
          {matching.length === 0 && (
            <p className="px-2 text-sm text-zinc-600 dark:text-zinc-400">
              {friends.length === 0 ? "You have no friends on Parley yet." : `No friend matches “${query}”.`}
            </p>
          )}
          <Link
            href="/friends"
            onClick={close}
            className="flex items-center gap-2 px-2 text-sm font-medium text-sky-800 hover:underline dark:text-sky-300"
          >
            <UsersIcon size={16} />
            Find people to add as friends
          </Link>
        </div>
      </Dialog>
      <CreateGroupDialog open={creatingGroup} onClose={() => setCreatingGroup(false)} />
    </>
  );
}
