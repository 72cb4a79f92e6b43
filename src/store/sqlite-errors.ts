import Database from "better-sqlite3";
import { StoreCorruptError, StoreFullError } from "./errors.js";
import type { StatusStore } from "./store.js";

/** How to get back to a working store from a damaged file, in one line. */
function recoveryAdvice(path: string): string {
  return (
    `recover what is readable with: sqlite3 ${path} ".recover" | sqlite3 ${path}.recovered ` +
    "(then serve that file), or restore a backup"
  );
}

/** The store error for a damaged file at `path`, with how to recover; `detail` says what SQLite found. */
export function corruptFileError(path: string, detail: string, cause?: unknown): StoreCorruptError {
  return new StoreCorruptError(`${path} is corrupt (${detail}); ${recoveryAdvice(path)}`, { cause });
}

/**
 * The store's own error for what SQLite reports: a full disk (SQLITE_FULL) is StoreFullError, a
 * damaged file (SQLITE_CORRUPT, SQLITE_NOTADB) StoreCorruptError; anything else is returned as is.
 */
export function storeErrorFromSqlite(error: unknown, path: string): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  if (error.code === "SQLITE_FULL") {
    return new StoreFullError(`${path}: the disk is full (${error.message}); nothing was written`, { cause: error });
  }
  if (error.code.startsWith("SQLITE_CORRUPT") || error.code === "SQLITE_NOTADB") {
    return corruptFileError(path, error.message, error);
  }
  return error;
}

/**
 * The same store, with every error a call throws or rejects with passed through
 * storeErrorFromSqlite, so callers see the store's errors rather than SQLite's.
 */
export function withSqliteErrorsConverted(store: StatusStore, path: string): StatusStore {
  const convert = (error: unknown): never => {
    throw storeErrorFromSqlite(error, path);
  };
  const converted: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(store)) {
    if (typeof member !== "function") {
      converted[name] = member;
      continue;
    }
    converted[name] = (...args: unknown[]) => {
      try {
        const result: unknown = member(...args);
        return result instanceof Promise ? result.catch(convert) : result;
      } catch (error) {
        return convert(error);
      }
    };
  }
  return converted as unknown as StatusStore;
}
