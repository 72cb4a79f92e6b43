import { randomBytes } from "node:crypto";
import { type InvocationStatus, STATUS_CONFIG } from "../core/index.js";
import { applyTransition } from "./apply-transition.js";
import { createChangeFeed } from "./change-feed.js";
import { claimCommand } from "./claim-command.js";
import { RevisionCompactedError } from "./errors.js";
import { listInvocations } from "./memory/list-invocations.js";
import { NamespaceState } from "./memory/namespace-state.js";
import { abandonedReason, recoveryCommands } from "./recovery-rules.js";
import { purgeable, retainedFromRevision } from "./retention-rules.js";
import {
  type RunnerRecord,
  type StatusStore,
  type StoredChange,
  type StoredRecord,
  type StoreOptions,
  SYSTEM_PRINCIPAL,
  type TransitionCommand,
} from "./store.js";
import { type RequestLog, transitionOnce } from "./transition-once.js";

/** Options of the in-memory store. */
export type MemoryStoreOptions = StoreOptions;

/**
 * Create a store that keeps everything in this process (for tests and throwaway servers). Every
 * namespace has its records indexed by revision, status, task, availability, owner and
 * registration, so requests read what they ask for rather than every record.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): StatusStore {
  const clock = options.now ?? (() => new Date());
  const config = options.config ?? STATUS_CONFIG;
  const spaces = new Map<string, NamespaceState>();
  // changes[i] has revision oldest + i: revisions are dense above the compacted prefix.
  let changes: StoredChange[] = [];
  let oldest = 1;
  const leases = new Map<string, { holder: string; expiresMs: number }>();
  const feed = createChangeFeed();
  const secret = randomBytes(32);
  let revision = 0;
  let lastNowMs = 0;

  /** The store's clock, never going back: the indexes by status are also in time order. */
  function now(): Date {
    lastNowMs = Math.max(lastNowMs, clock().getTime());
    return new Date(lastNowMs);
  }

  function space(namespace: string): NamespaceState {
    let state = spaces.get(namespace);
    if (state === undefined) {
      state = new NamespaceState(config);
      spaces.set(namespace, state);
    }
    return state;
  }

  function commit(change: StoredChange): void {
    const { record } = change;
    const state = space(record.namespace);
    revision = record.revision;
    state.put(record, state.records.get(record.invocationId));
    changes.push(change);
    const entries = state.history.get(record.invocationId);
    if (entries === undefined || change.previousStatus === null) state.history.set(record.invocationId, [change]);
    else entries.push(change);
    feed.publish(change);
  }

  function apply(command: TransitionCommand): StoredChange {
    const current = spaces.get(command.namespace)?.records.get(command.invocationId);
    const change = applyTransition(current, command, revision + 1, now(), config);
    if (!command.validateOnly) commit(change);
    return change;
  }

  function requestLog(namespace: string): RequestLog {
    const { requests } = space(namespace);
    return {
      find(requestId) {
        const seen = requests.get(requestId);
        return seen && { fingerprint: seen.fingerprint, change: () => seen.change };
      },
      remember: (requestId, fingerprint, change) => requests.set(requestId, { fingerprint, change }),
    };
  }

  function transition(command: TransitionCommand): StoredChange {
    return transitionOnce(command, apply, requestLog(command.namespace));
  }

  /** Records in a status, oldest first, while their status is at least `olderThanMs` old. */
  function* inStatusSince(state: NamespaceState, status: InvocationStatus, upToMs: number): Generator<StoredRecord> {
    const index = state.byStatus.get(status);
    if (index === undefined) return;
    for (const id of index.ascending(state.atRevision)) {
      const record = state.records.get(id)!;
      // The clock never goes back, so an index in revision order is in time order too.
      if (record.timestamp.getTime() > upToMs) return;
      yield record;
    }
  }

  /** Up to `limit` available records of a namespace after a revision, oldest first ("" = every task). */
  function availablePage(namespace: string, afterRevision: number, limit: number, taskId: string): StoredRecord[] {
    const state = spaces.get(namespace);
    const index = taskId === "" ? state?.available : state?.availableByTask.get(taskId);
    const records: StoredRecord[] = [];
    if (state === undefined || index === undefined) return records;
    for (const id of index.ascending(state.atRevision, afterRevision)) {
      if (records.length >= limit) break;
      records.push(state.records.get(id)!);
    }
    return records;
  }

  function runnerRecord(state: NamespaceState, runnerId: string): RunnerRecord {
    const runner = state.runners.get(runnerId)!;
    const owned = new Map<InvocationStatus, number>();
    for (const id of state.owned.get(runnerId) ?? []) {
      const { status } = state.records.get(id)!;
      owned.set(status, (owned.get(status) ?? 0) + 1);
    }
    return {
      runnerId,
      createdAt: new Date(runner.createdAtMs),
      lastHeartbeat: new Date(runner.lastHeartbeatMs),
      canRunAtomicService: runner.canRunAtomicService,
      consumedQueues: runner.consumedQueues,
      owned,
    };
  }

  return {
    config,
    async transition(command) {
      return transition(command);
    },
    async batchTransition(commands) {
      return commands.map((command) => {
        try {
          return transition(command);
        } catch (error) {
          return error instanceof Error ? error : new Error(String(error));
        }
      });
    },
    async get(namespace, invocationId) {
      return spaces.get(namespace)?.records.get(invocationId);
    },
    async batchGet(namespace, invocationIds) {
      const records = spaces.get(namespace)?.records;
      return { records: invocationIds.flatMap((id) => records?.get(id) ?? []), revision };
    },
    async listInvocations(query) {
      const state = spaces.get(query.namespace);
      return { records: state === undefined ? [] : listInvocations(state, query), revision };
    },
    async countInvocations(namespace, taskId) {
      const state = spaces.get(namespace);
      const counts = taskId === undefined ? state?.counts : state?.taskCounts.get(taskId);
      return { counts: new Map(config.statuses.map((s) => [s, counts?.get(s) ?? 0])), revision };
    },
    async listNamespaces() {
      return [...spaces].flatMap(([namespace, state]) => (state.records.size > 0 ? [namespace] : [])).sort();
    },
    async listAvailableForRun({ namespace, afterRevision, limit, taskId }) {
      return { records: availablePage(namespace, afterRevision, limit, taskId), revision };
    },
    async readChanges(fromRevision, limit) {
      if (fromRevision < oldest) throw new RevisionCompactedError(fromRevision, oldest);
      const start = Math.max(fromRevision, oldest) - oldest;
      return changes.slice(start, start + limit);
    },
    async readHistory(namespace, invocationId) {
      return [...(spaces.get(namespace)?.history.get(invocationId) ?? [])];
    },
    async claimAvailable({ namespace, runnerId, maxCount, taskId, principal }) {
      return availablePage(namespace, 0, maxCount, taskId).map((record) =>
        apply({ ...claimCommand(record, runnerId, config), principal }),
      );
    },
    async heartbeat({ namespace, runnerIds, canRunAtomicService, consumedQueues }) {
      const at = now();
      const { runners } = space(namespace);
      for (const runnerId of runnerIds) {
        const runner = runners.get(runnerId);
        if (runner === undefined) {
          runners.set(runnerId, {
            createdAtMs: at.getTime(),
            lastHeartbeatMs: at.getTime(),
            canRunAtomicService: canRunAtomicService ?? false,
            consumedQueues: consumedQueues ?? [],
          });
          continue;
        }
        runner.lastHeartbeatMs = at.getTime();
        if (canRunAtomicService !== undefined) runner.canRunAtomicService = canRunAtomicService;
        if (consumedQueues !== undefined) runner.consumedQueues = consumedQueues;
      }
      return at;
    },
    async listRunners(namespace) {
      const at = now();
      const state = spaces.get(namespace);
      if (state === undefined) return { runners: [], now: at };
      const runners = [...state.runners.keys()].map((id) => runnerRecord(state, id));
      runners.sort(
        (a, b) =>
          a.createdAt.getTime() - b.createdAt.getTime() ||
          (a.runnerId < b.runnerId ? -1 : a.runnerId > b.runnerId ? 1 : 0),
      );
      return { runners, now: at };
    },
    async listRecoveryCandidates({ namespace, rule, thresholdMs, limit }) {
      const at = now();
      const state = spaces.get(namespace);
      const records: StoredRecord[] = [];
      if (state !== undefined) {
        const cutoff = at.getTime() - thresholdMs;
        const { pendingRecovery, runnerRecovery } = config.serverTransitions;
        const candidates =
          rule === "pending-timeout"
            ? inStatusSince(state, pendingRecovery.from, cutoff)
            : inStatusSince(state, runnerRecovery.from, Number.POSITIVE_INFINITY);
        for (const record of candidates) {
          if (records.length >= limit) break;
          if (rule === "dead-runner") {
            if (record.runnerId === null) continue;
            const runner = state.runners.get(record.runnerId);
            if (runner !== undefined && runner.lastHeartbeatMs >= cutoff) continue;
          }
          records.push(record);
        }
      }
      return { records, now: at, revision };
    },
    async recover(policy) {
      const nowMs = now().getTime();
      const recovered: StoredChange[] = [];
      const { pendingRecovery, runnerRecovery } = config.serverTransitions;
      for (const [namespace, state] of spaces) {
        const abandoned = [
          ...inStatusSince(state, pendingRecovery.from, nowMs - policy.maxPendingMs),
          ...inStatusSince(state, runnerRecovery.from, Number.POSITIVE_INFINITY),
        ];
        for (const record of abandoned) {
          const lastSeen = record.runnerId === null ? undefined : state.runners.get(record.runnerId)?.lastHeartbeatMs;
          const reason = abandonedReason(record, policy, nowMs, lastSeen, config);
          if (reason === undefined) continue;
          for (const command of recoveryCommands(record, reason, config)) {
            recovered.push(apply({ ...command, namespace, principal: SYSTEM_PRINCIPAL }));
          }
        }
      }
      return recovered;
    },
    async purgeNamespace(namespace) {
      const state = spaces.get(namespace);
      spaces.delete(namespace);
      return { invocationsPurged: state?.records.size ?? 0, runnersPurged: state?.runners.size ?? 0 };
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
          // Changes are in time order (the clock never goes back): a binary search finds the first.
          let low = 0;
          let high = changes.length;
          while (low < high) {
            const middle = (low + high) >>> 1;
            if (changes[middle]!.record.timestamp.getTime() < ms) low = middle + 1;
            else high = middle;
          }
          return low === changes.length ? revision + 1 : oldest + low;
        },
        nowMs,
      );
      const removed = changes.slice(0, from - oldest);
      changes = changes.slice(from - oldest);
      oldest = from;
      let requestIdsRemoved = 0;
      for (const change of removed) {
        const state = spaces.get(change.record.namespace);
        const entries = state?.history.get(change.record.invocationId);
        if (entries !== undefined && entries[0]?.record.revision === change.record.revision) entries.shift();
      }
      for (const state of spaces.values()) {
        // Keys are remembered as their changes commit, so the map is in revision order.
        for (const [key, { change }] of state.requests) {
          if (change.record.revision >= oldest) break;
          state.requests.delete(key);
          requestIdsRemoved++;
        }
      }
      let invocationsPurged = 0;
      if (policy.purgeFinalAfterMs !== undefined) {
        for (const state of spaces.values()) {
          for (const status of config.finalStatuses) {
            for (const record of [...inStatusSince(state, status, nowMs - policy.purgeFinalAfterMs)]) {
              if (!purgeable(record, policy, nowMs, config)) continue;
              state.delete(record);
              invocationsPurged++;
            }
          }
        }
      }
      return { changesRemoved: removed.length, invocationsPurged, requestIdsRemoved, oldestRevision: oldest };
    },
    pageTokenSecret: () => secret,
    currentRevision: () => revision,
    oldestRevision: () => oldest,
    subscribe: feed.subscribe,
    async close() {},
  };
}
