/**
 * Voice-message waveforms: loudness samples 0–255, oldest first, as the server stores them.
 * The browser measures a recording itself (Web Audio) so that a voice note shows its shape at
 * once, and the bubble draws any waveform at the number of bars it has room for.
 */
import { waveformMaxSamples } from "@parley/db/limits";

/** Samples sent with a recording; the bubble resamples them to its own width. */
export const recordedWaveformSamples = 64;

/**
 * The peak loudness of each of `count` equal stretches of `samples` (-1..1 PCM), scaled so the
 * loudest stretch is 255. Silence stays 0; a recording shorter than `count` samples gives one
 * value per sample.
 */
export function downsampleWaveform(samples: ArrayLike<number>, count: number): number[] {
  const buckets = Math.max(1, Math.min(Math.floor(count), waveformMaxSamples, samples.length));
  if (samples.length === 0) return [];
  const peaks: number[] = [];
  for (let bucket = 0; bucket < buckets; bucket++) {
    const start = Math.floor((bucket * samples.length) / buckets);
    const end = Math.floor(((bucket + 1) * samples.length) / buckets);
    let peak = 0;
    for (let index = start; index < end; index++) {
      const value = Math.abs(samples[index] ?? 0);
      if (value > peak) peak = value;
    }
    peaks.push(Number.isFinite(peak) ? peak : 0);
  }
  const loudest = Math.max(...peaks);
  return loudest === 0 ? peaks.map(() => 0) : peaks.map((peak) => Math.round((peak / loudest) * 255));
}

/**
 * A stored waveform drawn as `bars` bars (0–1 each): longer waveforms keep each stretch's peak,
 * shorter ones repeat samples, and a missing one draws as a flat line.
 */
export function waveformBars(waveform: readonly number[] | undefined, bars: number): number[] {
  const count = Math.max(1, Math.floor(bars));
  if (!waveform || waveform.length === 0) return Array.from({ length: count }, () => 0);
  return Array.from({ length: count }, (_, bar) => {
    const start = Math.floor((bar * waveform.length) / count);
    const end = Math.max(start + 1, Math.floor(((bar + 1) * waveform.length) / count));
    let peak = 0;
    for (let index = start; index < end && index < waveform.length; index++) peak = Math.max(peak, waveform[index] ?? 0);
    return Math.min(1, Math.max(0, peak / 255));
  });
}

/** Decodes a recording in the browser and measures it: its length and its waveform. */
export async function measureRecording(recording: Blob): Promise<{ durationMs: number; waveform: number[] }> {
  const context = new AudioContext();
  try {
    const audio = await context.decodeAudioData(await recording.arrayBuffer());
    const channel = audio.getChannelData(0);
    return {
      durationMs: Math.max(1, Math.round(audio.duration * 1_000)),
      waveform: downsampleWaveform(channel, recordedWaveformSamples),
    };
  } finally {
    void context.close();
  }
}
