import { setImmediate as nextTurn } from "node:timers/promises";
import { matchesInvocationFilter } from "./record-filter.js";
import type { InvocationFilter, StatusStore, StoredChange, StoredRecord } from "./store.js";

/** One event of a watch: a change (or a snapshot record), or a progress mark. */
export type WatchEvent =
  | { readonly kind: "change"; readonly change: StoredChange; readonly initial: boolean }
  | { readonly kind: "progress"; readonly revision: number };

/** What to watch and how. */
export interface WatchOptions {
  /** 0 = from now; N = replay every retained change with revision >= N, then live. */
  readonly startRevision: number;
  /** First the current records matching `snapshot`, then a progress mark, then changes. */
  readonly includeInitial: boolean;
  readonly snapshot: InvocationFilter;
  /** Which changes the watcher wants. */
  readonly matches: (change: StoredChange) => boolean;
  /** Matching live changes held for a watcher before it counts as too slow. */
  readonly bufferLimit: number;
  /**
   * Called at once, from the store's publish, when a live watcher's buffer overflows: the buffer is
   * dropped then, not when the watcher is next read (a transport waiting for a client that does not
   * read would never read it), and the caller ends the stream. The generator throws the same error
   * if it is resumed.
   */
  readonly onTooSlow?: (error: WatcherTooSlowError) => void;
  /** A progress mark is sent when nothing else was sent for this long. */
  readonly progressIntervalMs: number;
  /** Ends the watch (the generator returns). */
  readonly signal: AbortSignal;
  /**
   * Runs each read of a page from the store (the snapshot's records, the changes it catches up
   * on); the service queues them with its other large reads. Default: at once.
   */
  readonly readPage?: <T>(read: () => Promise<T>) => Promise<T>;
}

const AT_ONCE = <T>(read: () => Promise<T>): Promise<T> => read();

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

/**
 * Records and changes a watch reads at a time, each page in a turn of its own: 200 take about 1 ms
 * to read from SQLite, so a Get waiting for the page waits about that long (as with the pages of
 * the listing RPCs, src/service/sliced-reads.ts).
 */
const CATCH_UP_PAGE = 200;
const SNAPSHOT_PAGE = 200;

/**
 * The records matching `filter` exactly as they are at the returned revision, in revision order,
 * read a page at a time with a turn of the event loop between pages, so a snapshot of any size
 * never holds the loop for long. Pages read while invocations move see some at an older state and
 * some at a newer one: the changes between the first page and the last, read back from the store,
 * bring every record to its state at the last page's revision.
 */
async function readSnapshot(
  store: StatusStore,
  filter: InvocationFilter,
  signal: AbortSignal,
  readPage: <T>(read: () => Promise<T>) => Promise<T>,
): Promise<{ records: StoredRecord[]; revision: number }> {
  const found = new Map<string, StoredRecord>();
  let first: number | undefined;
  let last = 0;
  for (let after: number | undefined; !signal.aborted; ) {
    const page = await readPage(() =>
      store.listInvocations({ ...filter, order: "revision", after, limit: SNAPSHOT_PAGE }),
    );
    first ??= page.revision;
    last = page.revision;
    for (const record of page.records) {
      found.delete(record.invocationId);
      found.set(record.invocationId, record);
    }
    if (page.records.length < SNAPSHOT_PAGE) break;
    after = page.records.at(-1)!.revision;
    await nextTurn();
  }
  for (let from = (first ?? last) + 1; from <= last && !signal.aborted; ) {
    const changes = await readPage(() => store.readChanges(from, CATCH_UP_PAGE));
    for (const { record } of changes) {
      if (record.revision > last) break;
      if (record.namespace !== filter.namespace) continue;
      const seen = found.get(record.invocationId);
      if (seen !== undefined && seen.revision >= record.revision) continue;
      found.delete(record.invocationId);
      if (matchesInvocationFilter(record, filter)) found.set(record.invocationId, record);
    }
    if (changes.length === 0) break;
    from = changes.at(-1)!.record.revision + 1;
  }
  const records = [...found.values()];
  // Pages and changes each come in revision order; only a record changed after its page was read
  // can be out of place.
  if (records.some((r, i) => i > 0 && r.revision < records[i - 1]!.revision)) {
    records.sort((a, b) => a.revision - b.revision);
  }
  return { records, revision: last };
}

/**
 * Watch a store with etcd's guarantees: matching changes in revision order, each once, with no gap
 * between the replay (or snapshot) and the live changes. The watcher subscribes before it reads,
 * drops what it already sent by revision, and while it catches up from the store a full buffer
 * just sends it back to the store; only a live watcher that overflows its buffer is cut off.
 * Every watch starts with a progress mark at the revision it is caught up to; with a snapshot, at
 * the snapshot's revision, right after its records.
 */
export async function* watchChanges(store: StatusStore, options: WatchOptions): AsyncGenerator<WatchEvent> {
  const { matches, bufferLimit, signal } = options;
  const readPage = options.readPage ?? AT_ONCE;
  const queue: StoredChange[] = [];
  let overflowed = false;
  let lastPublished = 0;
  let wake: (() => void) | undefined;
  // `sent`: every matching change up to this revision has been sent or skipped.
  let sent = 0;
  let live = false;
  let tooSlow: WatcherTooSlowError | undefined;

  const unsubscribe = store.subscribe((change) => {
    lastPublished = change.record.revision;
    if (matches(change)) {
      if (queue.length < bufferLimit) queue.push(change);
      else if (!live) overflowed = true;
      else if (tooSlow === undefined) {
        tooSlow = new WatcherTooSlowError(sent, bufferLimit);
        queue.length = 0;
        unsubscribe();
        options.onTooSlow?.(tooSlow);
      }
    }
    wake?.();
  });
  // A progress mark says everything up to its revision has been sent: never beyond what the store
  // has (a start_revision in the future has skipped nothing yet).
  const progress = (revision: number): WatchEvent => ({
    kind: "progress",
    revision: Math.min(revision, store.currentRevision()),
  });
  const onAbort = () => wake?.();
  signal.addEventListener("abort", onAbort);

  try {
    let catchingUp: boolean;
    // The revision of the last progress mark sent (-1: none yet).
    let marked = -1;
    if (options.includeInitial) {
      const snapshot = await readSnapshot(store, options.snapshot, signal, readPage);
      for (const record of snapshot.records) {
        if (signal.aborted) return;
        const change = { record, previousStatus: null, previousRunnerId: null, reason: "", principal: "" };
        yield { kind: "change", change, initial: true };
      }
      sent = snapshot.revision;
      // The snapshot is the state at its revision: the mark says so before any later change, which
      // catching up may send (a change out of the filter, which the watcher never sees, included).
      marked = sent;
      yield { kind: "progress", revision: marked };
      catchingUp = true;
    } else if (options.startRevision > 0) {
      sent = options.startRevision - 1;
      catchingUp = true;
    } else {
      sent = store.currentRevision();
      catchingUp = false;
    }

    while (catchingUp && !signal.aborted) {
      const page = await readPage(() => store.readChanges(sent + 1, CATCH_UP_PAGE));
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

    live = true;
    let lastSentAt = Date.now();
    const caughtUp = Math.min(Math.max(sent, queue.length === 0 ? lastPublished : 0), store.currentRevision());
    if (caughtUp > marked) yield progress(caughtUp);
    while (!signal.aborted) {
      if (tooSlow !== undefined) throw tooSlow;
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
        yield progress(Math.max(sent, lastPublished));
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
