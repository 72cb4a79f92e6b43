import Database from "better-sqlite3";
import type { RecordsAtRevision } from "../store.js";
import { type InvocationPagePlan, pageRowsOf, readPagePlan } from "./sqlite-invocation-page.js";
import { SQLITE_STATEMENTS } from "./sqlite-statements.js";

/** A read-only connection to a store's file that reads page plans. */
export interface SqlitePageReader {
  /** The plan's records and the revision they are at, read in one read transaction. */
  read(plan: InvocationPagePlan): RecordsAtRevision;
  close(): void;
}

/**
 * Open a read-only connection to the SQLite store at `path`, for another thread of the server
 * that owns it. A read sees every committed change (every acknowledged one) up to its revision,
 * all from one snapshot of the file, however many statements the plan has.
 */
export function openSqlitePageReader(path: string): SqlitePageReader {
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 1_000 });
  const rows = pageRowsOf(db);
  const revision = db.prepare<[], { revision: number }>(SQLITE_STATEMENTS.lastRevision);
  const read = db.transaction(
    (plan: InvocationPagePlan): RecordsAtRevision => ({
      revision: revision.get()!.revision,
      records: readPagePlan(plan, rows),
    }),
  );
  return {
    read: (plan) => read(plan),
    close() {
      if (db.open) db.close();
    },
  };
}
