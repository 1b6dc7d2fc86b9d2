import Link from "next/link";
import type { ReactNode } from "react";

import { ArrowLeftIcon } from "../ui/icons";

/** The bar over a full screen (friends, settings); on phones it leads back to the chat list. */
export function ScreenHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="flex h-16 shrink-0 items-center gap-2 border-b border-zinc-200 px-2 md:px-6 dark:border-zinc-800">
      <Link
        href="/chats"
        aria-label="Back to chats"
        className="inline-flex size-10 items-center justify-center rounded-full text-zinc-600 hover:bg-zinc-100 md:hidden dark:text-zinc-300 dark:hover:bg-zinc-800"
      >
        <ArrowLeftIcon />
      </Link>
      <h1 className="flex-1 text-lg font-semibold">{title}</h1>
      {children}
    </header>
  );
}
