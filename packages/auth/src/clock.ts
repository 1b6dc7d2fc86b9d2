/** The source of "now" for everything time-based in auth, so tests can move time by hand. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = {
  now: () => new Date(),
};

const millisecondsPerSecond = 1000;

/** The instant `seconds` after `instant` (before it, when negative). */
export function secondsAfter(instant: Date, seconds: number): Date {
  return new Date(instant.getTime() + seconds * millisecondsPerSecond);
}

/** Whole seconds from `from` until `to`, rounded up: what a Retry-After header wants. */
export function secondsUntil(from: Date, to: Date): number {
  return Math.ceil((to.getTime() - from.getTime()) / millisecondsPerSecond);
}
