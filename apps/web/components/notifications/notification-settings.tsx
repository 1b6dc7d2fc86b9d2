"use client";

import { useEffect, useState, type ReactNode } from "react";

import { describeProblem } from "../../lib/api-errors";
import { useChatStore } from "../../lib/chat-context";
import { disablePush, enablePush, pushSupported, readPushState, type PushState } from "../../lib/push-subscription";
import { useNotifications } from "./notifications-provider";

function Toggle({
  label,
  description,
  checked,
  disabled,
  onChange,
  testId,
}: {
  label: string;
  description: ReactNode;
  checked: boolean;
  disabled?: boolean;
  onChange: (checked: boolean) => void;
  testId: string;
}) {
  return (
    // Relative: the visually hidden input is placed in this row, so scrolling Settings brings it into
    // view (for focus and clicks) instead of leaving it where the page would be unscrolled.
    <label className={`relative flex items-start justify-between gap-4 py-2 ${disabled ? "opacity-60" : "cursor-pointer"}`}>
      <span className="min-w-0">
        <span className="block font-medium">{label}</span>
        <span className="block text-sm text-zinc-500 dark:text-zinc-400">{description}</span>
      </span>
      <input
        type="checkbox"
        role="switch"
        data-testid={testId}
        className="peer sr-only"
        checked={checked}
        disabled={disabled}
        onChange={(event) => onChange(event.target.checked)}
      />
      <span
        aria-hidden="true"
        className="relative mt-1 h-6 w-11 shrink-0 rounded-full bg-zinc-300 transition-colors peer-checked:bg-sky-600 peer-focus-visible:outline-2 peer-focus-visible:outline-offset-2 peer-focus-visible:outline-sky-500 after:absolute after:top-0.5 after:left-0.5 after:size-5 after:rounded-full after:bg-white after:shadow after:transition-transform peer-checked:after:translate-x-5 dark:bg-zinc-700"
      />
    </label>
  );
}

const pushDescriptions: Record<PushState, string> = {
  unsupported: "This browser cannot receive notifications from Parley.",
  denied: "Notifications are blocked for this site; allow them in the browser’s site settings.",
  off: "Get a notification on this device when a message arrives while you’re away.",
  on: "This device gets a notification when a message arrives while you’re away.",
};

/** Settings → Notifications: pushes to this device, previews (for every device), sound. */
export function NotificationSettings() {
  const store = useChatStore();
  const { soundOn, setSoundOn } = useNotifications();
  const [pushState, setPushState] = useState<PushState | null>(null);
  const [previews, setPreviews] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    void readPushState().then(setPushState);
    store.client.api.notifications.settings
      .query()
      .then((settings) => setPreviews(settings.previews))
      .catch((error: unknown) => setProblem(describeProblem(error).message));
  }, [store]);

  const togglePush = async (on: boolean) => {
    setBusy(true);
    setProblem(null);
    try {
      setPushState(on ? await enablePush(store.client) : await disablePush(store.client));
    } catch (error) {
      setProblem(error instanceof Error && !("data" in error) ? "Could not turn on notifications in this browser." : describeProblem(error).message);
      setPushState(await readPushState());
    } finally {
      setBusy(false);
    }
  };

  const togglePreviews = async (on: boolean) => {
    setProblem(null);
    setPreviews(on);
    try {
      setPreviews((await store.client.api.notifications.updateSettings.mutate({ previews: on })).previews);
    } catch (error) {
      setPreviews(!on);
      setProblem(describeProblem(error).message);
    }
  };

  return (
    <div className="flex flex-col divide-y divide-zinc-100 dark:divide-zinc-800">
      <Toggle
        testId="push-toggle"
        label="Notifications on this device"
        description={pushDescriptions[pushState ?? (pushSupported() ? "off" : "unsupported")]}
        checked={pushState === "on"}
        disabled={busy || pushState === null || pushState === "unsupported" || (pushState === "denied" && !busy)}
        onChange={(on) => void togglePush(on)}
      />
      <Toggle
        testId="previews-toggle"
        label="Show message previews"
        description="Notifications show who wrote and what. Off, they only say that a message came. Applies to all your devices."
        checked={previews === true}
        disabled={previews === null}
        onChange={(on) => void togglePreviews(on)}
      />
      <Toggle
        testId="sound-toggle"
        label="Sound"
        description="Play a sound when a message arrives in a conversation you’re not looking at."
        checked={soundOn}
        onChange={setSoundOn}
      />
      {problem && (
        <p role="alert" className="pt-2 text-sm text-rose-600 dark:text-rose-400">
          {problem}
        </p>
      )}
    </div>
  );
}
