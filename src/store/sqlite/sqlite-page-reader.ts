import Database from "better-sqlite3";
import type { RecordsAtRevision } from "../store.js";
import { type InvocationPagePlan, pageRowsOf, readPagePlan } from "./sqlite-invocation-page.js";

/** A read-only connection to a store's file that reads page plans. */
export interface SqlitePageReader {
  /** The plan's records and the revision they are at, read in one read transaction. */
  read(plan: InvocationPagePlan): RecordsAtRevision;
  close(): void;
}

/**
 * The revision of the last committed change: the newest change kept, or, once compaction has
 * removed it, the revision the store wrote down (as the store itself reckons at open).
 */
const REVISION = `SELECT max(coalesce((SELECT max(revision) FROM changes), 0),
  coalesce((SELECT value FROM meta WHERE key = 'revision'), 0)) AS revision`;

/**
 * Open a read-only connection to the SQLite store at `path`, for another thread of the server
 * that owns it. A read sees every committed change (every acknowledged one) up to its revision,
 * all from one snapshot of the file, however many statements the plan has.
 */
export function openSqlitePageReader(path: string): SqlitePageReader {
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 1_000 });
  const rows = pageRowsOf(db);
  const revision = db.prepare<[], { revision: number }>(REVISION);
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
