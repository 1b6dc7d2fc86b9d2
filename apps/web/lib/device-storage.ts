/**
 * JSON kept in this browser's localStorage, for what a device remembers per account (the outbox,
 * drafts). Storage that is full, disabled or holds something unreadable behaves as empty: what is
 * kept there lives on in memory for the visit.
 */

/** The parsed value under `key`, or undefined when there is none or it cannot be read. */
export function readStored(key: string): unknown {
  try {
    const stored = localStorage.getItem(key);
    return stored === null ? undefined : (JSON.parse(stored) as unknown);
  } catch {
    return undefined;
  }
}

/** Stores `value` under `key`; null removes it. */
export function writeStored(key: string, value: unknown): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Full or disabled: kept in memory only.
  }
}
