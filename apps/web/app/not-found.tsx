import type { Metadata } from "next";
import Link from "next/link";

export const metadata: Metadata = { title: "Page not found" };

export default function NotFound() {
  return (
    <main className="flex min-h-dvh flex-col items-center justify-center gap-4 bg-gradient-to-br from-sky-50 via-white to-indigo-50 px-6 text-center dark:from-zinc-950 dark:via-zinc-950 dark:to-zinc-900">
      <span className="flex size-16 items-center justify-center rounded-2xl bg-sky-700 text-3xl font-bold text-white shadow-lg shadow-sky-600/30" aria-hidden="true">
        P
      </span>
      <p className="text-sm font-semibold tracking-wide text-sky-800 uppercase dark:text-sky-300">Error 404</p>
      <h1 className="text-3xl font-semibold tracking-tight">This page doesn’t exist</h1>
      <p className="max-w-sm text-zinc-600 dark:text-zinc-400">The link may be broken, or the page may have moved. Your conversations are where you left them.</p>
      <Link href="/chats" className="rounded-lg bg-sky-700 px-5 py-2.5 font-medium text-white hover:bg-sky-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-500">
        Go to your chats
      </Link>
    </main>
  );
}
