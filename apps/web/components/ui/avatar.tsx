"use client";

import { useState } from "react";

import { avatarColorOf, initialsOf } from "../../lib/people";

const sizes = {
  sm: "size-8 text-xs",
  md: "size-10 text-sm",
  lg: "size-12 text-base",
  xl: "size-20 text-2xl",
} as const;

/**
 * A person's profile picture (`src`), or their initials on a colour picked from the id when
 * they have none or it does not load; `online` adds a presence dot.
 */
export function Avatar({
  id,
  name,
  src,
  size = "md",
  online,
}: {
  id: string;
  name: string;
  src?: string | null;
  size?: keyof typeof sizes;
  online?: boolean;
}) {
  const [failedSrc, setFailedSrc] = useState<string | null>(null);
  const picture = src && src !== failedSrc ? src : null;
  return (
    <span className={`relative inline-flex shrink-0 ${sizes[size]}`} aria-hidden="true">
      {picture ? (
        <img
          src={picture}
          alt=""
          data-testid="avatar-image"
          loading="lazy"
          onError={() => setFailedSrc(picture)}
          className="size-full rounded-full bg-zinc-200 object-cover dark:bg-zinc-700"
        />
      ) : (
        <span
          className={`flex size-full select-none items-center justify-center rounded-full font-semibold text-white ${avatarColorOf(id)}`}
        >
          {initialsOf(name)}
        </span>
      )}
      {online !== undefined && (
        <span
          data-presence={online ? "online" : "offline"}
          className={`absolute right-0 bottom-0 size-3 rounded-full border-2 border-white dark:border-zinc-900 ${
            online ? "bg-emerald-500" : "bg-zinc-300 dark:bg-zinc-600"
          }`}
        />
      )}
    </span>
  );
}
