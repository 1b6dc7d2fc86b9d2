"use client";

import { groupTitleMaxCharacters } from "@parley/db/limits";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";

import { useChatState, useChatStore } from "../../lib/chat-context";
import { Button } from "../ui/button";
import { Dialog } from "../ui/dialog";
import { TextField } from "../ui/text-field";
import { FriendPicker } from "./friend-picker";

export function CreateGroupDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const store = useChatStore();
  const router = useRouter();
  const friends = useChatState((state) => state.friends);
  const [title, setTitle] = useState("");
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function close() {
    setTitle("");
    setSelected(new Set());
    setError(null);
    onClose();
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!title.trim()) {
      setError("Give the group a name");
      return;
    }
    setBusy(true);
    const id = await store.createGroup(title.trim(), [...selected]);
    setBusy(false);
    if (id) {
      close();
      router.push(`/chats/${id}`);
    }
  }

  return (
    <Dialog open={open} title="New group" onClose={close}>
      <form onSubmit={submit} className="flex flex-col gap-5" aria-label="New group">
        <TextField
          label="Group name"
          value={title}
          maxLength={groupTitleMaxCharacters}
          onChange={(event) => setTitle(event.target.value)}
          error={error}
          autoFocus
        />
        <FriendPicker friends={friends} selected={selected} onChange={setSelected} legend="Members" />
        <div className="flex justify-end gap-2">
          <Button variant="ghost" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" disabled={busy}>
            {busy ? "Creating…" : `Create group${selected.size > 0 ? ` (${selected.size + 1})` : ""}`}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
