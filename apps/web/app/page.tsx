import Link from "next/link";

export default function HomePage() {
  return (
    <main className="mx-auto flex min-h-dvh max-w-xl flex-col justify-center gap-6 px-6">
      <h1 className="text-4xl font-semibold tracking-tight">Parley</h1>
      <p className="text-lg text-zinc-600 dark:text-zinc-400">
        Instant messaging with your friends: direct and group conversations, live delivery, and a
        history that follows you to every device.
      </p>
      <Link
        href="/login"
        className="self-start rounded-lg bg-zinc-900 px-4 py-2 font-medium text-white hover:bg-zinc-700 dark:bg-zinc-100 dark:text-zinc-900 dark:hover:bg-zinc-300"
      >
        Sign in
      </Link>
    </main>
  );
}
