import { isAvailableForRun } from "../core/index.js";
import { applyTransition, matchesRecordFilter } from "./apply-transition.js";
import { createChangeFeed } from "./change-feed.js";
import type { StatusStore, StoredChange, StoredRecord } from "./store.js";

/** Options of the in-memory store. */
export interface MemoryStoreOptions {
  /** Clock for record timestamps. */
  now?: () => Date;
}

/** Create a store that keeps everything in this process (for tests and throwaway servers). */
export function createMemoryStore(options: MemoryStoreOptions = {}): StatusStore {
  const now = options.now ?? (() => new Date());
  const records = new Map<string, StoredRecord>();
  // Insertion order is revision order: a record is re-inserted whenever it becomes available.
  const available = new Map<string, StoredRecord>();
  const changes: StoredChange[] = [];
  const history = new Map<string, StoredChange[]>();
  const feed = createChangeFeed();
  let revision = 0;

  function commit(change: StoredChange): void {
    const { record } = change;
    revision = record.revision;
    records.set(record.invocationId, record);
    available.delete(record.invocationId);
    if (isAvailableForRun(record.status)) available.set(record.invocationId, record);
    changes.push(change);
    const entries = history.get(record.invocationId);
    if (entries === undefined) history.set(record.invocationId, [change]);
    else entries.push(change);
    feed.publish(change);
  }

  return {
    async transition(command) {
      const change = applyTransition(records.get(command.invocationId), command, revision + 1, now());
      if (!command.validateOnly) commit(change);
      return change;
    },
    async get(invocationId) {
      return records.get(invocationId);
    },
    async listAvailableForRun({ afterRevision, limit, taskId }) {
      const page: StoredRecord[] = [];
      for (const record of available.values()) {
        if (page.length >= limit) break;
        if (record.revision > afterRevision && (taskId === "" || record.taskId === taskId)) page.push(record);
      }
      return { records: page, revision };
    },
    async listRecords(filter) {
      const matching = [...records.values()].filter((r) => matchesRecordFilter(r, filter));
      matching.sort((a, b) => a.revision - b.revision);
      return { records: matching, revision };
    },
    async readChanges(fromRevision, limit) {
      // Revisions are dense and start at 1, so revision r sits at index r - 1.
      const start = Math.max(fromRevision, 1) - 1;
      return changes.slice(start, start + limit);
    },
    async readHistory(invocationId) {
      return [...(history.get(invocationId) ?? [])];
    },
    currentRevision: () => revision,
    subscribe: feed.subscribe,
    async close() {},
  };
}
