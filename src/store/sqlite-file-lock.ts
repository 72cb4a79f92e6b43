import Database from "better-sqlite3";

/** The store's file is held by another server process. */
export class StoreLockedError extends Error {
  override name = "StoreLockedError";
}

/** Whether SQLite opens `path` as a private database with no file (in memory, or a temporary one). */
export function isInMemory(path: string): boolean {
  return path === ":memory:" || path === "";
}

/** The lock a server holds on a SQLite store's file while it has the store open. */
export interface SqliteFileLock {
  release(): void;
}

/**
 * Lock `path` for this store: a SQLite file beside it, `PATH-lock`, held in SQLite's exclusive
 * locking mode until released (or until the process ends, however it ends). The database itself
 * stays in normal locking mode, so the server can read it on connections of its own (a thread
 * reading large pages), while a second server, which would hand out the same revisions, is
 * refused with StoreLockedError. An in-memory database needs no lock.
 */
export function lockSqliteFile(path: string): SqliteFileLock {
  if (isInMemory(path)) return { release() {} };
  const lock = new Database(`${path}-lock`, { timeout: 0 });
  try {
    lock.pragma("locking_mode = EXCLUSIVE");
    lock.exec("BEGIN EXCLUSIVE; COMMIT");
  } catch (error) {
    lock.close();
    if (error instanceof Database.SqliteError && error.code === "SQLITE_BUSY") {
      throw new StoreLockedError(`${path} is in use by another pynenc-status server`);
    }
    throw error;
  }
  return {
    release() {
      if (lock.open) lock.close();
    },
  };
}
