"use client";

import { useId } from "react";

import { useChatState, useMe } from "../../lib/chat-context";
import type { CallSnapshot } from "../../lib/calls/call-controller";
import { describeEnding, formatCallDuration } from "../../lib/calls/call-wording";
import { useCall } from "../../lib/calls/use-call";
import { conversationTitle, directPeerOf, nameOf } from "../../lib/people";
import { Button } from "../ui/button";
import { PhoneOffIcon } from "../ui/icons";
import { CallScreen } from "./call-screen";
import { IncomingCall } from "./incoming-call";

/** Whatever the device's call needs on screen, above every route: ringing, the call itself, or why it ended. */
export function CallLayer() {
  const { call, calls } = useCall();
  const me = useMe();
  const people = useChatState((state) => state.people);
  const conversation = useChatState((state) => (call.conversationId ? state.conversations[call.conversationId] : undefined));
  if (call.phase === "idle") return null;

  const personName = (userId: string | null) => (userId === me.id ? "You" : nameOf(userId ? people[userId] : null));
  const title = conversation ? conversationTitle(conversation, me.id) : "Call";
  const peer = conversation ? directPeerOf(conversation, me.id) : undefined;
  const avatarId = peer?.userId ?? call.conversationId ?? "";

  if (call.phase === "incoming") {
    return (
      <IncomingCall
        call={call}
        calls={calls}
        callerName={personName(call.callerId)}
        groupTitle={conversation?.kind === "group" ? title : null}
      />
    );
  }
  if (call.phase === "ended") return <CallEnded call={call} title={title} onClose={() => calls.dismiss()} />;
  return <CallScreen call={call} calls={calls} title={title} avatarId={avatarId} nameOf={personName} />;
}

function CallEnded({ call, title, onClose }: { call: CallSnapshot; title: string; onClose: () => void }) {
  const headingId = useId();
  const me = useMe();
  const ending = call.ending;
  const text = ending
    ? describeEnding(ending, { outgoing: call.callerId === me.id, otherName: title, wasConnected: call.connectedAt !== null })
    : "Call ended";
  const lasted = call.connectedAt !== null && call.endedAt !== null ? formatCallDuration((call.endedAt - call.connectedAt) / 1_000) : null;
  const isProblem = ending?.kind === "problem";
  return (
    <div className="pointer-events-none fixed inset-x-0 top-4 z-50 flex justify-center px-4 md:top-6" data-testid="call-ended" data-reason={ending?.kind === "reason" ? ending.reason : (ending?.kind ?? "")}>
      <section
        role={isProblem ? "alert" : "status"}
        aria-labelledby={headingId}
        className="pointer-events-auto flex w-full max-w-md items-center gap-3 rounded-2xl bg-zinc-900 px-4 py-3 text-white shadow-2xl ring-1 ring-white/10"
      >
        <span className={`flex size-10 shrink-0 items-center justify-center rounded-full ${isProblem ? "bg-rose-600" : "bg-white/15"}`}>
          <PhoneOffIcon />
        </span>
        <div className="min-w-0 flex-1">
          <h2 id={headingId} className="truncate text-sm font-semibold">
            {isProblem ? "Can’t start the call" : title}
          </h2>
          <p className="text-sm text-white/80">
            {text}
            {lasted && !isProblem ? ` · ${lasted}` : ""}
          </p>
        </div>
        <Button variant="secondary" size="sm" onClick={onClose}>
          Close
        </Button>
      </section>
    </div>
  );
}
