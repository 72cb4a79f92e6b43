import type { RecordFilter, StatusStore, StoredChange } from "./store.js";

/** One event of a watch: a change (or a snapshot record), or a progress mark. */
export type WatchEvent =
  | { readonly kind: "change"; readonly change: StoredChange; readonly initial: boolean }
  | { readonly kind: "progress"; readonly revision: number };

/** What to watch and how. */
export interface WatchOptions {
  /** 0 = from now; N = replay every retained change with revision >= N, then live. */
  readonly startRevision: number;
  /** First the current records matching `snapshotFilter`, then a progress mark, then changes. */
  readonly includeInitial: boolean;
  readonly snapshotFilter: RecordFilter;
  /** Which changes the watcher wants. */
  readonly matches: (change: StoredChange) => boolean;
  /** Matching live changes held for a watcher before it counts as too slow. */
  readonly bufferLimit: number;
  /** A progress mark is sent when nothing else was sent for this long. */
  readonly progressIntervalMs: number;
  /** Ends the watch (the generator returns). */
  readonly signal: AbortSignal;
}

/** A live watcher fell further behind than its buffer allows. */
export class WatcherTooSlowError extends Error {
  override name = "WatcherTooSlowError";
  constructor(
    readonly lastSentRevision: number,
    readonly bufferLimit: number,
  ) {
    super(
      `Watcher too slow: more than ${bufferLimit} changes waited for it; ` +
        `resume from revision ${lastSentRevision + 1}`,
    );
  }
}

const CATCH_UP_PAGE = 512;

/**
 * Watch a store with etcd's guarantees: matching changes in revision order, each once, with no gap
 * between the replay (or snapshot) and the live changes. The watcher subscribes before it reads,
 * drops what it already sent by revision, and while it catches up from the store a full buffer
 * just sends it back to the store; only a live watcher that overflows its buffer is cut off.
 * Every watch starts with a progress mark at the revision it is caught up to.
 */
export async function* watchChanges(store: StatusStore, options: WatchOptions): AsyncGenerator<WatchEvent> {
  const { matches, bufferLimit, signal } = options;
  const queue: StoredChange[] = [];
  let overflowed = false;
  let lastPublished = 0;
  let wake: (() => void) | undefined;

  const unsubscribe = store.subscribe((change) => {
    lastPublished = change.record.revision;
    if (matches(change)) {
      if (queue.length < bufferLimit) queue.push(change);
      else overflowed = true;
    }
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener("abort", onAbort);

  try {
    // `sent`: every matching change up to this revision has been sent or skipped.
    let sent: number;
    let catchingUp: boolean;
    if (options.includeInitial) {
      const snapshot = await store.listRecords(options.snapshotFilter);
      for (const record of snapshot.records) {
        if (signal.aborted) return;
        const change = { record, previousStatus: null, previousRunnerId: null, reason: "" };
        yield { kind: "change", change, initial: true };
      }
      sent = snapshot.revision;
      catchingUp = true;
    } else if (options.startRevision > 0) {
      sent = options.startRevision - 1;
      catchingUp = true;
    } else {
      sent = store.currentRevision();
      catchingUp = false;
    }

    while (catchingUp && !signal.aborted) {
      const page = await store.readChanges(sent + 1, CATCH_UP_PAGE);
      for (const change of page) {
        if (signal.aborted) return;
        sent = change.record.revision;
        if (matches(change)) yield { kind: "change", change, initial: false };
      }
      if (page.length === CATCH_UP_PAGE) continue;
      if (overflowed) {
        // Changes were dropped while replaying; they are all in the store, so read again.
        queue.length = 0;
        overflowed = false;
        continue;
      }
      catchingUp = false;
    }

    let lastSentAt = Date.now();
    yield { kind: "progress", revision: Math.max(sent, queue.length === 0 ? lastPublished : 0) };
    while (!signal.aborted) {
      if (overflowed) throw new WatcherTooSlowError(sent, bufferLimit);
      const change = queue.shift();
      if (change !== undefined) {
        if (change.record.revision <= sent) continue;
        sent = change.record.revision;
        lastSentAt = Date.now();
        yield { kind: "change", change, initial: false };
        continue;
      }
      const idleFor = Date.now() - lastSentAt;
      if (idleFor >= options.progressIntervalMs) {
        lastSentAt = Date.now();
        yield { kind: "progress", revision: Math.max(sent, lastPublished) };
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.progressIntervalMs - idleFor);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    unsubscribe();
    signal.removeEventListener("abort", onAbort);
  }
}
