"use client";

import { displayNameMaxCharacters } from "@parley/db/limits";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from "react";

import { describeProblem } from "../../lib/api-errors";
import type { SessionView } from "../../lib/api-types";
import { useChatStore, useMe } from "../../lib/chat-context";
import { nameOf } from "../../lib/people";
import { formatFullDate } from "../../lib/time-format";
import { ScreenHeader } from "../shell/screen-header";
import { Button } from "../ui/button";
import { LogOutIcon } from "../ui/icons";
import { TextField } from "../ui/text-field";
import { AvatarEditor } from "./avatar-editor";

/** "Chrome on Linux" from a user-agent string; good enough to recognise your own devices. */
function describeDevice(userAgent: string | null): string {
  if (!userAgent) return "Unknown device";
  const browser =
    /Edg\//.test(userAgent) ? "Edge"
    : /Firefox\//.test(userAgent) ? "Firefox"
    : /Chrome\/|Chromium\//.test(userAgent) ? "Chrome"
    : /Safari\//.test(userAgent) ? "Safari"
    : /node|undici/i.test(userAgent) ? "Parley SDK"
    : "Browser";
  const system =
    /Android/.test(userAgent) ? "Android"
    : /iPhone|iPad/.test(userAgent) ? "iOS"
    : /Mac OS X/.test(userAgent) ? "macOS"
    : /Windows/.test(userAgent) ? "Windows"
    : /Linux/.test(userAgent) ? "Linux"
    : null;
  return system ? `${browser} on ${system}` : browser;
}

function Card({ title, children }: { title: string; children: ReactNode }) {
  const id = `settings-${title.toLowerCase().replace(/\W+/g, "-")}`;
  return (
    <section aria-labelledby={id} className="rounded-2xl border border-zinc-200 p-5 dark:border-zinc-800">
      <h2 id={id} className="mb-4 text-base font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

function ProfileForm() {
  const store = useChatStore();
  const me = useMe();
  const [displayName, setDisplayName] = useState(me.displayName);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setSaved(await store.updateDisplayName(displayName.trim()));
    setBusy(false);
  }

  return (
    <form onSubmit={submit} className="flex flex-col gap-4" aria-label="Profile">
      <AvatarEditor />
      <TextField
        label="Display name"
        value={displayName}
        maxLength={displayNameMaxCharacters}
        onChange={(event) => {
          setDisplayName(event.target.value);
          setSaved(false);
        }}
        hint={saved ? "Saved" : undefined}
      />
      <Button type="submit" className="self-start" disabled={busy || !displayName.trim() || displayName.trim() === me.displayName}>
        Save
      </Button>
    </form>
  );
}

function PasswordForm() {
  const store = useChatStore();
  const [currentPassword, setCurrentPassword] = useState("");
  const [newPassword, setNewPassword] = useState("");
  const [errors, setErrors] = useState<{ current?: string; next?: string }>({});
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setDone(false);
    if (!currentPassword || !newPassword) {
      setErrors({ current: currentPassword ? undefined : "Enter your current password", next: newPassword ? undefined : "Enter a new password" });
      return;
    }
    setBusy(true);
    try {
      await store.client.api.auth.changePassword.mutate({ currentPassword, newPassword });
      setErrors({});
      setCurrentPassword("");
      setNewPassword("");
      setDone(true);
    } catch (error) {
      const problem = describeProblem(error);
      setErrors(/current/i.test(problem.message) || problem.code === "TOO_MANY_REQUESTS" ? { current: problem.message } : { next: problem.message });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="flex flex-col gap-4" aria-label="Change password" noValidate>
      <TextField
        label="Current password"
        type="password"
        autoComplete="current-password"
        value={currentPassword}
        onChange={(event) => setCurrentPassword(event.target.value)}
        error={errors.current}
      />
      <TextField
        label="New password"
        type="password"
        autoComplete="new-password"
        value={newPassword}
        onChange={(event) => setNewPassword(event.target.value)}
        error={errors.next}
        hint="At least 8 characters. Your other devices will be signed out."
      />
      {done && (
        <p role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
          Password changed. Your other devices were signed out.
        </p>
      )}
      <Button type="submit" className="self-start" disabled={busy}>
        Change password
      </Button>
    </form>
  );
}

function SessionList({ onSignOut }: { onSignOut: () => void }) {
  const store = useChatStore();
  const [sessions, setSessions] = useState<SessionView[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    store.client.api.auth.sessions
      .query()
      .then((list) => {
        setSessions([...list].sort((a, b) => Number(b.current) - Number(a.current) || b.lastVerifiedAt.localeCompare(a.lastVerifiedAt)));
        setError(null);
      })
      .catch((failure: unknown) => setError(describeProblem(failure).message));
  }, [store]);
  useEffect(load, [load]);

  async function revoke(session: SessionView) {
    if (session.current) {
      onSignOut();
      return;
    }
    try {
      await store.client.api.auth.revokeSession.mutate({ sessionId: session.id });
      load();
    } catch (failure) {
      setError(describeProblem(failure).message);
    }
  }

  if (error) return <p role="alert" className="text-sm text-rose-600">{error}</p>;
  if (!sessions) return <p className="text-sm text-zinc-500">Loading…</p>;
  return (
    <ul className="flex flex-col divide-y divide-zinc-200 dark:divide-zinc-800" aria-label="Active sessions">
      {sessions.map((session) => (
        <li key={session.id} data-testid="session" className="flex items-center gap-3 py-3">
          <div className="min-w-0 flex-1">
            <p className="flex items-center gap-2 font-medium">
              {describeDevice(session.userAgent)}
              {session.current && (
                <span className="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100">
                  This device
                </span>
              )}
            </p>
            <p className="text-sm text-zinc-500">
              {session.ipAddress ?? "Unknown address"} · last active {formatFullDate(session.lastVerifiedAt)}
            </p>
          </div>
          <Button
            size="sm"
            variant="dangerGhost"
            onClick={() => void revoke(session)}
            aria-label={session.current ? "Sign out of this device" : `Revoke session on ${describeDevice(session.userAgent)}`}
          >
            {session.current ? "Sign out" : "Revoke"}
          </Button>
        </li>
      ))}
    </ul>
  );
}

export function SettingsScreen() {
  const store = useChatStore();
  const router = useRouter();

  const signOut = useCallback(async () => {
    await store.signOut();
    router.replace("/login");
  }, [store, router]);

  return (
    <div className="flex min-h-0 flex-1 flex-col bg-white dark:bg-zinc-950">
      <ScreenHeader title="Settings">
        <Button variant="ghost" onClick={() => void signOut()}>
          <LogOutIcon size={18} />
          Sign out
        </Button>
      </ScreenHeader>
      <div className="min-h-0 flex-1 overflow-y-auto">
        <div className="mx-auto flex max-w-2xl flex-col gap-6 px-3 py-6 md:px-6">
          <Card title="Profile">
            <ProfileForm />
          </Card>
          <Card title="Password">
            <PasswordForm />
          </Card>
          <Card title="Active sessions">
            <SessionList onSignOut={() => void signOut()} />
          </Card>
        </div>
      </div>
    </div>
  );
}
