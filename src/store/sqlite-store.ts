import Database from "better-sqlite3";
import { isAvailableForRun, parseInvocationStatus, type InvocationStatus } from "../core/index.js";
import { applyTransition, matchesRecordFilter } from "./apply-transition.js";
import { createChangeFeed } from "./change-feed.js";
import { SQLITE_SCHEMA } from "./sqlite-schema.js";
import type { StatusStore, StoredChange, StoredRecord, TransitionCommand } from "./store.js";

/** Options of the SQLite store. */
export interface SqliteStoreOptions {
  /** Clock for record timestamps. */
  now?: () => Date;
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

interface PendingTransition {
  command: TransitionCommand;
  resolve: (change: StoredChange) => void;
  reject: (error: unknown) => void;
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

/**
 * Create a store in a SQLite file (WAL, synchronous=FULL: a resolved transition is on disk).
 * Transitions that arrive together are validated one after another and committed in one
 * SQLite transaction, so durability costs one fsync per group, not per call.
 */
export function createSqliteStore(path: string, options: SqliteStoreOptions = {}): StatusStore {
  const now = options.now ?? (() => new Date());
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  db.exec(SQLITE_SCHEMA);

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
  const selectHistory = db.prepare<[string], ChangeRow>(
    `SELECT * FROM changes WHERE invocation_id = ? ORDER BY revision`,
  );
  const maxRevision = db.prepare<[], { revision: number | null }>(`SELECT max(revision) AS revision FROM changes`);

  const feed = createChangeFeed();
  let revision = maxRevision.get()?.revision ?? 0;
  let queue: PendingTransition[] = [];
  let flushScheduled = false;
  let closed = false;

  function write(change: StoredChange): void {
    const r = change.record;
    const ms = r.timestamp.getTime();
    upsertRecord.run(r.invocationId, r.status, r.runnerId, ms, r.revision, r.taskId, isAvailableForRun(r.status) ? 1 : 0);
    insertChange.run(
      r.revision, r.invocationId, r.status, r.runnerId, ms, r.taskId,
      change.previousStatus, change.previousRunnerId, change.reason,
    );
  }

  // Validates each queued command against the state left by the ones before it, in one transaction.
  const applyBatch = db.transaction((batch: PendingTransition[]) => {
    const outcomes: Array<{ change: StoredChange } | { error: unknown }> = [];
    let next = revision;
    for (const { command } of batch) {
      const current = selectRecord.get(command.invocationId);
      try {
        const change = applyTransition(current && recordFromRow(current), command, next + 1, now());
        if (!command.validateOnly) {
          write(change);
          next += 1;
        }
        outcomes.push({ change });
      } catch (error) {
        if (!(error instanceof Error) || error instanceof Database.SqliteError) throw error;
        outcomes.push({ error });
      }
    }
    return { outcomes, next };
  });

  function flush(): void {
    flushScheduled = false;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    let result: ReturnType<typeof applyBatch>;
    try {
      result = applyBatch(batch);
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    revision = result.next;
    result.outcomes.forEach((outcome, i) => {
      const pending = batch[i]!;
      if ("error" in outcome) return pending.reject(outcome.error);
      if (!pending.command.validateOnly) feed.publish(outcome.change);
      pending.resolve(outcome.change);
    });
  }

  return {
    transition(command) {
      if (closed) return Promise.reject(new Error("The store is closed"));
      return new Promise((resolve, reject) => {
        queue.push({ command, resolve, reject });
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flush);
        }
      });
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
      return { records: rows.map(recordFromRow), revision };
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
      return { records: records.filter((r) => matchesRecordFilter(r, filter)), revision };
    },
    async readChanges(fromRevision, limit) {
      return selectChanges.all(fromRevision, limit).map(changeFromRow);
    },
    async readHistory(invocationId) {
      return selectHistory.all(invocationId).map(changeFromRow);
    },
    currentRevision: () => revision,
    subscribe: feed.subscribe,
    async close() {
      if (closed) return;
      closed = true;
      if (queue.length > 0) flush();
      db.close();
    },
  };
}
