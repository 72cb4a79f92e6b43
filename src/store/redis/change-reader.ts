import type { StoredChange } from "../store.js";
import type { RedisConnection } from "./redis-connection.js";
import { changeFromFields, revisionOfEntry } from "./script-replies.js";

/** This replica's reader of the change stream. */
export interface ChangeReader {
  /** The revision of the last change published (the replica's current revision). */
  lastPublished(): number;
  /** Resolves once the change with this revision (or a later one) has been published. */
  published(revision: number): Promise<void>;
  /** Stop reading and close the connection; pending waits resolve. */
  close(): Promise<void>;
}

/** Options of a change reader. */
export interface ChangeReaderOptions {
  /** A connection of its own: XREAD BLOCK holds it. */
  readonly connection: RedisConnection;
  readonly streamKey: string;
  /** Publish changes after this revision. */
  readonly after: number;
  /** Called with every change, in revision order, once each. */
  readonly publish: (change: StoredChange) => void;
}

const BATCH = 1_000;
const BLOCK_MS = 5_000;
const RETRY_MS = 200;

type XReadReply = Array<[string, Array<[string, string[]]>]> | null;

/**
 * Read the change stream from `after` on and publish every entry in stream (= revision) order.
 * Every replica runs one, so a watcher on any replica sees the changes of all of them; changes
 * a replica makes itself reach its watchers the same way, never out of turn. (Retention trims the
 * stream's oldest end: a reader further behind than the retention would miss what was trimmed, so
 * retention must dwarf any replica's lag; the default keeps a day.)
 */
export function startChangeReader(options: ChangeReaderOptions): ChangeReader {
  const { connection, streamKey, publish } = options;
  let last = options.after;
  let closed = false;
  let waiters: Array<{ revision: number; resolve: () => void }> = [];

  function settle(): void {
    if (waiters.length === 0) return;
    const still: typeof waiters = [];
    for (const waiter of waiters) {
      if (closed || waiter.revision <= last) waiter.resolve();
      else still.push(waiter);
    }
    waiters = still;
  }

  const loop = (async () => {
    while (!closed) {
      let reply: XReadReply;
      try {
        reply = (await connection.send(
          connection.client.call("XREAD", "COUNT", BATCH, "BLOCK", BLOCK_MS, "STREAMS", streamKey, `${last}-0`),
        )) as XReadReply;
      } catch {
        // Redis is unreachable or restarting: read again from the same place once it is back.
        if (!closed) await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        continue;
      }
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          const revision = revisionOfEntry(id);
          if (revision <= last) continue;
          last = revision;
          publish(changeFromFields(revision, fields));
        }
      }
      settle();
    }
  })();

  return {
    lastPublished: () => last,
    published(revision) {
      if (revision <= last || closed) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ revision, resolve }));
    },
    async close() {
      if (closed) return;
      closed = true;
      connection.close();
      await loop;
      settle();
    },
  };
}
