"use client";

import { useId } from "react";

import type { CallController, CallSnapshot } from "../../lib/calls/call-controller";
import { Avatar } from "../ui/avatar";
import { PhoneIcon, PhoneOffIcon, VideoIcon } from "../ui/icons";
import { CallControl } from "./call-control";

/** The ringing screen: who calls, and answer with voice, with video, or decline. */
export function IncomingCall({
  call,
  calls,
  callerName,
  groupTitle,
}: {
  call: CallSnapshot;
  calls: CallController;
  callerName: string;
  groupTitle: string | null;
}) {
  const headingId = useId();
  const kind = call.media === "video" ? "video" : "voice";
  return (
    <div className="fixed inset-0 z-50 flex items-stretch justify-center bg-black/60 md:items-center" data-testid="incoming-call">
      <section
        role="dialog"
        aria-modal="true"
        aria-labelledby={headingId}
        className="flex w-full flex-col items-center justify-between bg-gradient-to-b from-zinc-800 to-zinc-950 px-6 pt-16 pb-12 text-white md:h-auto md:w-96 md:gap-10 md:rounded-3xl md:pt-10 md:pb-8 md:shadow-2xl"
      >
        <div className="flex flex-col items-center gap-4 text-center">
          <span className="relative inline-flex rounded-full">
              <span className="absolute inset-0 rounded-full bg-white/20 motion-safe:animate-ping" aria-hidden="true" />
              <Avatar id={call.callerId ?? ""} name={callerName} size="xl" />
            </span>
          <h2 id={headingId} className="text-2xl font-semibold">
            {callerName}
          </h2>
          <p className="text-white/70">
            {`Incoming ${kind} call`}
            {groupTitle ? ` · ${groupTitle}` : ""}
          </p>
          {call.problem && (
            <p role="alert" className="max-w-xs rounded-xl bg-rose-600/90 px-4 py-2 text-sm">
              {call.problem}
            </p>
          )}
        </div>
        <div className="flex items-start justify-center gap-6">
          <CallControl label="Decline" caption="Decline" tone="danger" onClick={() => calls.decline()}>
            <PhoneOffIcon size={24} />
          </CallControl>
          <CallControl label="Accept with voice" caption="Voice" tone="accept" autoFocus disabled={call.preparing} onClick={() => void calls.accept("audio")}>
            <PhoneIcon size={24} />
          </CallControl>
          <CallControl label="Accept with video" caption="Video" tone="accept" disabled={call.preparing} onClick={() => void calls.accept("video")}>
            <VideoIcon size={24} />
          </CallControl>
        </div>
      </section>
    </div>
  );
}
