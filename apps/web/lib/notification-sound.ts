/**
 * The notification sound: two short sine tones made with Web Audio, so there is no file to load.
 * The AudioContext is made on first use; browsers keep it suspended until the page had a user
 * gesture, and a sound the browser refuses is simply not played.
 */
let context: AudioContext | null = null;

export function playNotificationSound(): void {
  if (typeof window === "undefined" || typeof AudioContext === "undefined") return;
  context ??= new AudioContext();
  const audio = context;
  if (audio.state === "suspended") void audio.resume().catch(() => {});
  const start = audio.currentTime + 0.01;
  for (const [index, frequency] of [880, 1320].entries()) {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    const at = start + index * 0.12;
    oscillator.type = "sine";
    oscillator.frequency.setValueAtTime(frequency, at);
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.18, at + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.22);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(at);
    oscillator.stop(at + 0.25);
  }
}

const soundKey = "parley:sound";

/** Sound is a choice of this device (on unless turned off), kept in localStorage. */
export function soundEnabled(): boolean {
  try {
    return window.localStorage.getItem(soundKey) !== "off";
  } catch {
    return true;
  }
}

export function setSoundEnabled(enabled: boolean): void {
  try {
    window.localStorage.setItem(soundKey, enabled ? "on" : "off");
  } catch {
    // Private mode without storage: the choice lasts for this page only.
  }
}
