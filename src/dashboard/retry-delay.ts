/** Wait `ms`, or less when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

/** The delay before the next reconnection: doubling from 250 ms up to 4 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(250 * 2 ** attempt, 4_000);
}
