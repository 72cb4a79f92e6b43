import { setTimeout as delay } from "node:timers/promises";
import type { InvocationStatus } from "../core/index.js";
import type { CountsAtRevision, StatusStore } from "../store/index.js";

/**
 * Tells count watchers that a namespace's counts changed without a change in the feed (a
 * PurgeNamespace on this server), so they read them again at their next interval.
 */
export interface CountsInvalidation {
  /** The counts of `namespace` changed outside the change feed. */
  notify(namespace: string): void;
  /** Call `listener` on each notification for `namespace`; returns the function that stops it. */
  listen(namespace: string, listener: () => void): () => void;
}

/** Create the invalidation channel one service's count watchers share. */
export function createCountsInvalidation(): CountsInvalidation {
  const listeners = new Map<string, Set<() => void>>();
  return {
    notify(namespace) {
      for (const listener of listeners.get(namespace) ?? []) listener();
    },
    listen(namespace, listener) {
      let set = listeners.get(namespace);
      if (set === undefined) {
        set = new Set();
        listeners.set(namespace, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(namespace);
      };
    },
  };
}

/** What to watch the counts of, and how often. */
export interface CountsWatchOptions {
  readonly namespace: string;
  /** Only this task's invocations (undefined = every task). */
  readonly taskId?: string;
  /** At most one update per interval. */
  readonly intervalMs: number;
  /**
   * Read the counts at least this often even when no change was seen: retention, or a purge on
   * another replica, removes invocations without a change in the feed.
   */
  readonly recheckMs: number;
  /** Ends the watch (the generator returns). */
  readonly signal: AbortSignal;
}

/** The counts of a namespace (or task) as one update of a count watch. */
export interface CountsUpdate extends CountsAtRevision {
  readonly total: number;
  /** Changes of this namespace (and task) per second over the last interval. */
  readonly transitionsPerSecond: number;
}

/** Wait `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => {});
}

function sameCounts(a: ReadonlyMap<InvocationStatus, number>, b: ReadonlyMap<InvocationStatus, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [status, count] of a) if (b.get(status) !== count) return false;
  return true;
}

/**
 * Watch the counts per status of a namespace (or of one of its tasks): the counts at once, then at
 * most once per interval and only when they changed. A stream reads the store's kept counters, and
 * only after it saw a change of its namespace (a cheap check per change), an invalidation, or
 * `recheckMs` of silence; it never recounts. When changes stop, one more update says so
 * (transitions_per_second back to 0) even though the counts are the same.
 */
export async function* watchCounts(
  store: StatusStore,
  invalidation: CountsInvalidation,
  options: CountsWatchOptions,
): AsyncGenerator<CountsUpdate> {
  const { namespace, taskId, intervalMs, recheckMs, signal } = options;
  let changes = 0;
  let stale = false;
  const unsubscribe = store.subscribe(({ record }) => {
    if (record.namespace !== namespace || (taskId !== undefined && record.taskId !== taskId)) return;
    changes++;
    stale = true;
  });
  const unlisten = invalidation.listen(namespace, () => {
    stale = true;
  });
  const read = async (transitionsPerSecond: number): Promise<CountsUpdate> => {
    const { counts, revision } = await store.countInvocations(namespace, taskId);
    let total = 0;
    for (const count of counts.values()) total += count;
    return { counts, revision, total, transitionsPerSecond };
  };
  try {
    let sent = await read(0);
    if (signal.aborted) return;
    yield sent;
    let tickAt = Date.now();
    let readAt = tickAt;
    while (!signal.aborted) {
      await pause(intervalMs, signal);
      if (signal.aborted) return;
      const now = Date.now();
      const transitionsPerSecond = changes / (Math.max(now - tickAt, 1) / 1000);
      changes = 0;
      tickAt = now;
      const quieted = sent.transitionsPerSecond > 0 && transitionsPerSecond === 0;
      if (!stale && !quieted && now - readAt < recheckMs) continue;
      stale = false;
      readAt = now;
      const update = await read(transitionsPerSecond);
      if (signal.aborted) return;
      if (sameCounts(update.counts, sent.counts) && !quieted) continue;
      sent = update;
      yield update;
    }
  } finally {
    unsubscribe();
    unlisten();
  }
}
