"use client";

import { useEffect, useState } from "react";

import type { CallController, CallParticipant, CallSnapshot } from "../../lib/calls/call-controller";
import { formatCallDuration, qualityLabels } from "../../lib/calls/call-wording";
import type { ConnectionQuality } from "../../lib/calls/connection-quality";
import { Avatar } from "../ui/avatar";
import { MicIcon, MicOffIcon, PhoneOffIcon, ScreenShareIcon, SwitchCameraIcon, VideoIcon, VideoOffIcon } from "../ui/icons";
import { CallControl } from "./call-control";
import { StreamAudio, StreamVideo } from "./media-elements";

/** The running call's clock, from when the first connection came up. */
function useElapsedSeconds(since: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (since === null) return;
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, [since]);
  return since === null ? 0 : Math.max(0, (now - since) / 1_000);
}

function statusLine(call: CallSnapshot, elapsedSeconds: number): string {
  if (call.phase === "outgoing") return call.preparing ? "Starting…" : "Ringing…";
  if (call.participants.length > 0 && call.participants.every((participant) => participant.status.reconnecting)) return "Reconnecting…";
  if (call.connectedAt === null) return "Connecting…";
  return formatCallDuration(elapsedSeconds);
}

/** The worst line among the participants is the one the call feels like. */
function overallQuality(participants: CallParticipant[]): ConnectionQuality {
  const order: ConnectionQuality[] = ["poor", "fair", "good"];
  for (const quality of order) if (participants.some((participant) => participant.status.quality === quality)) return quality;
  return "unknown";
}

const qualityBars: Record<ConnectionQuality, number> = { unknown: 0, poor: 1, fair: 2, good: 3 };
const qualityColours: Record<ConnectionQuality, string> = { unknown: "bg-white/40", poor: "bg-rose-500", fair: "bg-amber-400", good: "bg-emerald-400" };

function QualityIndicator({ quality }: { quality: ConnectionQuality }) {
  return (
    <span className="inline-flex items-center gap-1.5 text-xs text-white/80" data-testid="call-quality" data-quality={quality}>
      <span className="flex h-3 items-end gap-0.5" aria-hidden="true">
        {[1, 2, 3].map((bar) => (
          <span key={bar} className={`w-1 rounded-sm ${bar <= qualityBars[quality] ? qualityColours[quality] : "bg-white/25"}`} style={{ height: `${bar * 4}px` }} />
        ))}
      </span>
      {qualityLabels[quality]}
    </span>
  );
}

function ParticipantTile({ participant, name, large }: { participant: CallParticipant; name: string; large: boolean }) {
  const { status } = participant;
  const showVideo = status.videoTrack === "live" && !status.videoMuted;
  const linkState = status.reconnecting ? "reconnecting" : status.connectionState !== "connected" ? "connecting" : null;
  return (
    <div
      className="relative flex min-h-0 items-center justify-center overflow-hidden rounded-2xl bg-zinc-800"
      data-testid="call-participant"
      data-user-id={participant.userId}
      data-connection-state={status.connectionState}
      data-audio-track={status.audioTrack ?? "none"}
      data-video-track={status.videoTrack ?? "none"}
      data-reconnecting={status.reconnecting}
    >
      <StreamAudio stream={participant.stream} />
      {showVideo ? (
        <StreamVideo stream={participant.stream} fit={large ? "contain" : "cover"} className={large ? "max-md:object-cover" : ""} />
      ) : (
        <div className="flex flex-col items-center gap-3">
          <Avatar id={participant.userId} name={name} size="xl" />
          <span className="text-sm text-white/80">
            {name}
            {linkState ? ` · ${linkState}` : ""}
          </span>
        </div>
      )}
      {showVideo && (
        <span className="absolute bottom-2 left-2 rounded-lg bg-black/50 px-2 py-0.5 text-xs text-white">
          {name}
          {linkState ? ` · ${linkState}` : ""}
        </span>
      )}
    </div>
  );
}

/** The call in progress: the other side large, this device small in a corner, the controls below. */
export function CallScreen({
  call,
  calls,
  title,
  avatarId,
  nameOf,
}: {
  call: CallSnapshot;
  calls: CallController;
  title: string;
  /** Whose avatar shows while ringing: the other person's, or the group's. */
  avatarId: string;
  nameOf: (userId: string) => string;
}) {
  const elapsed = useElapsedSeconds(call.connectedAt);
  const participants = call.participants;
  const solo = participants.length <= 1;
  const only = participants[0];
  const showLocalVideo = call.localStream !== null && (call.cameraOn || call.screenSharing);
  const grid = participants.length <= 1 ? "grid-cols-1" : participants.length === 2 ? "grid-cols-1 grid-rows-2 md:grid-cols-2 md:grid-rows-1" : "grid-cols-2 grid-rows-2";

  return (
    <>
    <div className="fixed inset-0 z-40 hidden bg-black/60 backdrop-blur-sm md:block" aria-hidden="true" />
    <section
      aria-label={`Call with ${title}`}
      className="fixed inset-0 z-40 flex flex-col bg-zinc-950 text-white md:inset-6 md:rounded-3xl md:shadow-2xl md:ring-1 md:ring-white/10"
      data-testid="call-screen"
      data-call-phase={call.phase}
    >
      <header className="flex shrink-0 items-center justify-between gap-3 px-4 pt-4 md:px-6">
        <div className="min-w-0">
          <h2 className="truncate text-lg font-semibold">{title}</h2>
          <p className="text-sm text-white/70 tabular-nums" data-testid="call-status" aria-live="polite">
            {statusLine(call, elapsed)}
          </p>
        </div>
        {call.phase === "active" && participants.length > 0 && <QualityIndicator quality={overallQuality(participants)} />}
      </header>

      <div className="relative min-h-0 flex-1 p-3 md:p-4">
        {call.phase === "outgoing" || !only ? (
          <div className="flex h-full flex-col items-center justify-center gap-4">
            <span className="relative inline-flex rounded-full">
              <span className="absolute inset-0 rounded-full bg-white/20 motion-safe:animate-ping" aria-hidden="true" />
              <Avatar id={avatarId} name={title} size="xl" />
            </span>
            <p className="text-white/70">{call.phase === "outgoing" ? `Calling ${title}…` : "Connecting…"}</p>
          </div>
        ) : (
          <div className={`grid h-full gap-3 ${grid}`}>
            {participants.map((participant) => (
              <ParticipantTile key={participant.userId} participant={participant} name={nameOf(participant.userId)} large={solo} />
            ))}
          </div>
        )}
        {showLocalVideo && call.localStream && (
          <div
            className="absolute right-5 bottom-5 aspect-[3/4] w-28 overflow-hidden rounded-xl bg-zinc-800 shadow-lg ring-1 ring-white/20 md:right-7 md:bottom-7 md:aspect-video md:w-56"
            data-testid="call-local-preview"
          >
            <StreamVideo stream={call.localStream} mirrored={!call.screenSharing} fit={call.screenSharing ? "contain" : "cover"} />
            <span className="absolute bottom-1 left-1.5 text-[11px] text-white/90">{call.screenSharing ? "Your screen" : "You"}</span>
          </div>
        )}
      </div>

      {call.problem && (
        <p role="alert" className="mx-auto mb-2 max-w-md rounded-xl bg-rose-600/90 px-4 py-2 text-center text-sm">
          {call.problem}
        </p>
      )}

      <div className="flex shrink-0 flex-wrap items-start justify-center gap-3 px-4 pt-2 pb-[max(1.5rem,env(safe-area-inset-bottom))] md:gap-5">
        <CallControl
          label={call.micMuted ? "Unmute microphone" : "Mute microphone"}
          caption={call.micMuted ? "Unmute" : "Mute"}
          tone={call.micMuted ? "active" : "neutral"}
          pressed={call.micMuted}
          disabled={!call.localStream}
          onClick={() => calls.toggleMute()}
        >
          {call.micMuted ? <MicOffIcon size={24} /> : <MicIcon size={24} />}
        </CallControl>
        <CallControl
          label={call.cameraOn ? "Turn camera off" : "Turn camera on"}
          caption={call.cameraOn ? "Stop video" : "Start video"}
          tone={call.cameraOn ? "neutral" : "active"}
          pressed={!call.cameraOn}
          disabled={!call.localStream}
          onClick={() => void calls.toggleCamera()}
        >
          {call.cameraOn ? <VideoIcon size={24} /> : <VideoOffIcon size={24} />}
        </CallControl>
        {call.canSwitchCamera && call.cameraOn && (
          <CallControl label="Switch camera" caption="Flip" onClick={() => void calls.switchCamera()}>
            <SwitchCameraIcon size={24} />
          </CallControl>
        )}
        {call.canShareScreen && (
          <CallControl
            label={call.screenSharing ? "Stop sharing your screen" : "Share your screen"}
            caption={call.screenSharing ? "Stop sharing" : "Share screen"}
            tone={call.screenSharing ? "active" : "neutral"}
            pressed={call.screenSharing}
            disabled={call.phase !== "active"}
            onClick={() => void calls.toggleScreenShare()}
          >
            <ScreenShareIcon size={24} />
          </CallControl>
        )}
        <CallControl label="Hang up" caption="End" tone="danger" onClick={() => calls.hangUp()}>
          <PhoneOffIcon size={24} />
        </CallControl>
      </div>
    </section>
    </>
  );
}
