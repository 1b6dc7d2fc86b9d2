"use client";

import { groupTitleMaxCharacters } from "@parley/db/limits";
import { useRouter } from "next/navigation";
import { useMemo, useState, type FormEvent } from "react";

import type { ConversationMemberView, ConversationSummary, MemberRole } from "../../lib/api-types";
import { useChatState, useChatStore, useMe } from "../../lib/chat-context";
import { conversationTitle, directPeerOf, nameOf } from "../../lib/people";
import { FriendPicker } from "../groups/friend-picker";
import { Avatar } from "../ui/avatar";
import { Button, IconButton } from "../ui/button";
import { Dialog } from "../ui/dialog";
import { CloseIcon, EditIcon } from "../ui/icons";
import { TextField } from "../ui/text-field";

const roleLabels: Record<MemberRole, string | null> = { owner: "Owner", admin: "Admin", member: null };

/** Details beside the conversation: a friend's profile, or a group's members and settings. */
export function ConversationInfoPanel({ conversation, onClose }: { conversation: ConversationSummary; onClose: () => void }) {
  const me = useMe();
  const title = conversationTitle(conversation, me.id);
  return (
    <aside
      aria-label={`About ${title}`}
      className="fixed inset-0 z-30 flex flex-col bg-white md:static md:z-auto md:w-80 md:border-l md:border-zinc-200 lg:w-96 dark:bg-zinc-950 dark:md:border-zinc-800"
    >
      <header className="flex h-16 shrink-0 items-center gap-2 border-b border-zinc-200 px-4 dark:border-zinc-800">
        <h2 className="flex-1 font-semibold">{conversation.kind === "group" ? "Group info" : "Profile"}</h2>
        <IconButton label="Close details" onClick={onClose}>
          <CloseIcon />
        </IconButton>
      </header>
      <div className="min-h-0 flex-1 overflow-y-auto">
        {conversation.kind === "group" ? <GroupDetails conversation={conversation} /> : <DirectDetails conversation={conversation} />}
      </div>
    </aside>
  );
}

function DirectDetails({ conversation }: { conversation: ConversationSummary }) {
  const me = useMe();
  const peer = directPeerOf(conversation, me.id);
  const online = useChatState((state) => (peer ? (state.presence[peer.userId] ?? false) : false));
  if (!peer) return null;
  return (
    <div className="flex flex-col items-center gap-2 px-6 py-8 text-center">
      <Avatar id={peer.userId} name={nameOf(peer)} src={peer.avatarUrl} size="xl" online={online} />
      <p className="mt-2 text-xl font-semibold">{nameOf(peer)}</p>
      <p className="text-sm text-zinc-500 dark:text-zinc-400">@{peer.username}</p>
      <p className={`text-sm ${online ? "text-emerald-600" : "text-zinc-500 dark:text-zinc-400"}`}>{online ? "online" : "offline"}</p>
    </div>
  );
}

function GroupDetails({ conversation }: { conversation: ConversationSummary }) {
  const store = useChatStore();
  const router = useRouter();
  const me = useMe();
  const presence = useChatState((state) => state.presence);
  const friends = useChatState((state) => state.friends);
  const myRole = conversation.members.find((member) => member.userId === me.id)?.role ?? "member";
  const canManage = myRole === "owner" || myRole === "admin";
  const [renaming, setRenaming] = useState(false);
  const [title, setTitle] = useState(conversation.title ?? "");
  const [adding, setAdding] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirmLeave, setConfirmLeave] = useState(false);
  const [removing, setRemoving] = useState<ConversationMemberView | null>(null);

  const addable = useMemo(
    () => friends.filter((friend) => !conversation.members.some((member) => member.userId === friend.user.id)),
    [friends, conversation.members],
  );
  const members = useMemo(() => {
    const rank: Record<MemberRole, number> = { owner: 0, admin: 1, member: 2 };
    return [...conversation.members].sort((a, b) => rank[a.role] - rank[b.role] || nameOf(a).localeCompare(nameOf(b)));
  }, [conversation.members]);

  async function rename(event: FormEvent) {
    event.preventDefault();
    if (await store.renameGroup(conversation.id, title.trim())) setRenaming(false);
  }

  function canRemove(member: ConversationMemberView): boolean {
    if (member.userId === me.id || member.role === "owner") return false;
    return myRole === "owner" || (myRole === "admin" && member.role === "member");
  }

  return (
    <div className="flex flex-col">
      <div className="flex flex-col items-center gap-2 px-6 py-6 text-center">
        <Avatar id={conversation.id} name={conversation.title ?? "Group"} size="xl" />
        {renaming ? (
          <form onSubmit={rename} className="mt-2 flex w-full flex-col gap-2" aria-label="Rename group">
            <TextField
              label="Group name"
              value={title}
              maxLength={groupTitleMaxCharacters}
              onChange={(event) => setTitle(event.target.value)}
              autoFocus
            />
            <div className="flex justify-center gap-2">
              <Button variant="ghost" size="sm" onClick={() => setRenaming(false)}>
                Cancel
              </Button>
              <Button type="submit" size="sm" disabled={!title.trim()}>
                Save
              </Button>
            </div>
          </form>
        ) : (
          <div className="mt-2 flex items-center gap-1">
            <p className="text-xl font-semibold break-all">{conversation.title}</p>
            {canManage && (
              <IconButton
                label="Rename group"
                className="size-8"
                onClick={() => {
                  setTitle(conversation.title ?? "");
                  setRenaming(true);
                }}
              >
                <EditIcon size={16} />
              </IconButton>
            )}
          </div>
        )}
        <p className="text-sm text-zinc-500 dark:text-zinc-400">
          {conversation.members.length} {conversation.members.length === 1 ? "member" : "members"}
        </p>
      </div>

      <section aria-labelledby="members-heading" className="border-t border-zinc-200 px-3 py-4 dark:border-zinc-800">
        <div className="mb-2 flex items-center justify-between px-2">
          <h3 id="members-heading" className="text-sm font-semibold text-zinc-500 dark:text-zinc-400 uppercase">
            Members
          </h3>
          {canManage && (
            <Button size="sm" variant="secondary" onClick={() => setAdding(true)}>
              Add members
            </Button>
          )}
        </div>
        <ul className="flex flex-col" aria-label="Members">
          {members.map((member) => {
            const role = roleLabels[member.role];
            return (
              <li
                key={member.userId}
                data-testid="group-member"
                className="flex flex-col gap-1 rounded-lg px-2 py-2 hover:bg-zinc-50 dark:hover:bg-zinc-900"
              >
                <div className="flex items-center gap-3">
                  <Avatar
                    id={member.userId}
                    name={nameOf(member)}
                    src={member.avatarUrl}
                    size="md"
                    online={member.userId === me.id ? undefined : presence[member.userId]}
                  />
                  <span className="min-w-0 flex-1">
                    <span className="block truncate text-sm font-medium">
                      {nameOf(member)}
                      {member.userId === me.id && <span className="text-zinc-500 dark:text-zinc-400"> (you)</span>}
                    </span>
                    <span className="block truncate text-xs text-zinc-500 dark:text-zinc-400">@{member.username}</span>
                  </span>
                  {role && (
                    <span className="shrink-0 rounded-full bg-sky-100 px-2 py-0.5 text-xs font-medium text-sky-800 dark:bg-sky-900 dark:text-sky-100">
                      {role}
                    </span>
                  )}
                </div>
                {(myRole === "owner" && member.userId !== me.id) || canRemove(member) ? (
                  <div className="flex gap-1 pl-13">
                    {myRole === "owner" && member.userId !== me.id && (
                      <Button
                        size="sm"
                        variant="secondary"
                        aria-label={
                          member.role === "admin" ? `Remove admin rights from ${nameOf(member)}` : `Make ${nameOf(member)} an admin`
                        }
                        onClick={() =>
                          void store.setRole(conversation.id, member.userId, member.role === "admin" ? "member" : "admin")
                        }
                      >
                        {member.role === "admin" ? "Dismiss admin" : "Make admin"}
                      </Button>
                    )}
                    {canRemove(member) && (
                      <Button
                        size="sm"
                        variant="dangerGhost"
                        aria-label={`Remove ${nameOf(member)} from the group`}
                        onClick={() => setRemoving(member)}
                      >
                        Remove
                      </Button>
                    )}
                  </div>
                ) : null}
              </li>
            );
          })}
        </ul>
      </section>

      <div className="border-t border-zinc-200 p-4 dark:border-zinc-800">
        <Button variant="dangerGhost" className="w-full" onClick={() => setConfirmLeave(true)}>
          Leave group
        </Button>
      </div>

      <Dialog
        open={adding}
        title="Add members"
        onClose={() => {
          setAdding(false);
          setSelected(new Set());
        }}
        footer={
          <Button
            disabled={selected.size === 0}
            onClick={async () => {
              if (await store.addMembers(conversation.id, [...selected])) {
                setAdding(false);
                setSelected(new Set());
              }
            }}
          >
            Add {selected.size > 0 ? selected.size : ""}
          </Button>
        }
      >
        <FriendPicker friends={addable} selected={selected} onChange={setSelected} legend="Friends not in this group" />
      </Dialog>

      <Dialog
        open={removing !== null}
        title="Remove member?"
        onClose={() => setRemoving(null)}
        footer={
          <>
            <Button variant="ghost" onClick={() => setRemoving(null)}>
              Cancel
            </Button>
            <Button
              variant="danger"
              onClick={() => {
                if (removing) void store.removeMember(conversation.id, removing.userId);
                setRemoving(null);
              }}
            >
              Remove
            </Button>
          </>
        }
      >
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          {removing ? nameOf(removing) : ""} will be removed from “{conversation.title}” and will stop receiving its messages.
        </p>
      </Dialog>

      <Dialog
        open={confirmLeave}
        title="Leave group?"
        onClose={() => setConfirmLeave(false)}
        footer={
          <>
            <Button variant="ghost" onClick={() => setConfirmLeave(false)}>
              Cancel
            </Button>
            <Button
              variant="danger"
              onClick={async () => {
                setConfirmLeave(false);
                if (await store.leaveGroup(conversation.id)) router.replace("/chats");
              }}
            >
              Leave
            </Button>
          </>
        }
      >
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          You will stop receiving messages from “{conversation.title}”.
          {myRole === "owner" && " Ownership passes to another member."}
        </p>
      </Dialog>
    </div>
  );
}
