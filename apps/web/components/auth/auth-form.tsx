"use client";

import { usernameMaxCharacters, usernameMinCharacters, usernamePattern } from "@parley/db/limits";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";

import { describeProblem } from "../../lib/api-errors";
import { createBrowserClient } from "../../lib/browser-client";
import { safeNextPath } from "../../lib/safe-redirect";
import { Button } from "../ui/button";
import { TextField } from "../ui/text-field";

type Mode = "login" | "register";

interface FieldErrors {
  username?: string;
  displayName?: string;
  password?: string;
}

function checkLocally(mode: Mode, values: { username: string; password: string }): FieldErrors {
  const errors: FieldErrors = {};
  if (!values.username.trim()) errors.username = "Enter your username";
  else if (mode === "register" && !usernamePattern.test(values.username)) {
    errors.username = `Use ${usernameMinCharacters} to ${usernameMaxCharacters} letters, digits, _ . or -`;
  }
  if (!values.password) errors.password = "Enter your password";
  else if (mode === "register" && Array.from(values.password).length < 8) {
    errors.password = "Password must be at least 8 characters";
  }
  return errors;
}

/** Seconds left until `untilMs`, ticking once a second while there are any. */
function useCountdown(untilMs: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (untilMs === null) return;
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, [untilMs]);
  return untilMs === null ? 0 : Math.max(0, Math.ceil((untilMs - now) / 1_000));
}

export function AuthForm({ mode }: { mode: Mode }) {
  const router = useRouter();
  const searchParams = useSearchParams();
  const next = safeNextPath(searchParams.get("next"));
  const signedOutElsewhere = mode === "login" && searchParams.get("signedOut") === "ended";
  // Made after hydration: the page is rendered per request, and a client made during the first
  // render would make the server's HTML (no client: button disabled) and the browser's disagree.
  const [client, setClient] = useState<ReturnType<typeof createBrowserClient> | null>(null);
  useEffect(() => setClient(createBrowserClient()), []);

  const [username, setUsername] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [password, setPassword] = useState("");
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [retryAtMs, setRetryAtMs] = useState<number | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const secondsLeft = useCountdown(retryAtMs);

  // Someone already signed in goes straight on to where they were heading.
  useEffect(() => {
    // currentUser rather than me: a visitor's null is not a failed request in the console.
    client?.api.auth.currentUser
      .query()
      .then((user) => {
        if (user) router.replace(next);
      })
      .catch(() => {
        // Not signed in: this form is what they need.
      });
  }, [client, router, next]);
  const locked = secondsLeft > 0;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!client || submitting || locked) return;
    const local = checkLocally(mode, { username, password });
    setFieldErrors(local);
    setFormError(null);
    if (Object.keys(local).length > 0) return;

    setSubmitting(true);
    try {
      if (mode === "login") {
        await client.api.auth.login.mutate({ username: username.trim(), password });
      } else {
        await client.api.auth.register.mutate({
          username: username.trim(),
          password,
          displayName: displayName.trim() || undefined,
        });
      }
      router.replace(next);
    } catch (error) {
      const problem = describeProblem(error);
      if (problem.code === "TOO_MANY_REQUESTS") {
        setRetryAtMs(Date.now() + (problem.retryAfterSeconds ?? 60) * 1_000);
        setFormError(null);
      } else if (problem.code === "CONFLICT") {
        setFieldErrors({ username: problem.message });
      } else if (problem.code === "BAD_REQUEST" && mode === "register") {
        const fields = problem.fieldErrors;
        setFieldErrors(
          Object.keys(fields).length > 0
            ? { username: fields.username, displayName: fields.displayName, password: fields.password }
            : { password: problem.message },
        );
      } else {
        setFormError(problem.message);
      }
      setSubmitting(false);
    }
  }

  const nextQuery = next === "/chats" ? "" : `?next=${encodeURIComponent(next)}`;
  const title = mode === "login" ? "Sign in to Parley" : "Create your account";

  return (
    <main className="flex min-h-dvh items-center justify-center bg-gradient-to-br from-sky-50 via-white to-indigo-50 px-4 py-10 dark:from-zinc-950 dark:via-zinc-950 dark:to-zinc-900">
      <div className="w-full max-w-sm">
        <div className="mb-8 flex flex-col items-center gap-3 text-center">
          <span className="flex size-14 items-center justify-center rounded-2xl bg-sky-700 text-2xl font-bold text-white shadow-lg shadow-sky-600/30">
            P
          </span>
          <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
          <p className="text-sm text-zinc-500 dark:text-zinc-400">
            {mode === "login" ? "Welcome back. Your conversations are waiting." : "Chat with your friends in real time."}
          </p>
        </div>

        {signedOutElsewhere && (
          <p role="status" className="mb-4 rounded-xl bg-amber-50 px-4 py-3 text-sm text-amber-900 ring-1 ring-amber-200 dark:bg-amber-950 dark:text-amber-100 dark:ring-amber-800">
            You were signed out from another device. Sign in again to continue.
          </p>
        )}
        <form
          noValidate
          onSubmit={submit}
          aria-label={title}
          className="flex flex-col gap-4 rounded-2xl border border-zinc-200 bg-white p-6 shadow-sm dark:border-zinc-800 dark:bg-zinc-900"
        >
          {formError && (
            <p role="alert" className="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-700 dark:bg-rose-950 dark:text-rose-300">
              {formError}
            </p>
          )}
          {locked && (
            <p role="alert" className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-800 dark:bg-amber-950 dark:text-amber-200">
              Too many attempts. Try again in {secondsLeft} s.
            </p>
          )}
          <TextField
            label="Username"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            value={username}
            onChange={(event) => setUsername(event.target.value)}
            error={fieldErrors.username}
            hint={mode === "register" ? `${usernameMinCharacters}–${usernameMaxCharacters} letters, digits, _ . or -` : undefined}
            autoFocus
          />
          {mode === "register" && (
            <TextField
              label="Display name (optional)"
              name="displayName"
              autoComplete="nickname"
              value={displayName}
              onChange={(event) => setDisplayName(event.target.value)}
              error={fieldErrors.displayName}
            />
          )}
          <TextField
            label="Password"
            name="password"
            type="password"
            autoComplete={mode === "login" ? "current-password" : "new-password"}
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            error={fieldErrors.password}
            hint={mode === "register" ? "At least 8 characters; avoid common passwords" : undefined}
          />
          <Button type="submit" size="lg" disabled={submitting || locked || !client} className="mt-2 w-full">
            {submitting ? (mode === "login" ? "Signing in…" : "Creating account…") : mode === "login" ? "Sign in" : "Create account"}
          </Button>
        </form>

        <p className="mt-6 text-center text-sm text-zinc-600 dark:text-zinc-400">
          {mode === "login" ? "New to Parley? " : "Already have an account? "}
          <Link
            href={`${mode === "login" ? "/register" : "/login"}${nextQuery}`}
            className="font-medium text-sky-700 hover:underline dark:text-sky-400"
          >
            {mode === "login" ? "Create an account" : "Sign in"}
          </Link>
        </p>
      </div>
    </main>
  );
}
