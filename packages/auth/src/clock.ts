/** The source of "now" for everything time-based in auth, so tests can move time by hand. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = {
  now: () => new Date(),
};
