"use client";


import type { FriendView } from "../../lib/api-types";
import { nameOf } from "../../lib/people";
import { Avatar } from "../ui/avatar";

/** Checkboxes for choosing friends; each row is one labelled checkbox. */
export function FriendPicker({
  friends,
  selected,
  onChange,
  legend,
}: {
  friends: FriendView[];
  selected: ReadonlySet<string>;
  onChange: (next: Set<string>) => void;
  legend: string;
}) {
  return (
    <fieldset className="flex flex-col gap-1">
      <legend className="mb-2 text-sm font-medium text-zinc-700 dark:text-zinc-300">{legend}</legend>
      {friends.length === 0 ? (
        <p className="text-sm text-zinc-500 dark:text-zinc-400">No friends to add yet.</p>
      ) : (
        friends.map((friend) => (
          <label
            key={friend.user.id}
            className="flex cursor-pointer items-center gap-3 rounded-lg px-2 py-1.5 hover:bg-zinc-100 dark:hover:bg-zinc-800"
          >
            <input
              type="checkbox"
              className="size-4 accent-sky-600"
              checked={selected.has(friend.user.id)}
              onChange={(event) => {
                const next = new Set(selected);
                if (event.target.checked) next.add(friend.user.id);
                else next.delete(friend.user.id);
                onChange(next);
              }}
            />
            <Avatar id={friend.user.id} name={nameOf(friend.user)} src={friend.user.avatarUrl} size="sm" online={friend.online} />
            <span className="min-w-0 flex-1">
              <span className="block truncate text-sm font-medium">{nameOf(friend.user)}</span>
              <span className="block truncate text-xs text-zinc-500 dark:text-zinc-400">@{friend.user.username}</span>
            </span>
          </label>
        ))
      )}
    </fieldset>
  );
}
