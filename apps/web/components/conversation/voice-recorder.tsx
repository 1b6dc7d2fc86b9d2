"use client";

import { useEffect, useRef, useState, type PointerEvent } from "react";

import { formatDuration } from "../../lib/media-format";
import { measureRecording } from "../../lib/waveform";
import { CloseIcon, SendIcon } from "../ui/icons";

/** Sliding the recording bar this far to the left throws the recording away. */
const slideToCancelPx = 120;

/** Opus in WebM where the browser records it (Chromium, Firefox), else what it offers (Safari: MP4). */
function recordingType(): string | undefined {
  const candidates = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/mp4"];
  return candidates.find((type) => typeof MediaRecorder !== "undefined" && MediaRecorder.isTypeSupported(type));
}

function extensionOf(type: string): string {
  if (type.startsWith("audio/ogg")) return "ogg";
  if (type.startsWith("audio/mp4")) return "m4a";
  return "webm";
}

export interface Recording {
  file: Blob;
  name: string;
  durationMs: number;
  waveform: number[];
}

/**
 * Records a voice note from the microphone while it is shown: a live timer, Send, and Cancel
 * (the button, Escape, or sliding the bar to the left). The recording is measured here (length
 * and waveform) so that it is sent as the server expects a voice message.
 */
export function VoiceRecorder({ onSend, onCancel, onError }: { onSend: (recording: Recording) => void; onCancel: () => void; onError: (message: string) => void }) {
  const recorderRef = useRef<MediaRecorder | null>(null);
  const streamRef = useRef<MediaStream | null>(null);
  const chunksRef = useRef<Blob[]>([]);
  const startedAtRef = useRef<number | null>(null);
  const finishRef = useRef<"send" | "cancel">("cancel");
  const callbacks = useRef({ onSend, onCancel, onError });
  useEffect(() => {
    callbacks.current = { onSend, onCancel, onError };
  });
  const [elapsedMs, setElapsedMs] = useState(0);
  const [recording, setRecording] = useState(false);
  const [finishing, setFinishing] = useState(false);
  const [slide, setSlide] = useState<{ startX: number; offset: number } | null>(null);

  useEffect(() => {
    let cancelled = false;
    const start = async () => {
      if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === "undefined") {
        callbacks.current.onError("This browser cannot record audio");
        return;
      }
      let stream: MediaStream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch {
        callbacks.current.onError("Parley may not use the microphone: allow it in the browser to record");
        return;
      }
      if (cancelled) {
        for (const track of stream.getTracks()) track.stop();
        return;
      }
      streamRef.current = stream;
      const mimeType = recordingType();
      const recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
      recorderRef.current = recorder;
      recorder.ondataavailable = (event) => {
        if (event.data.size > 0) chunksRef.current.push(event.data);
      };
      recorder.onstop = () => {
        for (const track of stream.getTracks()) track.stop();
        if (finishRef.current !== "send") return;
        const type = (recorder.mimeType || mimeType || "audio/webm").split(";")[0] ?? "audio/webm";
        const file = new Blob(chunksRef.current, { type });
        const timedMs = startedAtRef.current === null ? 0 : Date.now() - startedAtRef.current;
        void measureRecording(file)
          .catch(() => ({ durationMs: timedMs, waveform: [] as number[] }))
          .then(({ durationMs, waveform }) => {
            callbacks.current.onSend({
              file,
              name: `Voice message ${new Date().toISOString().slice(0, 19).replace("T", " ")}.${extensionOf(type)}`,
              durationMs: Math.max(1, durationMs || timedMs),
              waveform,
            });
          });
      };
      recorder.start(250);
      startedAtRef.current = Date.now();
      setRecording(true);
    };
    void start();
    const timer = setInterval(() => {
      if (startedAtRef.current !== null) setElapsedMs(Date.now() - startedAtRef.current);
    }, 200);
    return () => {
      cancelled = true;
      clearInterval(timer);
      const recorder = recorderRef.current;
      if (recorder && recorder.state !== "inactive") recorder.stop();
      for (const track of streamRef.current?.getTracks() ?? []) track.stop();
    };
  }, []);

  function finish(how: "send" | "cancel") {
    finishRef.current = how;
    const recorder = recorderRef.current;
    if (how === "cancel") {
      if (recorder && recorder.state !== "inactive") recorder.stop();
      callbacks.current.onCancel();
      return;
    }
    if (!recorder || recorder.state === "inactive") return;
    setFinishing(true);
    recorder.stop();
  }

  function onPointerMove(event: PointerEvent<HTMLDivElement>) {
    if (!slide) return;
    const offset = Math.min(0, event.clientX - slide.startX);
    setSlide({ ...slide, offset });
    if (-offset >= slideToCancelPx) {
      setSlide(null);
      finish("cancel");
    }
  }

  const offset = slide?.offset ?? 0;
  return (
    <div
      data-testid="voice-recorder"
      role="group"
      aria-label="Recording a voice message"
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          event.stopPropagation();
          finish("cancel");
        }
      }}
      className="flex min-h-11 min-w-0 flex-1 items-center gap-2"
    >
      <button
        type="button"
        onClick={() => finish("cancel")}
        aria-label="Cancel recording"
        title="Cancel recording"
        className="flex size-11 shrink-0 items-center justify-center rounded-full text-rose-600 hover:bg-rose-50 dark:hover:bg-rose-950"
      >
        <CloseIcon />
      </button>
      <div
        onPointerDown={(event) => {
          event.currentTarget.setPointerCapture(event.pointerId);
          setSlide({ startX: event.clientX, offset: 0 });
        }}
        onPointerMove={onPointerMove}
        onPointerUp={() => setSlide(null)}
        onPointerCancel={() => setSlide(null)}
        style={{ transform: `translateX(${offset}px)`, opacity: 1 + offset / (slideToCancelPx * 1.5) }}
        className="flex min-w-0 flex-1 touch-none select-none items-center gap-3 rounded-2xl bg-zinc-50 px-4 py-2.5 dark:bg-zinc-900"
      >
        <span className={`size-2.5 shrink-0 rounded-full bg-rose-600 ${recording ? "animate-pulse" : "opacity-40"}`} />
        <span data-testid="recording-time" className="font-medium tabular-nums" aria-live="off">
          {formatDuration(elapsedMs)}
        </span>
        <span className="ml-auto truncate text-sm text-zinc-500">‹ Slide to cancel</span>
      </div>
      <button
        type="button"
        onClick={() => finish("send")}
        disabled={!recording || finishing}
        aria-label="Send voice message"
        title="Send voice message"
        className="flex size-11 shrink-0 items-center justify-center rounded-full bg-sky-600 text-white hover:bg-sky-700 disabled:bg-zinc-300"
      >
        <SendIcon />
      </button>
    </div>
  );
}
