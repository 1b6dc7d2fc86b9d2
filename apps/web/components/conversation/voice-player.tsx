"use client";

import { useEffect, useRef, useState } from "react";

import type { AttachmentView } from "../../lib/api-types";
import { formatDuration } from "../../lib/media-format";
import { waveformBars } from "../../lib/waveform";
import { PauseIcon, PlayIcon } from "../ui/icons";

const barCount = 40;
const speeds = [1, 1.5, 2] as const;

/**
 * A voice message: play and pause, its waveform filling as it plays (a click or ← → seeks),
 * the time left or played, and a speed switch (1×, 1.5×, 2×).
 */
export function VoicePlayer({ voice, own }: { voice: AttachmentView; own: boolean }) {
  const audioRef = useRef<HTMLAudioElement>(null);
  const [playing, setPlaying] = useState(false);
  const [positionMs, setPositionMs] = useState(0);
  const [speed, setSpeed] = useState<(typeof speeds)[number]>(1);
  const [mediaDurationMs, setMediaDurationMs] = useState<number | null>(null);
  const durationMs = voice.durationMs ?? mediaDurationMs ?? 0;
  const bars = waveformBars(voice.waveform, barCount);
  const played = durationMs > 0 ? Math.min(1, positionMs / durationMs) : 0;

  useEffect(() => {
    if (audioRef.current) audioRef.current.playbackRate = speed;
  }, [speed]);

  function toggle() {
    const audio = audioRef.current;
    if (!audio) return;
    if (audio.paused) void audio.play().catch(() => setPlaying(false));
    else audio.pause();
  }

  function seekTo(fraction: number) {
    const audio = audioRef.current;
    if (!audio || durationMs === 0) return;
    audio.currentTime = (Math.min(1, Math.max(0, fraction)) * durationMs) / 1_000;
    setPositionMs(audio.currentTime * 1_000);
  }

  return (
    <div data-testid="voice-message" data-playing={playing} className="flex w-[min(17rem,65vw)] items-center gap-2.5 py-1">
      <audio
        ref={audioRef}
        src={voice.url || undefined}
        preload="metadata"
        onPlay={() => setPlaying(true)}
        onPause={() => setPlaying(false)}
        onEnded={() => {
          setPlaying(false);
          setPositionMs(0);
        }}
        onTimeUpdate={(event) => setPositionMs(event.currentTarget.currentTime * 1_000)}
        onLoadedMetadata={(event) => {
          const seconds = event.currentTarget.duration;
          if (Number.isFinite(seconds)) setMediaDurationMs(seconds * 1_000);
          event.currentTarget.playbackRate = speed;
        }}
      />
      <button
        type="button"
        onClick={toggle}
        disabled={!voice.url}
        aria-label={playing ? "Pause voice message" : "Play voice message"}
        className={`flex size-10 shrink-0 items-center justify-center rounded-full ${
          own ? "bg-white text-sky-600" : "bg-sky-600 text-white"
        } disabled:opacity-60`}
      >
        {playing ? <PauseIcon size={18} /> : <PlayIcon size={18} />}
      </button>
      <div className="min-w-0 flex-1">
        <div
          role="slider"
          tabIndex={0}
          aria-label="Position"
          aria-valuemin={0}
          aria-valuemax={Math.round(durationMs / 1_000)}
          aria-valuenow={Math.round(positionMs / 1_000)}
          aria-valuetext={`${formatDuration(positionMs)} of ${formatDuration(durationMs)}`}
          data-testid="voice-waveform"
          onClick={(event) => {
            const box = event.currentTarget.getBoundingClientRect();
            seekTo((event.clientX - box.left) / box.width);
          }}
          onKeyDown={(event) => {
            if (event.key === "ArrowRight") seekTo(played + 0.05);
            else if (event.key === "ArrowLeft") seekTo(played - 0.05);
          }}
          className="flex h-7 cursor-pointer items-center gap-[2px] rounded-sm"
        >
          {bars.map((height, index) => (
            <span
              key={index}
              className={`min-w-0 flex-1 rounded-full ${
                (index + 0.5) / barCount <= played
                  ? own
                    ? "bg-white"
                    : "bg-sky-600"
                  : own
                    ? "bg-white/45"
                    : "bg-zinc-400 dark:bg-zinc-500"
              }`}
              style={{ height: `${Math.max(12, Math.round(height * 100))}%` }}
            />
          ))}
        </div>
        <div className={`mt-0.5 flex items-center gap-2 text-xs ${own ? "text-sky-100" : "text-zinc-500 dark:text-zinc-400"}`}>
          <span data-testid="voice-time" className="tabular-nums">
            {playing || positionMs > 0 ? formatDuration(positionMs) : formatDuration(durationMs)}
          </span>
          <button
            type="button"
            aria-label={`Playback speed ${speed}×`}
            title="Playback speed"
            onClick={() => setSpeed((current) => speeds[(speeds.indexOf(current) + 1) % speeds.length] ?? 1)}
            className={`rounded-full px-1.5 font-semibold ${own ? "bg-white/20" : "bg-zinc-100 dark:bg-zinc-700"}`}
          >
            {speed}×
          </button>
        </div>
      </div>
    </div>
  );
}
