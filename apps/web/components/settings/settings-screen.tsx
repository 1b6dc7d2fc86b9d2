"use client";

import { displayNameMaxCharacters } from "@parley/db/limits";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from "react";

import { describeProblem } from "../../lib/api-errors";
import type { SessionView } from "../../lib/api-types";
import { useChatStore, useMe } from "../../lib/chat-context";
import { nameOf } from "../../lib/people";
import { applyThemePreference, readThemePreference, themePreferences, type ThemePreference } from "../../lib/theme";
import { formatFullDate } from "../../lib/time-format";
import { NotificationSettings } from "../notifications/notification-settings";
import { ScreenHeader } from "../shell/screen-header";
import { Button } from "../ui/button";
import { Dialog } from "../ui/dialog";
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
  const [confirmingRevokeAll, setConfirmingRevokeAll] = useState(false);
  const [revokedCount, setRevokedCount] = useState<number | null>(null);

  const load = useCallback(() => {
    store.client.api.auth.sessions
      .query()
      .then((list) => {
        setSessions([...list].sort((a, b) => Number(b.current) - Number(a.current) || b.lastActiveAt.localeCompare(a.lastActiveAt)));
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

  async function revokeOthers() {
    setConfirmingRevokeAll(false);
    const count = await store.signOutOtherDevices();
    if (count !== null) {
      setRevokedCount(count);
      load();
    }
  }

  if (error) return <p role="alert" className="text-sm text-rose-700 dark:text-rose-400">{error}</p>;
  if (!sessions) return <p className="text-sm text-zinc-600 dark:text-zinc-400">Loading…</p>;
  const others = sessions.filter((session) => !session.current).length;
  return (
    <div className="flex flex-col gap-3">
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
            <p className="text-sm text-zinc-600 dark:text-zinc-400">
              {session.ipAddress ?? "Unknown address"} ·{" "}
              {session.current ? "active now" : `last active ${formatFullDate(session.lastActiveAt)}`}
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
      {revokedCount !== null && (
        <p role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
          {revokedCount === 1 ? "1 other device was signed out." : `${revokedCount} other devices were signed out.`}
        </p>
      )}
      <Button variant="secondary" className="self-start" disabled={others === 0} onClick={() => setConfirmingRevokeAll(true)}>
        Sign out all other devices
      </Button>
      <Dialog
        open={confirmingRevokeAll}
        title="Sign out all other devices?"
        onClose={() => setConfirmingRevokeAll(false)}
        footer={
          <>
            <Button variant="ghost" onClick={() => setConfirmingRevokeAll(false)}>
              Cancel
            </Button>
            <Button variant="danger" onClick={() => void revokeOthers()}>
              Sign out {others === 1 ? "1 device" : `${others} devices`}
            </Button>
          </>
        }
      >
        <p className="text-sm text-zinc-600 dark:text-zinc-400">Every device but this one will need your password to sign in again.</p>
      </Dialog>
    </div>
  );
}

const themeLabels: Record<ThemePreference, string> = { system: "System", light: "Light", dark: "Dark" };

function ThemePicker() {
  // Read after mounting: the server cannot know this browser's choice.
  const [preference, setPreference] = useState<ThemePreference | null>(null);
  useEffect(() => setPreference(readThemePreference()), []);
  return (
    <fieldset className="flex flex-col gap-2">
      <legend className="sr-only">Theme</legend>
      <div className="inline-flex self-start rounded-xl bg-zinc-100 p-1 dark:bg-zinc-800">
        {themePreferences.map((option) => (
          <label
            key={option}
            className="relative cursor-pointer rounded-lg px-4 py-1.5 text-sm font-medium text-zinc-700 has-[:checked]:bg-white has-[:checked]:text-zinc-900 has-[:checked]:shadow-sm has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-sky-500 dark:text-zinc-300 dark:has-[:checked]:bg-zinc-950 dark:has-[:checked]:text-zinc-100"
          >
            <input
              type="radio"
              name="theme"
              value={option}
              className="sr-only"
              checked={preference === option}
              onChange={() => {
                setPreference(option);
                applyThemePreference(option);
              }}
            />
            {themeLabels[option]}
          </label>
        ))}
      </div>
      <p className="text-sm text-zinc-600 dark:text-zinc-400">System follows your device’s light or dark setting. Kept on this device only.</p>
    </fieldset>
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
          <Card title="Appearance">
            <ThemePicker />
          </Card>
          <Card title="Notifications">
            <NotificationSettings />
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
