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
`;
