"use client";

import { useState } from "react";

import { disappearingTimerSeconds } from "@parley/db/limits";

import type { ConversationSummary } from "../../lib/api-types";
import { useChatStore } from "../../lib/chat-context";
import { timerName } from "../../lib/disappearing";
import { Button } from "../ui/button";
import { Dialog } from "../ui/dialog";

/** Chooses the conversation's disappearing-message timer and when it starts. */
export function DisappearingDialog({
  conversation,
  open,
  onClose,
}: {
  conversation: ConversationSummary;
  open: boolean;
  onClose: () => void;
}) {
  const store = useChatStore();
  const [seconds, setSeconds] = useState<number | null>(conversation.disappearing?.seconds ?? null);
  const [startsAt, setStartsAt] = useState<"send" | "read">(conversation.disappearing?.startsAt ?? "send");
  const [saving, setSaving] = useState(false);
  const option = "flex cursor-pointer items-center gap-3 rounded-lg px-2 py-1.5 text-sm hover:bg-zinc-100 dark:hover:bg-zinc-800";

  return (
    <Dialog
      open={open}
      title="Disappearing messages"
      onClose={onClose}
      footer={
        <>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
          <Button
            disabled={saving}
            onClick={() => {
              setSaving(true);
              void store.setDisappearing(conversation.id, seconds, startsAt).then((done) => {
                setSaving(false);
                if (done) onClose();
              });
            }}
          >
            Save
          </Button>
        </>
      }
    >
      <p className="mb-3 text-sm text-zinc-600 dark:text-zinc-400">
        New messages in this chat disappear for everyone after the time you choose. The server deletes them; nobody can scroll back to them.
      </p>
      <fieldset className="mb-4 flex flex-col gap-0.5">
        <legend className="mb-1 text-sm font-medium text-zinc-700 dark:text-zinc-300">Timer</legend>
        {[null, ...disappearingTimerSeconds].map((value) => (
          <label key={value ?? "off"} className={option}>
            <input type="radio" name="timer" className="size-4 accent-sky-600" checked={seconds === value} onChange={() => setSeconds(value)} />
            {value === null ? "Off" : timerName(value)}
          </label>
        ))}
      </fieldset>
      <fieldset className="flex flex-col gap-0.5" disabled={seconds === null}>
        <legend className="mb-1 text-sm font-medium text-zinc-700 dark:text-zinc-300">The timer starts</legend>
        <label className={option}>
          <input type="radio" name="starts" className="size-4 accent-sky-600" checked={startsAt === "send"} onChange={() => setStartsAt("send")} />
          When a message is sent
        </label>
        <label className={option}>
          <input type="radio" name="starts" className="size-4 accent-sky-600" checked={startsAt === "read"} onChange={() => setStartsAt("read")} />
          When each person reads it (burn after reading)
        </label>
      </fieldset>
    </Dialog>
  );
}
