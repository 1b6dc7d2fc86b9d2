import Link from "next/link";

/** Shown to visitors without a session; signed-in visitors are sent on to their chats by proxy.ts. */
export default function HomePage() {
  return (
    <main className="flex min-h-dvh flex-col items-center justify-center gap-8 bg-gradient-to-br from-sky-50 via-white to-indigo-50 px-6 text-center dark:from-zinc-950 dark:via-zinc-950 dark:to-zinc-900">
      <span className="flex size-16 items-center justify-center rounded-2xl bg-sky-700 text-3xl font-bold text-white shadow-lg shadow-sky-600/30">
        P
      </span>
      <div className="flex max-w-xl flex-col gap-4">
        <h1 className="text-4xl font-semibold tracking-tight">Parley</h1>
        <p className="text-lg text-zinc-600 dark:text-zinc-400">
          Instant messaging with your friends: direct and group conversations, live delivery, and a history that follows
          you to every device.
        </p>
      </div>
      <div className="flex gap-3">
        <Link href="/register" className="rounded-lg bg-sky-700 px-5 py-2.5 font-medium text-white hover:bg-sky-800">
          Create an account
        </Link>
        <Link
          href="/login"
          className="rounded-lg bg-white px-5 py-2.5 font-medium text-zinc-900 ring-1 ring-zinc-200 hover:bg-zinc-50 dark:bg-zinc-900 dark:text-zinc-100 dark:ring-zinc-700"
        >
          Sign in
        </Link>
      </div>
    </main>
  );
}
