/**
 * Takes turns between the callers of one server process. Each caller (a user, or an address
 * when signed out) may have a few calls running at once; the rest wait in that caller's own line,
 * and a waiting call starts on a later turn of the event loop. So one client's flood of calls
 * queues behind itself instead of in front of everyone (the database pool, or PGlite, which runs
 * on this very thread, serves calls in the order they reach it), and sockets are read between
 * starts. Per process, like the connection limits: it bounds what one client costs a node.
 */
export class FairShare {
  readonly #runningPerCaller: number;
  readonly #callers = new Map<string, { running: number; waiting: (() => void)[] }>();

  constructor(options: { runningPerCaller: number }) {
    if (!Number.isInteger(options.runningPerCaller) || options.runningPerCaller < 1) {
      throw new Error("runningPerCaller must be a positive whole number");
    }
    this.#runningPerCaller = options.runningPerCaller;
  }

  /** Runs `work` when the caller has a free turn; their further calls wait until it ends. */
  async run<TResult>(caller: string, work: () => Promise<TResult>): Promise<TResult> {
    let line = this.#callers.get(caller);
    if (!line) {
      line = { running: 0, waiting: [] };
      this.#callers.set(caller, line);
    }
    if (line.running >= this.#runningPerCaller) {
      await new Promise<void>((resolve) => line.waiting.push(resolve));
    } else {
      line.running += 1;
    }
    // A macrotask between starts: what other sockets sent is read before this call runs.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      return await work();
    } finally {
      const next = line.waiting.shift();
      // The finished call's turn passes straight to the next one in line; `running` stays.
      if (next) next();
      else if (--line.running === 0) this.#callers.delete(caller);
    }
  }

  /** Callers with a call running or waiting (for tests and metrics). */
  get activeCallers(): number {
    return this.#callers.size;
  }
}
