/** The SQLite schema, applied on open; every statement is idempotent. */
export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  invocation_id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  runner_id TEXT,
  timestamp_ms INTEGER NOT NULL,
  revision INTEGER NOT NULL,
  task_id TEXT NOT NULL,
  available INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_available ON records (revision) WHERE available = 1;
CREATE INDEX IF NOT EXISTS records_available_task ON records (task_id, revision) WHERE available = 1;
-- Recovery and purging look records up by status and age, never by scanning every record.
CREATE INDEX IF NOT EXISTS records_status_time ON records (status, timestamp_ms);
CREATE TABLE IF NOT EXISTS changes (
  revision INTEGER PRIMARY KEY,
  invocation_id TEXT NOT NULL,
  status TEXT NOT NULL,
  runner_id TEXT,
  timestamp_ms INTEGER NOT NULL,
  task_id TEXT NOT NULL,
  previous_status TEXT,
  previous_runner_id TEXT,
  reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_invocation ON changes (invocation_id, revision);
CREATE INDEX IF NOT EXISTS changes_time ON changes (timestamp_ms);
CREATE TABLE IF NOT EXISTS requests (
  request_id TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  revision INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS requests_revision ON requests (revision);
CREATE TABLE IF NOT EXISTS runners (
  runner_id TEXT PRIMARY KEY,
  last_seen_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_ms INTEGER NOT NULL
) WITHOUT ROWID;
-- revision: the last revision ever given (it survives compaction of every change);
-- oldest: the oldest revision compaction keeps.
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
`;
