import type Database from "better-sqlite3";
import { STATUS_CONFIG } from "../../core/index.js";
import { SQLITE_INDEXES, SQLITE_SCHEMA_VERSION, SQLITE_TABLES } from "../sqlite-schema.js";

/** A store file whose schema is newer than this code knows. */
export class StoreSchemaTooNewError extends Error {
  override name = "StoreSchemaTooNewError";
}

// Version 1 (the first release: no namespaces, user_version 0) into version 2. Every record goes
// into the default namespace "", every change gets principal "". An invocation's registration is
// its latest retained registration change (one with no previous status); when compaction dropped
// it, its earliest retained change; when none is left, its current revision. Compaction drops a
// prefix of the log, so a retained change older than the latest registration is of an earlier
// life of the id (purged, then registered again), never of the current one.
const FROM_VERSION_1 = `
ALTER TABLE records RENAME TO records_v1;
ALTER TABLE changes RENAME TO changes_v1;
ALTER TABLE requests RENAME TO requests_v1;
ALTER TABLE runners RENAME TO runners_v1;
${SQLITE_TABLES}
CREATE TEMP TABLE registrations AS
  SELECT c.revision AS revision,
    coalesce(
      (SELECT max(p.revision) FROM changes_v1 p
        WHERE p.invocation_id = c.invocation_id AND p.previous_status IS NULL AND p.revision <= c.revision),
      (SELECT min(p.revision) FROM changes_v1 p WHERE p.invocation_id = c.invocation_id)
    ) AS registered_revision
  FROM changes_v1 c;
INSERT INTO changes (revision, namespace, invocation_id, status, runner_id, timestamp_ms, task_id,
    registered_revision, registered_ms, previous_status, previous_runner_id, reason, principal)
  SELECT c.revision, '', c.invocation_id, c.status, c.runner_id, c.timestamp_ms, c.task_id,
    g.registered_revision, r.timestamp_ms, c.previous_status, c.previous_runner_id, c.reason, ''
  FROM changes_v1 c
    JOIN temp.registrations g ON g.revision = c.revision
    JOIN changes_v1 r ON r.revision = g.registered_revision;
INSERT INTO records (namespace, invocation_id, status, runner_id, timestamp_ms, revision, task_id, available,
    registered_revision, registered_ms)
  SELECT '', v.invocation_id, v.status, v.runner_id, v.timestamp_ms, v.revision, v.task_id, v.available,
    coalesce(c.registered_revision, v.revision), coalesce(c.registered_ms, v.timestamp_ms)
  FROM records_v1 v LEFT JOIN changes c ON c.revision = v.revision;
INSERT INTO requests (namespace, request_id, fingerprint, revision)
  SELECT '', request_id, fingerprint, revision FROM requests_v1;
INSERT INTO runners (namespace, runner_id, created_ms, last_heartbeat_ms, can_run_atomic_service, consumed_queues)
  SELECT '', runner_id, last_seen_ms, last_seen_ms, 0, '[]' FROM runners_v1;
DROP TABLE temp.registrations;
DROP TABLE records_v1;
DROP TABLE changes_v1;
DROP TABLE requests_v1;
DROP TABLE runners_v1;
${SQLITE_INDEXES}
`;

/**
 * Bring a store file to the current schema, in one transaction: create it in a new file, migrate
 * a file of an older version. A version-1 file was written by a server that only knew pynenc
 * 0.2's state machine, so it is pinned to that profile. Returns the version the file had.
 */
export function migrateSqliteSchema(db: Database.Database, location: string): number {
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version === SQLITE_SCHEMA_VERSION) return version;
  if (version > SQLITE_SCHEMA_VERSION) {
    throw new StoreSchemaTooNewError(
      `${location} has schema version ${version}, written by a newer pynenc-status; this one knows up to ${SQLITE_SCHEMA_VERSION}`,
    );
  }
  db.transaction(() => {
    const isVersion1 = db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'records'`).get();
    if (isVersion1 === undefined) {
      db.exec(SQLITE_TABLES + SQLITE_INDEXES);
    } else {
      db.exec(FROM_VERSION_1);
      db.prepare(`INSERT INTO settings (key, value) VALUES ('profile', ?)`).run(STATUS_CONFIG.profile);
    }
    db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
  })();
  return version;
}
