/** A deterministic random source (mulberry32), so a failing run can be replayed exactly. */
export interface SeededRandom {
  /** A float in [0, 1). */
  next: () => number;
  /** An integer in [min, max], both included. */
  integer: (min: number, max: number) => number;
  pick: <TItem>(items: readonly TItem[]) => TItem;
  /** A string of `length` characters drawn from `alphabet`. */
  string: (length: number, alphabet?: string) => string;
}

const lettersAndDigits = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
  const integer = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    integer,
    pick: (items) => {
      if (items.length === 0) throw new Error("pick from an empty list");
      return items[integer(0, items.length - 1)] as (typeof items)[number];
    },
    string: (length, alphabet = lettersAndDigits) => {
      let result = "";
      for (let index = 0; index < length; index += 1) result += alphabet[integer(0, alphabet.length - 1)];
      return result;
    },
  };
}
