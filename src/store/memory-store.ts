import { isAvailableForRun, STATUS_CONFIG, type StatusConfiguration } from "../core/index.js";
import { applyTransition } from "./apply-transition.js";
import { createChangeFeed } from "./change-feed.js";
import { claimCommand } from "./claim-command.js";
import { RevisionCompactedError } from "./errors.js";
import { matchesRecordFilter } from "./record-filter.js";
import { abandonedReason, recoveryCommands } from "./recovery-rules.js";
import { purgeable, retainedFromRevision } from "./retention-rules.js";
import type { StatusStore, StoredChange, StoredRecord, TransitionCommand } from "./store.js";
import { type RequestLog, transitionOnce } from "./transition-once.js";

/** Options of the in-memory store. */
export interface MemoryStoreOptions {
  /** Clock for record timestamps, heartbeats and leases. */
  now?: () => Date;
  /** The state machine and the server's own transitions (default: pynenc's). */
  config?: StatusConfiguration;
}

/** Create a store that keeps everything in this process (for tests and throwaway servers). */
export function createMemoryStore(options: MemoryStoreOptions = {}): StatusStore {
  const now = options.now ?? (() => new Date());
  const config = options.config ?? STATUS_CONFIG;
  const records = new Map<string, StoredRecord>();
  // Insertion order is revision order: a record is re-inserted whenever it becomes available.
  const available = new Map<string, StoredRecord>();
  // changes[i] has revision oldest + i: revisions are dense above the compacted prefix.
  let changes: StoredChange[] = [];
  let oldest = 1;
  const history = new Map<string, StoredChange[]>();
  const requests = new Map<string, { fingerprint: string; change: StoredChange }>();
  const runners = new Map<string, number>();
  const leases = new Map<string, { holder: string; expiresMs: number }>();
  const feed = createChangeFeed();
  let revision = 0;

  function commit(change: StoredChange): void {
    const { record } = change;
    revision = record.revision;
    records.set(record.invocationId, record);
    available.delete(record.invocationId);
    if (isAvailableForRun(record.status, config)) available.set(record.invocationId, record);
    changes.push(change);
    const entries = history.get(record.invocationId);
    if (entries === undefined || change.previousStatus === null) history.set(record.invocationId, [change]);
    else entries.push(change);
    feed.publish(change);
  }

  /** Up to `limit` available records after a revision, oldest first ("" = every task). */
  function availablePage(afterRevision: number, limit: number, taskId: string): StoredRecord[] {
    const page: StoredRecord[] = [];
    for (const record of available.values()) {
      if (page.length >= limit) break;
      if (record.revision > afterRevision && (taskId === "" || record.taskId === taskId)) page.push(record);
    }
    return page;
  }

  function apply(command: TransitionCommand): StoredChange {
    const change = applyTransition(records.get(command.invocationId), command, revision + 1, now(), config);
    if (!command.validateOnly) commit(change);
    return change;
  }

  const requestLog: RequestLog = {
    find(requestId) {
      const seen = requests.get(requestId);
      return seen && { fingerprint: seen.fingerprint, change: () => seen.change };
    },
    remember: (requestId, fingerprint, change) => requests.set(requestId, { fingerprint, change }),
  };

  return {
    async transition(command) {
      return transitionOnce(command, apply, requestLog);
    },
    async get(invocationId) {
      return records.get(invocationId);
    },
    async listAvailableForRun({ afterRevision, limit, taskId }) {
      return { records: availablePage(afterRevision, limit, taskId), revision };
    },
    async listRecords(filter) {
      const matching = [...records.values()].filter((r) => matchesRecordFilter(r, filter));
      matching.sort((a, b) => a.revision - b.revision);
      return { records: matching, revision };
    },
    async readChanges(fromRevision, limit) {
      if (fromRevision < oldest) throw new RevisionCompactedError(fromRevision, oldest);
      const start = Math.max(fromRevision, oldest) - oldest;
      return changes.slice(start, start + limit);
    },
    async readHistory(invocationId) {
      return [...(history.get(invocationId) ?? [])];
    },
    async claimAvailable({ runnerId, maxCount, taskId }) {
      return availablePage(0, maxCount, taskId).map((record) => apply(claimCommand(record, runnerId, config)));
    },
    async heartbeat(runnerId) {
      const at = now();
      runners.set(runnerId, at.getTime());
      return at;
    },
    async recover(policy) {
      const nowMs = now().getTime();
      const recovered: StoredChange[] = [];
      for (const record of [...records.values()]) {
        const reason = abandonedReason(
          record,
          policy,
          nowMs,
          record.runnerId === null ? undefined : runners.get(record.runnerId),
          config,
        );
        if (reason === undefined) continue;
        for (const command of recoveryCommands(record, reason, config)) recovered.push(apply(command));
      }
      return recovered;
    },
    async acquireLease(name, holder, ttlMs) {
      const nowMs = now().getTime();
      const lease = leases.get(name);
      if (lease !== undefined && lease.holder !== holder && lease.expiresMs > nowMs) return false;
      leases.set(name, { holder, expiresMs: nowMs + ttlMs });
      return true;
    },
    async compact(policy) {
      const nowMs = now().getTime();
      const from = retainedFromRevision(
        policy,
        revision,
        oldest,
        (ms) => {
          const index = changes.findIndex((c) => c.record.timestamp.getTime() >= ms);
          return index === -1 ? revision + 1 : oldest + index;
        },
        nowMs,
      );
      const removed = changes.slice(0, from - oldest);
      changes = changes.slice(from - oldest);
      oldest = from;
      for (const change of removed) {
        const entries = history.get(change.record.invocationId);
        if (entries !== undefined && entries[0]?.record.revision === change.record.revision) entries.shift();
      }
      let requestIdsRemoved = 0;
      for (const [key, { change }] of requests) {
        if (change.record.revision < oldest) {
          requests.delete(key);
          requestIdsRemoved++;
        }
      }
      let invocationsPurged = 0;
      for (const record of [...records.values()]) {
        if (purgeable(record, policy, nowMs, config)) {
          records.delete(record.invocationId);
          history.delete(record.invocationId);
          invocationsPurged++;
        }
      }
      return { changesRemoved: removed.length, invocationsPurged, requestIdsRemoved, oldestRevision: oldest };
    },
    currentRevision: () => revision,
    oldestRevision: () => oldest,
    subscribe: feed.subscribe,
    async close() {},
  };
}
