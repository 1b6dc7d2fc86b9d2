/**
 * The ringing sounds, made with Web Audio so no sound file is downloaded: a two-tone ring for an
 * incoming call (two short bursts, then a pause) and a softer ringback while the other side rings.
 */

export type RingKind = "incoming" | "ringback";

interface RingPattern {
  /** The tones played together in each burst, in hertz. */
  frequencies: number[];
  /** Seconds each burst lasts, from the start of the cycle. */
  bursts: Array<{ start: number; length: number }>;
  cycleSeconds: number;
  volume: number;
}

const patterns: Record<RingKind, RingPattern> = {
  // The classic two-burst ring, in the 400/450 Hz pair telephone rings use.
  incoming: { frequencies: [400, 450], bursts: [{ start: 0, length: 0.4 }, { start: 0.6, length: 0.4 }], cycleSeconds: 3, volume: 0.18 },
  // What a caller hears while the other side rings: one longer, quieter tone.
  ringback: { frequencies: [440, 480], bursts: [{ start: 0, length: 1.5 }], cycleSeconds: 4.5, volume: 0.06 },
};

const rampSeconds = 0.02;

export class Ringtone {
  private context: AudioContext | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private playing: RingKind | null = null;

  /** Starts (or switches to) a ring; a browser that blocks audio before a click simply stays silent. */
  start(kind: RingKind): void {
    if (this.playing === kind) return;
    this.stop();
    if (typeof AudioContext === "undefined") return;
    const context = new AudioContext();
    this.context = context;
    this.playing = kind;
    const pattern = patterns[kind];
    const scheduleCycle = () => {
      const cycleStart = context.currentTime + 0.05;
      for (const burst of pattern.bursts) this.scheduleBurst(context, pattern, cycleStart + burst.start, burst.length);
    };
    void context.resume().catch(() => undefined);
    scheduleCycle();
    this.timer = setInterval(scheduleCycle, pattern.cycleSeconds * 1_000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.playing = null;
    const context = this.context;
    this.context = null;
    if (context) void context.close().catch(() => undefined);
  }

  private scheduleBurst(context: AudioContext, pattern: RingPattern, start: number, length: number): void {
    const gain = context.createGain();
    gain.gain.setValueAtTime(0, start);
    // Short ramps at both ends, so each burst starts and stops without a click.
    gain.gain.linearRampToValueAtTime(pattern.volume, start + rampSeconds);
    gain.gain.setValueAtTime(pattern.volume, start + length - rampSeconds);
    gain.gain.linearRampToValueAtTime(0, start + length);
    gain.connect(context.destination);
    for (const frequency of pattern.frequencies) {
      const oscillator = context.createOscillator();
      oscillator.type = "sine";
      oscillator.frequency.value = frequency;
      oscillator.connect(gain);
      oscillator.start(start);
      oscillator.stop(start + length);
      oscillator.onended = () => oscillator.disconnect();
    }
  }
}
