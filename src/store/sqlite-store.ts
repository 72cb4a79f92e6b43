import Database from "better-sqlite3";
import {
  getFinalStatuses,
  type InvocationStatus,
  isAvailableForRun,
  parseInvocationStatus,
  STATUS_CONFIG,
  type StatusConfiguration,
} from "../core/index.js";
import { applyTransition } from "./apply-transition.js";
import { createChangeFeed } from "./change-feed.js";
import { claimCommand } from "./claim-command.js";
import { RevisionCompactedError } from "./errors.js";
import { matchesRecordFilter } from "./record-filter.js";
import { abandonedReason, recoveryCommands } from "./recovery-rules.js";
import { purgeable, retainedFromRevision } from "./retention-rules.js";
import { createSqliteGroupCommit, type GroupWriter } from "./sqlite-group-commit.js";
import { SQLITE_SCHEMA } from "./sqlite-schema.js";
import type { StatusStore, StoredChange, StoredRecord, TransitionCommand } from "./store.js";
import { type RequestLog, transitionOnce } from "./transition-once.js";

/** Options of the SQLite store. */
export interface SqliteStoreOptions {
  /** Clock for record timestamps, heartbeats and leases. */
  now?: () => Date;
  /**
   * `normal` (default): a call is answered once its commit is written to the WAL, so it survives
   * `kill -9` of the server (test/e2e/durability.test.ts), but the last commits may be lost if the machine
   * itself goes down. `full`: answered once the commit is on disk (an fsync per commit group), so
   * it survives a power cut. SQLite's synchronous pragma; NORMAL is SQLite's advice for WAL mode.
   */
  synchronous?: "full" | "normal";
  /** The state machine and the server's own transitions (default: pynenc's). */
  config?: StatusConfiguration;
}

interface RecordRow {
  invocation_id: string;
  status: string;
  runner_id: string | null;
  timestamp_ms: number;
  revision: number;
  task_id: string;
}

interface ChangeRow extends RecordRow {
  previous_status: string | null;
  previous_runner_id: string | null;
  reason: string;
}

function statusFromColumn(value: string): InvocationStatus {
  const status = parseInvocationStatus(value);
  if (status === undefined) throw new Error(`Corrupt store: unknown status ${JSON.stringify(value)}`);
  return status;
}

function recordFromRow(row: RecordRow): StoredRecord {
  return {
    invocationId: row.invocation_id,
    status: statusFromColumn(row.status),
    runnerId: row.runner_id,
    timestamp: new Date(row.timestamp_ms),
    revision: row.revision,
    taskId: row.task_id,
  };
}

function changeFromRow(row: ChangeRow): StoredChange {
  return {
    record: recordFromRow(row),
    previousStatus: row.previous_status === null ? null : statusFromColumn(row.previous_status),
    previousRunnerId: row.previous_runner_id,
    reason: row.reason,
  };
}

const RECORD_COLUMNS = "invocation_id, status, runner_id, timestamp_ms, revision, task_id";

/** The store's file is held by another server process. */
export class StoreLockedError extends Error {
  override name = "StoreLockedError";
}

/**
 * Create a store in a SQLite file (WAL; a resolved call survives kill -9, and with synchronous
 * FULL a power cut). Calls that arrive together run one after another in one SQLite transaction,
 * each under its own savepoint (sqlite-group-commit.ts): durability costs one commit (and with
 * FULL one fsync) per group, not per call, and a call that fails takes back only its own writes.
 * One server owns the file: a second one is refused (StoreLockedError), since revisions are handed
 * out by the process that owns it.
 */
export function createSqliteStore(path: string, options: SqliteStoreOptions = {}): StatusStore {
  const now = options.now ?? (() => new Date());
  const config = options.config ?? STATUS_CONFIG;
  // Nobody else may use the file, so there is nothing worth waiting for when it is locked.
  const db = new Database(path, { timeout: 200 });
  try {
    // Exclusive before WAL: the lock is held for the connection's life and the WAL index lives in
    // this process's memory; BEGIN EXCLUSIVE takes the lock now rather than at the first write.
    db.pragma("locking_mode = EXCLUSIVE");
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
    db.exec("BEGIN EXCLUSIVE; COMMIT");
    db.exec(SQLITE_SCHEMA);
  } catch (error) {
    db.close();
    if (error instanceof Database.SqliteError && error.code === "SQLITE_BUSY") {
      throw new StoreLockedError(`${path} is in use by another pynenc-status server`);
    }
    throw error;
  }

  const selectRecord = db.prepare<[string], RecordRow>(`SELECT ${RECORD_COLUMNS} FROM records WHERE invocation_id = ?`);
  const upsertRecord = db.prepare(
    `INSERT INTO records (${RECORD_COLUMNS}, available) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (invocation_id) DO UPDATE SET status = excluded.status, runner_id = excluded.runner_id,
       timestamp_ms = excluded.timestamp_ms, revision = excluded.revision, available = excluded.available`,
  );
  const insertChange = db.prepare(
    `INSERT INTO changes (revision, invocation_id, status, runner_id, timestamp_ms, task_id, previous_status,
       previous_runner_id, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const selectAvailable = db.prepare<[number, number], RecordRow>(
    `SELECT ${RECORD_COLUMNS} FROM records WHERE available = 1 AND revision > ? ORDER BY revision LIMIT ?`,
  );
  const selectAvailableForTask = db.prepare<[string, number, number], RecordRow>(
    `SELECT ${RECORD_COLUMNS} FROM records WHERE available = 1 AND task_id = ? AND revision > ?
     ORDER BY revision LIMIT ?`,
  );
  const selectAllRecords = db.prepare<[], RecordRow>(`SELECT ${RECORD_COLUMNS} FROM records ORDER BY revision`);
  const selectChanges = db.prepare<[number, number], ChangeRow>(
    `SELECT * FROM changes WHERE revision >= ? ORDER BY revision LIMIT ?`,
  );
  const selectChange = db.prepare<[number], ChangeRow>(`SELECT * FROM changes WHERE revision = ?`);
  const selectHistory = db.prepare<[string, string], ChangeRow>(
    `SELECT * FROM changes WHERE invocation_id = ? AND revision >= coalesce(
       (SELECT max(revision) FROM changes WHERE invocation_id = ? AND previous_status IS NULL), 0)
     ORDER BY revision`,
  );
  const selectRequest = db.prepare<[string], { fingerprint: string; revision: number }>(
    `SELECT fingerprint, revision FROM requests WHERE request_id = ?`,
  );
  const insertRequest = db.prepare(`INSERT INTO requests (request_id, fingerprint, revision) VALUES (?, ?, ?)`);
  const upsertRunner = db.prepare(
    `INSERT INTO runners (runner_id, last_seen_ms) VALUES (?, ?)
     ON CONFLICT (runner_id) DO UPDATE SET last_seen_ms = excluded.last_seen_ms`,
  );
  const selectRunner = db.prepare<[string], { last_seen_ms: number }>(
    `SELECT last_seen_ms FROM runners WHERE runner_id = ?`,
  );
  const selectOldByStatus = db.prepare<[string, number], RecordRow>(
    `SELECT ${RECORD_COLUMNS} FROM records WHERE status = ? AND timestamp_ms < ? ORDER BY timestamp_ms`,
  );
  const selectLease = db.prepare<[string], { holder: string; expires_ms: number }>(
    `SELECT holder, expires_ms FROM leases WHERE name = ?`,
  );
  const upsertLease = db.prepare(
    `INSERT INTO leases (name, holder, expires_ms) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms`,
  );
  const firstChangeSince = db.prepare<[number], { revision: number }>(
    `SELECT min(revision) AS revision FROM changes WHERE timestamp_ms >= ?`,
  );
  const deleteChangesBefore = db.prepare(`DELETE FROM changes WHERE revision < ?`);
  const deleteRequestsBefore = db.prepare(`DELETE FROM requests WHERE revision < ?`);
  const deleteRecord = db.prepare(`DELETE FROM records WHERE invocation_id = ?`);
  const selectMeta = db.prepare<[string], { value: number }>(`SELECT value FROM meta WHERE key = ?`);
  const upsertMeta = db.prepare(
    `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
  );
  const maxRevision = db.prepare<[], { revision: number | null }>(`SELECT max(revision) AS revision FROM changes`);

  const feed = createChangeFeed();
  let oldest = selectMeta.get("oldest")?.value ?? 1;
  const groupCommit = createSqliteGroupCommit(db, {
    revision: Math.max(maxRevision.get()?.revision ?? 0, selectMeta.get("revision")?.value ?? 0),
    publish: feed.publish,
  });
  const enqueue = groupCommit.enqueue;

  function write(change: StoredChange): void {
    const r = change.record;
    const ms = r.timestamp.getTime();
    upsertRecord.run(
      r.invocationId,
      r.status,
      r.runnerId,
      ms,
      r.revision,
      r.taskId,
      isAvailableForRun(r.status, config) ? 1 : 0,
    );
    insertChange.run(
      r.revision,
      r.invocationId,
      r.status,
      r.runnerId,
      ms,
      r.taskId,
      change.previousStatus,
      change.previousRunnerId,
      change.reason,
    );
  }

  /** Validate a command against the current state and, unless validate-only, write it. */
  function apply(command: TransitionCommand, writer: GroupWriter): StoredChange {
    const current = selectRecord.get(command.invocationId);
    const revision = writer.lastRevision() + 1;
    const change = applyTransition(current && recordFromRow(current), command, revision, now(), config);
    if (!command.validateOnly) {
      write(change);
      writer.written(change);
    }
    return change;
  }

  const requestLog: RequestLog = {
    find(requestId) {
      const seen = selectRequest.get(requestId);
      return seen && { fingerprint: seen.fingerprint, change: () => changeFromRow(selectChange.get(seen.revision)!) };
    },
    remember: (requestId, fingerprint, change) => insertRequest.run(requestId, fingerprint, change.record.revision),
  };

  return {
    transition(command) {
      return enqueue((writer) => transitionOnce(command, (c) => apply(c, writer), requestLog));
    },
    async get(invocationId) {
      const row = selectRecord.get(invocationId);
      return row && recordFromRow(row);
    },
    async listAvailableForRun({ afterRevision, limit, taskId }) {
      const rows =
        taskId === ""
          ? selectAvailable.all(afterRevision, limit)
          : selectAvailableForTask.all(taskId, afterRevision, limit);
      return { records: rows.map(recordFromRow), revision: groupCommit.revision() };
    },
    async listRecords(filter) {
      const records: StoredRecord[] = [];
      if (filter.invocationIds !== undefined) {
        for (const id of filter.invocationIds) {
          const row = selectRecord.get(id);
          if (row !== undefined) records.push(recordFromRow(row));
        }
        records.sort((a, b) => a.revision - b.revision);
      } else {
        for (const row of selectAllRecords.iterate()) records.push(recordFromRow(row));
      }
      return { records: records.filter((r) => matchesRecordFilter(r, filter)), revision: groupCommit.revision() };
    },
    async readChanges(fromRevision, limit) {
      if (fromRevision < oldest) throw new RevisionCompactedError(fromRevision, oldest);
      return selectChanges.all(fromRevision, limit).map(changeFromRow);
    },
    async readHistory(invocationId) {
      return selectHistory.all(invocationId, invocationId).map(changeFromRow);
    },
    claimAvailable({ runnerId, maxCount, taskId }) {
      return enqueue((writer) => {
        const rows = taskId === "" ? selectAvailable.all(0, maxCount) : selectAvailableForTask.all(taskId, 0, maxCount);
        return rows.map((row) => apply(claimCommand(recordFromRow(row), runnerId, config), writer));
      });
    },
    heartbeat(runnerId) {
      return enqueue(() => {
        const at = now();
        upsertRunner.run(runnerId, at.getTime());
        return at;
      });
    },
    recover(policy) {
      return enqueue((writer) => {
        const nowMs = now().getTime();
        const { pendingRecovery, runnerRecovery } = config.serverTransitions;
        const pending = selectOldByStatus.all(pendingRecovery.from, nowMs - policy.maxPendingMs);
        const running = selectOldByStatus.all(runnerRecovery.from, nowMs - policy.runnerDeadAfterMs);
        const changes: StoredChange[] = [];
        for (const record of [...pending, ...running].map(recordFromRow)) {
          const lastSeen = record.runnerId === null ? undefined : selectRunner.get(record.runnerId)?.last_seen_ms;
          const reason = abandonedReason(record, policy, nowMs, lastSeen, config);
          if (reason === undefined) continue;
          for (const command of recoveryCommands(record, reason, config)) changes.push(apply(command, writer));
        }
        return changes;
      });
    },
    acquireLease(name, holder, ttlMs) {
      return enqueue(() => {
        const nowMs = now().getTime();
        const lease = selectLease.get(name);
        if (lease !== undefined && lease.holder !== holder && lease.expires_ms > nowMs) return false;
        upsertLease.run(name, holder, nowMs + ttlMs);
        return true;
      });
    },
    compact(policy) {
      return enqueue((writer) => {
        const nowMs = now().getTime();
        const last = writer.lastRevision();
        const from = retainedFromRevision(
          policy,
          last,
          oldest,
          (ms) => firstChangeSince.get(ms)?.revision ?? last + 1,
          nowMs,
        );
        const changesRemoved = from > oldest ? deleteChangesBefore.run(from).changes : 0;
        const requestIdsRemoved = from > oldest ? deleteRequestsBefore.run(from).changes : 0;
        upsertMeta.run("oldest", from);
        upsertMeta.run("revision", last);
        let invocationsPurged = 0;
        if (policy.purgeFinalAfterMs !== undefined) {
          for (const status of getFinalStatuses(config)) {
            for (const row of selectOldByStatus.all(status, nowMs - policy.purgeFinalAfterMs)) {
              if (purgeable(recordFromRow(row), policy, nowMs, config))
                invocationsPurged += deleteRecord.run(row.invocation_id).changes;
            }
          }
        }
        // Only once every write of the pass is in: a pass that throws is rolled back, and so is this.
        oldest = from;
        return { changesRemoved, invocationsPurged, requestIdsRemoved, oldestRevision: oldest };
      });
    },
    currentRevision: () => groupCommit.revision(),
    oldestRevision: () => oldest,
    subscribe: feed.subscribe,
    async close() {
      if (!db.open) return;
      groupCommit.close();
      db.close();
    },
  };
}
