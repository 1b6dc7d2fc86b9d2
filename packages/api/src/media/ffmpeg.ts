import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A probe or decode never runs longer than this. */
const ffmpegTimeoutMs = 30_000;

function run(command: string, args: string[], maxBuffer: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: "buffer", timeout: ffmpegTimeoutMs, maxBuffer }, (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout);
    });
  });
}

let available: Promise<boolean> | null = null;

/** Whether ffmpeg and ffprobe are on PATH; asked once per process. */
export function ffmpegAvailable(): Promise<boolean> {
  available ??= Promise.all([run("ffprobe", ["-version"], 1 << 20), run("ffmpeg", ["-version"], 1 << 20)]).then(
    () => true,
    () => false,
  );
  return available;
}

export interface ProbedMedia {
  durationMs: number | null;
  /** The first video stream's size; null for audio only. */
  video: { width: number; height: number } | null;
  hasAudio: boolean;
  /** Loudness peaks 0–255 (audio only), and a PNG frame (video only). */
  waveform: number[] | null;
  poster: Buffer | null;
}

interface ProbeOutput {
  format?: { duration?: string };
  streams?: { codec_type?: string; width?: number; height?: number }[];
}

/** Peaks of mono 16-bit samples, in `samples` buckets, scaled so the loudest is 255. */
function peaks(pcm: Buffer, samples: number): number[] {
  const count = Math.floor(pcm.length / 2);
  if (count === 0) return [];
  const buckets = Math.min(samples, count);
  const values: number[] = [];
  for (let bucket = 0; bucket < buckets; bucket += 1) {
    const from = Math.floor((bucket * count) / buckets);
    const to = Math.floor(((bucket + 1) * count) / buckets);
    let peak = 0;
    for (let index = from; index < to; index += 1) peak = Math.max(peak, Math.abs(pcm.readInt16LE(index * 2)));
    values.push(peak);
  }
  const loudest = Math.max(...values, 1);
  return values.map((value) => Math.round((value / loudest) * 255));
}

/** Reads duration and streams with ffprobe; for audio a waveform, for video a first frame, with ffmpeg. */
export async function probeMedia(bytes: Buffer, options: { waveformSamples: number }): Promise<ProbedMedia | null> {
  const folder = await mkdtemp(join(tmpdir(), "parley-media-"));
  const input = join(folder, "input");
  try {
    await writeFile(input, bytes);
    const probe = JSON.parse(
      (await run("ffprobe", ["-v", "error", "-show_entries", "format=duration:stream=codec_type,width,height", "-of", "json", input], 1 << 20)).toString(),
    ) as ProbeOutput;
    const streams = probe.streams ?? [];
    const videoStream = streams.find((stream) => stream.codec_type === "video" && stream.width && stream.height);
    const hasAudio = streams.some((stream) => stream.codec_type === "audio");
    if (!videoStream && !hasAudio) return null;
    const seconds = Number(probe.format?.duration);
    const durationMs = Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1_000) : null;
    const video = videoStream ? { width: videoStream.width as number, height: videoStream.height as number } : null;
    const waveform =
      !video && hasAudio
        ? peaks(await run("ffmpeg", ["-v", "error", "-i", input, "-ac", "1", "-ar", "1000", "-f", "s16le", "pipe:1"], 64 << 20), options.waveformSamples)
        : null;
    const poster = video
      ? await run("ffmpeg", ["-v", "error", "-i", input, "-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "pipe:1"], 64 << 20).catch(() => null)
      : null;
    return { durationMs, video, hasAudio, waveform, poster: poster && poster.length > 0 ? poster : null };
  } catch {
    // Bytes ffprobe cannot read are not the audio or video they claim to be.
    return null;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
