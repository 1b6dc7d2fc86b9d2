"use client";

import { userSearchDefaultResults } from "@parley/db/limits";
import { useRouter } from "next/navigation";
import { useEffect, useState, type ReactNode } from "react";

import type { PublicUser } from "../../lib/api-types";
import { describeProblem } from "../../lib/api-errors";
import { useChatState, useChatStore } from "../../lib/chat-context";
import { nameOf } from "../../lib/people";
import { ScreenHeader } from "../shell/screen-header";
import { Avatar } from "../ui/avatar";
import { Button } from "../ui/button";
import { SearchIcon } from "../ui/icons";

const searchDelayMs = 250;

function PersonRow({ user, online, children }: { user: PublicUser; online?: boolean; children?: ReactNode }) {
  return (
    // On a phone the buttons wrap under the name rather than squeezing it to a few letters.
    <li data-testid="person" data-username={user.username} className="flex flex-wrap items-center gap-x-3 gap-y-1 rounded-xl px-2 py-2 hover:bg-zinc-50 dark:hover:bg-zinc-900">
      <Avatar id={user.id} name={nameOf(user)} src={user.avatarUrl} size="md" online={online} />
      <span className="min-w-36 flex-1">
        <span className="block truncate font-medium">{nameOf(user)}</span>
        <span className="block truncate text-sm text-zinc-500 dark:text-zinc-400">
          @{user.username}
          {online !== undefined && <span className={online ? "text-emerald-700 dark:text-emerald-400" : ""}> · {online ? "online" : "offline"}</span>}
        </span>
      </span>
      <span className="ml-auto flex shrink-0 flex-wrap justify-end gap-1">{children}</span>
    </li>
  );
}

function Section({ title, count, children }: { title: string; count?: number; children: ReactNode }) {
  const id = `section-${title.toLowerCase().replace(/\W+/g, "-")}`;
  return (
    <section aria-labelledby={id} className="flex flex-col gap-1">
      <h2 id={id} className="px-2 text-sm font-semibold text-zinc-500 dark:text-zinc-400 uppercase">
        {title}
        {count !== undefined && count > 0 && <span className="ml-2 text-zinc-400">{count}</span>}
      </h2>
      {children}
    </section>
  );
}

export function FriendsScreen() {
  const store = useChatStore();
  const router = useRouter();
  const friends = useChatState((state) => state.friends);
  const friendsLoaded = useChatState((state) => state.friendsLoaded);
  const incoming = useChatState((state) => state.incomingRequests);
  const outgoing = useChatState((state) => state.outgoingRequests);
  const blocked = useChatState((state) => state.blocked);

  const [query, setQuery] = useState("");
  const [results, setResults] = useState<PublicUser[] | null>(null);
  const [searchError, setSearchError] = useState<string | null>(null);

  useEffect(() => {
    const text = query.trim();
    if (!text) {
      setResults(null);
      setSearchError(null);
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      store.client.api.users.search
        .query({ query: text, limit: userSearchDefaultResults })
        .then((found) => {
          if (!current) return;
          setResults(found);
          setSearchError(null);
        })
        .catch((error: unknown) => {
          if (current) setSearchError(describeProblem(error).message);
        });
    }, searchDelayMs);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [query, store]);

  async function message(userId: string) {
    const id = await store.openDirect(userId);
    if (id) router.push(`/chats/${id}`);
  }

  function actionsFor(user: PublicUser): ReactNode {
    if (friends.some((friend) => friend.user.id === user.id)) {
      return (
        <Button size="sm" variant="secondary" onClick={() => void message(user.id)} aria-label={`Message ${nameOf(user)}`}>
          Message
        </Button>
      );
    }
    if (blocked.some((other) => other.id === user.id)) return <span className="text-sm text-zinc-500 dark:text-zinc-400">Blocked</span>;
    if (incoming.some((request) => request.requester.id === user.id)) {
      return (
        <Button size="sm" onClick={() => void store.respondToFriend("accept", user.id)} aria-label={`Accept ${nameOf(user)}`}>
          Accept
        </Button>
      );
    }
    if (outgoing.some((request) => request.addressee.id === user.id)) return <span className="text-sm text-zinc-500 dark:text-zinc-400">Requested</span>;
    return (
      <Button size="sm" onClick={() => void store.requestFriend(user.username)} aria-label={`Add ${nameOf(user)} as a friend`}>
        Add friend
      </Button>
    );
  }

  return (
    <div className="flex min-h-0 flex-1 flex-col bg-white dark:bg-zinc-950">
      <ScreenHeader title="Friends" />
      <div className="min-h-0 flex-1 overflow-y-auto">
        <div className="mx-auto flex max-w-2xl flex-col gap-8 px-3 py-6 md:px-6">
          <section aria-labelledby="find-people" className="flex flex-col gap-3">
            <h2 id="find-people" className="px-2 text-sm font-semibold text-zinc-500 dark:text-zinc-400 uppercase">
              Find people
            </h2>
            <label className="relative block">
              <span className="sr-only">Search people by username or name</span>
              <SearchIcon size={18} className="pointer-events-none absolute top-1/2 left-3 -translate-y-1/2 text-zinc-400" />
              <input
                type="search"
                value={query}
                onChange={(event) => setQuery(event.target.value)}
                placeholder="Search by username or name"
                autoCapitalize="none"
                spellCheck={false}
                className="h-11 w-full rounded-xl border border-zinc-300 bg-white pr-4 pl-10 outline-none focus:border-sky-500 focus:ring-2 focus:ring-sky-500/30 dark:border-zinc-700 dark:bg-zinc-900"
              />
            </label>
            {searchError && (
              <p role="alert" className="px-2 text-sm text-rose-600">
                {searchError}
              </p>
            )}
            {results && (
              <ul aria-label="Search results" className="flex flex-col">
                {results.length === 0 ? (
                  <li className="px-2 py-3 text-sm text-zinc-500 dark:text-zinc-400">Nobody found for “{query.trim()}”.</li>
                ) : (
                  results.map((user) => (
                    <PersonRow key={user.id} user={user}>
                      {actionsFor(user)}
                    </PersonRow>
                  ))
                )}
              </ul>
            )}
          </section>

          {incoming.length > 0 && (
            <Section title="Friend requests" count={incoming.length}>
              <ul aria-label="Incoming requests" className="flex flex-col">
                {incoming.map((request) => (
                  <PersonRow key={request.requester.id} user={request.requester}>
                    <Button size="sm" onClick={() => void store.respondToFriend("accept", request.requester.id)} aria-label={`Accept ${nameOf(request.requester)}`}>
                      Accept
                    </Button>
                    <Button size="sm" variant="ghost" onClick={() => void store.respondToFriend("decline", request.requester.id)} aria-label={`Decline ${nameOf(request.requester)}`}>
                      Decline
                    </Button>
                    <Button size="sm" variant="dangerGhost" onClick={() => void store.respondToFriend("block", request.requester.id)} aria-label={`Block ${nameOf(request.requester)}`}>
                      Block
                    </Button>
                  </PersonRow>
                ))}
              </ul>
            </Section>
          )}

          {outgoing.length > 0 && (
            <Section title="Sent requests" count={outgoing.length}>
              <ul aria-label="Sent requests" className="flex flex-col">
                {outgoing.map((request) => (
                  <PersonRow key={request.addressee.id} user={request.addressee}>
                    <Button size="sm" variant="ghost" onClick={() => void store.respondToFriend("cancel", request.addressee.id)} aria-label={`Cancel request to ${nameOf(request.addressee)}`}>
                      Cancel
                    </Button>
                  </PersonRow>
                ))}
              </ul>
            </Section>
          )}

          <Section title="Friends" count={friends.length}>
            {friendsLoaded && friends.length === 0 ? (
              <p className="px-2 text-sm text-zinc-500 dark:text-zinc-400">No friends yet. Search for people above and send a request.</p>
            ) : (
              <ul aria-label="Friends" className="flex flex-col">
                {friends.map((friend) => (
                  <PersonRow key={friend.user.id} user={friend.user} online={friend.online}>
                    <Button size="sm" variant="secondary" onClick={() => void message(friend.user.id)} aria-label={`Message ${nameOf(friend.user)}`}>
                      Message
                    </Button>
                    <Button size="sm" variant="ghost" onClick={() => void store.respondToFriend("remove", friend.user.id)} aria-label={`Remove ${nameOf(friend.user)} from friends`}>
                      Remove
                    </Button>
                    <Button size="sm" variant="dangerGhost" onClick={() => void store.respondToFriend("block", friend.user.id)} aria-label={`Block ${nameOf(friend.user)}`}>
                      Block
                    </Button>
                  </PersonRow>
                ))}
              </ul>
            )}
          </Section>

          {blocked.length > 0 && (
            <Section title="Blocked" count={blocked.length}>
              <ul aria-label="Blocked users" className="flex flex-col">
                {blocked.map((user) => (
                  <PersonRow key={user.id} user={user}>
                    <Button size="sm" variant="ghost" onClick={() => void store.respondToFriend("unblock", user.id)} aria-label={`Unblock ${nameOf(user)}`}>
                      Unblock
                    </Button>
                  </PersonRow>
                ))}
              </ul>
            </Section>
          )}
        </div>
      </div>
    </div>
  );
}
