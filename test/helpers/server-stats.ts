import { jsonLines, waitUntil } from "./child-processes.js";
import type { ServerProcess } from "./server-process.js";

/** The flags that make a server process log a `stats` line twice a second, its heap collected first. */
export const STATS_FLAGS = {
  flags: ["--log-level", "debug", "--stats-interval-seconds", "0.5"],
  nodeFlags: ["--expose-gc"],
} as const;

/** One `stats` line of a server's log (src/server/stats-log.ts). */
export interface ServerStats {
  readonly heapUsed: number;
  readonly rss: number;
  readonly arrayBuffers: number;
  readonly eventLoopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number };
}

/** Every `stats` line the server has logged so far. */
export function statsOf(server: ServerProcess): ServerStats[] {
  return jsonLines<ServerStats & { msg: string }>(server.log()).filter((line) => line.msg === "stats");
}

/** The first `stats` line logged after this call (so it measures what is live now). */
export async function nextStats(server: ServerProcess, timeoutMs = 10_000): Promise<ServerStats> {
  const seen = statsOf(server).length;
  await waitUntil(
    () => statsOf(server).length > seen + 1,
    timeoutMs,
    () => "a stats line",
  );
  return statsOf(server).at(-1)!;
}

/** Heap and array buffers: the memory a server holds for what it keeps (its RSS does not shrink back). */
export const liveBytes = (stats: ServerStats): number => stats.heapUsed + stats.arrayBuffers;
