/**
 * The schema version this code writes, kept in `PRAGMA user_version`. Version 1 is the first
 * release's schema (no namespaces; its files have user_version 0), migrated at open.
 */
export const SQLITE_SCHEMA_VERSION = 2;

/**
 * The tables. Identity is (namespace, invocation_id); the change log and the revision counter are
 * one for every namespace. Times are milliseconds since the epoch on the store's clock.
 */
export const SQLITE_TABLES = `
CREATE TABLE IF NOT EXISTS records (
  namespace TEXT NOT NULL,
  invocation_id TEXT NOT NULL,
  status TEXT NOT NULL,
  runner_id TEXT,
  timestamp_ms INTEGER NOT NULL,
  revision INTEGER NOT NULL,
  task_id TEXT NOT NULL,
  available INTEGER NOT NULL,
  registered_revision INTEGER NOT NULL,
  registered_ms INTEGER NOT NULL,
  PRIMARY KEY (namespace, invocation_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS changes (
  revision INTEGER PRIMARY KEY,
  namespace TEXT NOT NULL,
  invocation_id TEXT NOT NULL,
  status TEXT NOT NULL,
  runner_id TEXT,
  timestamp_ms INTEGER NOT NULL,
  task_id TEXT NOT NULL,
  registered_revision INTEGER NOT NULL,
  registered_ms INTEGER NOT NULL,
  previous_status TEXT,
  previous_runner_id TEXT,
  reason TEXT NOT NULL,
  principal TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS requests (
  namespace TEXT NOT NULL,
  request_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  revision INTEGER NOT NULL,
  PRIMARY KEY (namespace, request_id)
) WITHOUT ROWID;
-- consumed_queues: a JSON array of queue names.
CREATE TABLE IF NOT EXISTS runners (
  namespace TEXT NOT NULL,
  runner_id TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  last_heartbeat_ms INTEGER NOT NULL,
  can_run_atomic_service INTEGER NOT NULL,
  consumed_queues TEXT NOT NULL,
  PRIMARY KEY (namespace, runner_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_ms INTEGER NOT NULL
) WITHOUT ROWID;
-- revision: the last revision ever given (it survives the deletion of every change);
-- oldest: the oldest revision compaction keeps; clock: the store's clock at the last deletion.
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
-- profile: the state machine the store was created with; page_token_secret: hex.
CREATE TABLE IF NOT EXISTS settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

/**
 * The indexes: one for every way a request reads records, so none walks a whole table. The store's
 * clock never goes back, so an index in revision order is in time order too: the status index
 * also serves recovery and purging by age.
 */
export const SQLITE_INDEXES = `
CREATE INDEX IF NOT EXISTS records_revision ON records (namespace, revision);
CREATE INDEX IF NOT EXISTS records_status ON records (namespace, status, revision);
-- status last: the counts per task are counted from this index alone at open.
CREATE INDEX IF NOT EXISTS records_task ON records (namespace, task_id, revision, status);
CREATE INDEX IF NOT EXISTS records_available ON records (namespace, revision) WHERE available = 1;
CREATE INDEX IF NOT EXISTS records_available_task ON records (namespace, task_id, revision) WHERE available = 1;
-- status last: a runner's owned counts come from this index alone.
CREATE INDEX IF NOT EXISTS records_runner ON records (namespace, runner_id, revision, status) WHERE runner_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_registration ON records (namespace, registered_revision);
CREATE INDEX IF NOT EXISTS records_status_registration ON records (namespace, status, registered_revision);
CREATE INDEX IF NOT EXISTS records_task_registration ON records (namespace, task_id, registered_revision);
CREATE INDEX IF NOT EXISTS changes_invocation ON changes (namespace, invocation_id, revision);
CREATE INDEX IF NOT EXISTS changes_time ON changes (timestamp_ms);
CREATE INDEX IF NOT EXISTS requests_revision ON requests (revision);
CREATE INDEX IF NOT EXISTS runners_created ON runners (namespace, created_ms, runner_id);
`;

/** The whole schema, applied on open to a new file; every statement is idempotent. */
export const SQLITE_SCHEMA = SQLITE_TABLES + SQLITE_INDEXES;
