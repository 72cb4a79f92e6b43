import type Database from "better-sqlite3";
import { CHANGE_COLUMNS, type ChangeRow, RECORD_COLUMNS, type RecordRow } from "./sqlite-rows.js";

const PREFIXED_RECORD_COLUMNS = RECORD_COLUMNS.split(", ")
  .map((column) => `r.${column}`)
  .join(", ");

/**
 * Every fixed statement of the SQLite store (ListInvocations builds its own per query shape, in
 * sqlite-invocation-page.ts). Each one a request runs reads through an index (a test checks the
 * plans); `countAtOpen` alone reads a whole index, once, at open.
 */
export const SQLITE_STATEMENTS = {
  selectRecord: `SELECT ${RECORD_COLUMNS} FROM records WHERE namespace = ? AND invocation_id = ?`,
  upsertRecord: `INSERT INTO records (${RECORD_COLUMNS}, available) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (namespace, invocation_id) DO UPDATE SET status = excluded.status, runner_id = excluded.runner_id,
      timestamp_ms = excluded.timestamp_ms, revision = excluded.revision, available = excluded.available`,
  deleteRecord: `DELETE FROM records WHERE namespace = ? AND invocation_id = ?`,
  insertChange: `INSERT INTO changes (${CHANGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  selectChanges: `SELECT ${CHANGE_COLUMNS} FROM changes WHERE revision >= ? ORDER BY revision LIMIT ?`,
  selectChange: `SELECT ${CHANGE_COLUMNS} FROM changes WHERE revision = ?`,
  // The invocation's changes since its registration: earlier ones are of a purged namesake.
  selectHistory: `SELECT ${CHANGE_COLUMNS} FROM changes WHERE namespace = @namespace AND invocation_id = @id
    AND revision >= (SELECT registered_revision FROM records WHERE namespace = @namespace AND invocation_id = @id) ORDER BY revision`,
  selectRequest: `SELECT fingerprint, revision FROM requests WHERE namespace = ? AND request_id = ?`,
  insertRequest: `INSERT INTO requests (namespace, request_id, fingerprint, revision) VALUES (?, ?, ?, ?)`,
  selectAvailable: `SELECT ${RECORD_COLUMNS} FROM records INDEXED BY records_available
    WHERE namespace = ? AND available = 1 AND revision > ? ORDER BY revision LIMIT ?`,
  selectAvailableForTask: `SELECT ${RECORD_COLUMNS} FROM records INDEXED BY records_available_task
    WHERE namespace = ? AND task_id = ? AND available = 1 AND revision > ? ORDER BY revision LIMIT ?`,
  // Oldest first: the clock never goes back, so revision order is time order.
  // How rare an id prefix is, counting no further than the cap.
  countIdRange: `SELECT count(*) AS n FROM
    (SELECT 1 FROM records WHERE namespace = ? AND invocation_id >= ? AND invocation_id < ? LIMIT ?)`,
  selectInStatus: `SELECT ${RECORD_COLUMNS} FROM records INDEXED BY records_status
    WHERE namespace = ? AND status = ? ORDER BY revision LIMIT ?`,
  // pynenc's dead-runner rule: owned by a runner with no heartbeat in the namespace or a last one before the cutoff.
  selectOwnerSilent: `SELECT ${PREFIXED_RECORD_COLUMNS} FROM records AS r INDEXED BY records_status
    LEFT JOIN runners AS h ON h.namespace = r.namespace AND h.runner_id = r.runner_id
    WHERE r.namespace = ? AND r.status = ? AND r.runner_id IS NOT NULL
      AND (h.runner_id IS NULL OR h.last_heartbeat_ms < ?)
    ORDER BY r.revision LIMIT ?`,
  // The server's own rule: the owner's last sign of life (its heartbeat, else the record's time) before the cutoff.
  selectOwnerAbandoned: `SELECT ${PREFIXED_RECORD_COLUMNS} FROM records AS r INDEXED BY records_status
    LEFT JOIN runners AS h ON h.namespace = r.namespace AND h.runner_id = r.runner_id
    WHERE r.namespace = ? AND r.status = ? AND coalesce(h.last_heartbeat_ms, r.timestamp_ms) < ?
    ORDER BY r.revision LIMIT ?`,
  selectHeartbeat: `SELECT last_heartbeat_ms FROM runners WHERE namespace = ? AND runner_id = ?`,
  upsertRunner: `INSERT INTO runners (namespace, runner_id, created_ms, last_heartbeat_ms, can_run_atomic_service,
      consumed_queues)
    VALUES (@namespace, @runnerId, @at, @at, coalesce(@canRunAtomicService, 0), coalesce(@consumedQueues, '[]'))
    ON CONFLICT (namespace, runner_id) DO UPDATE SET last_heartbeat_ms = excluded.last_heartbeat_ms,
      can_run_atomic_service = coalesce(@canRunAtomicService, can_run_atomic_service),
      consumed_queues = coalesce(@consumedQueues, consumed_queues)`,
  selectRunners: `SELECT runner_id, created_ms, last_heartbeat_ms, can_run_atomic_service, consumed_queues
    FROM runners INDEXED BY runners_created WHERE namespace = ? ORDER BY created_ms, runner_id`,
  selectOwned: `SELECT runner_id, status, count(*) AS n FROM records INDEXED BY records_runner
    WHERE namespace = ? AND runner_id IS NOT NULL GROUP BY runner_id, status`,
  selectLease: `SELECT holder, expires_ms FROM leases WHERE name = ?`,
  upsertLease: `INSERT INTO leases (name, holder, expires_ms) VALUES (?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms`,
  // The clock never goes back: the first change at or after a time is the oldest of those after it.
  firstChangeSince: `SELECT revision FROM changes INDEXED BY changes_time WHERE timestamp_ms >= ?
    ORDER BY timestamp_ms, revision LIMIT 1`,
  deleteChangesBetween: `DELETE FROM changes WHERE revision >= ? AND revision < ?`,
  deleteRequestsBetween: `DELETE FROM requests WHERE revision >= ? AND revision < ?`,
  // PurgeNamespace, a bounded step at a time, of what was there at revision @upTo.
  deleteNamespaceRecords: `DELETE FROM records WHERE namespace = @namespace AND invocation_id IN
    (SELECT invocation_id FROM records INDEXED BY records_registration
      WHERE namespace = @namespace AND registered_revision <= @upTo LIMIT @limit)
    RETURNING task_id, status`,
  deleteNamespaceChanges: `DELETE FROM changes WHERE revision IN
    (SELECT revision FROM changes INDEXED BY changes_invocation
      WHERE namespace = @namespace AND revision <= @upTo LIMIT @limit)`,
  deleteNamespaceRequests: `DELETE FROM requests WHERE namespace = @namespace AND request_id IN
    (SELECT request_id FROM requests WHERE namespace = @namespace AND revision <= @upTo LIMIT @limit)`,
  deleteNamespaceRunners: `DELETE FROM runners WHERE namespace = @namespace AND runner_id IN
    (SELECT runner_id FROM runners WHERE namespace = @namespace LIMIT @limit)`,
  selectMeta: `SELECT value FROM meta WHERE key = ?`,
  upsertMeta: `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
  // The last committed revision: the newest change kept, or, once retention removed it, the one written down.
  lastRevision: `SELECT coalesce(max(revision), 0) AS revision FROM
    (SELECT max(revision) AS revision FROM changes UNION ALL SELECT value FROM meta WHERE key = 'revision')`,
  latestTime: `SELECT max(timestamp_ms) AS ms FROM changes`,
  countAtOpen: `SELECT namespace, task_id, status, count(*) AS n FROM records INDEXED BY records_task
    GROUP BY namespace, task_id, status`,
} as const;

/** A runner row. */
export interface RunnerRow {
  runner_id: string;
  created_ms: number;
  last_heartbeat_ms: number;
  can_run_atomic_service: number;
  consumed_queues: string;
}

type Named = Record<string, string | number | null>;

/**
 * A prepared statement, as the store uses one. better-sqlite3's own statement type lives in a
 * namespace its typings do not export, so the declarations emitted for this module could not
 * name it; this is the part of it the store calls.
 */
export interface PreparedStatement<P extends unknown[], R> {
  run(...params: P): Database.RunResult;
  get(...params: P): R | undefined;
  all(...params: P): R[];
  iterate(...params: P): IterableIterator<R>;
}

/** Prepare every fixed statement of the SQLite store on its database. */
export function prepareSqliteStatements(db: Database.Database) {
  const s = SQLITE_STATEMENTS;
  const prepare = <P extends unknown[] = unknown[], R = unknown>(sql: string): PreparedStatement<P, R> =>
    db.prepare<P, R>(sql);
  /** A statement whose rows are arrays, in the order of its columns. */
  const prepareRows = <P extends unknown[], R extends unknown[]>(sql: string): PreparedStatement<P, R> =>
    db.prepare<P, R>(sql).raw(true);
  return {
    selectRecord: prepareRows<[string, string], RecordRow>(s.selectRecord),
    upsertRecord: prepare<[string, string, string, string | null, number, number, string, number, number, number]>(
      s.upsertRecord,
    ),
    deleteRecord: prepare<[string, string]>(s.deleteRecord),
    insertChange: prepare<
      [
        string,
        string,
        string,
        string | null,
        number,
        number,
        string,
        number,
        number,
        string | null,
        string | null,
        string,
        string,
      ]
    >(s.insertChange),
    selectChanges: prepareRows<[number, number], ChangeRow>(s.selectChanges),
    selectChange: prepareRows<[number], ChangeRow>(s.selectChange),
    selectHistory: prepareRows<[{ namespace: string; id: string }], ChangeRow>(s.selectHistory),
    selectRequest: prepare<[string, string], { fingerprint: string; revision: number }>(s.selectRequest),
    insertRequest: prepare<[string, string, string, number]>(s.insertRequest),
    countIdRange: prepare<[string, string, string, number], { n: number }>(s.countIdRange),
    selectInStatus: prepareRows<[string, string, number], RecordRow>(s.selectInStatus),
    selectOwnerSilent: prepareRows<[string, string, number, number], RecordRow>(s.selectOwnerSilent),
    selectOwnerAbandoned: prepareRows<[string, string, number, number], RecordRow>(s.selectOwnerAbandoned),
    selectHeartbeat: prepare<[string, string], { last_heartbeat_ms: number }>(s.selectHeartbeat),
    upsertRunner: prepare<[Named]>(s.upsertRunner),
    selectRunners: prepare<[string], RunnerRow>(s.selectRunners),
    selectOwned: prepare<[string], { runner_id: string; status: string; n: number }>(s.selectOwned),
    selectLease: prepare<[string], { holder: string; expires_ms: number }>(s.selectLease),
    upsertLease: prepare<[string, string, number]>(s.upsertLease),
    firstChangeSince: prepare<[number], { revision: number }>(s.firstChangeSince),
    deleteChangesBetween: prepare<[number, number]>(s.deleteChangesBetween),
    deleteRequestsBetween: prepare<[number, number]>(s.deleteRequestsBetween),
    deleteNamespaceRecords: prepare<[Named], { task_id: string; status: string }>(s.deleteNamespaceRecords),
    deleteNamespaceChanges: prepare<[Named]>(s.deleteNamespaceChanges),
    deleteNamespaceRequests: prepare<[Named]>(s.deleteNamespaceRequests),
    deleteNamespaceRunners: prepare<[Named]>(s.deleteNamespaceRunners),
    selectMeta: prepare<[string], { value: number }>(s.selectMeta),
    upsertMeta: prepare<[string, number]>(s.upsertMeta),
    lastRevision: prepare<[], { revision: number }>(s.lastRevision),
    latestTime: prepare<[], { ms: number | null }>(s.latestTime),
    countAtOpen: prepare<[], { namespace: string; task_id: string; status: string; n: number }>(s.countAtOpen),
  };
}

/** The prepared statements of a SQLite store. */
export type SqliteStatements = ReturnType<typeof prepareSqliteStatements>;
