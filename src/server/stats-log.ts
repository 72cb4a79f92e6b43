import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Logger } from "./logger.js";

/** The running stats log. */
export interface StatsLog {
  stop(): void;
}

const MS = 1e6;
/** perf_hooks samples the loop every RESOLUTION_MS and records each interval, which includes it. */
const RESOLUTION_MS = 2;

/**
 * Log a `stats` line at debug level every `intervalMs`: the process's memory, and how late its
 * event loop ran since the previous line (p50, p99 and max of perf_hooks' event-loop delay, in
 * ms), which is how long the longest piece of work held every other call up. When node runs with
 * --expose-gc (tests, the bench) the heap is collected first, so `heapUsed` is what is live.
 */
export function startStatsLog(logger: Logger, intervalMs: number): StatsLog {
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  const collect = (globalThis as { gc?: () => void }).gc;
  const timer = setInterval(() => {
    const late = (ns: number) => Math.max(0, ns / MS - RESOLUTION_MS);
    const eventLoopDelayMs = { p50: late(delay.percentile(50)), p99: late(delay.percentile(99)), max: late(delay.max) };
    delay.reset();
    collect?.();
    const memory = process.memoryUsage();
    logger.debug("stats", {
      heapUsed: memory.heapUsed,
      rss: memory.rss,
      external: memory.external,
      arrayBuffers: memory.arrayBuffers,
      eventLoopDelayMs,
    });
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      delay.disable();
    },
  };
}
