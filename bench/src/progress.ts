export const progressIntervalMs = 5_000;

/**
 * Logs `describe()` every few seconds while a long run goes on, so a run that is slow or stuck
 * shows it. Returns the function that stops it.
 */
export function reportProgress(log: (message: string) => void, describe: (elapsedSeconds: number) => string): () => void {
  const startedAt = Date.now();
  const timer = setInterval(() => log(describe(Math.round((Date.now() - startedAt) / 1_000))), progressIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
