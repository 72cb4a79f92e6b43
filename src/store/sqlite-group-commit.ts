import type Database from "better-sqlite3";
import type { StoredChange } from "./store.js";

/** What an operation sees of its group: the revisions given so far, and where its changes go. */
export interface GroupWriter {
  /** The last revision given, counting the changes this group has written so far. */
  lastRevision(): number;
  /** Count a change this operation wrote under lastRevision() + 1; it is published once the group commits. */
  written(change: StoredChange): void;
  /**
   * Run `action` once the group has committed, before any of its changes is published; never if
   * this operation (or the attempt it was registered in) is rolled back. For state kept in memory.
   */
  afterCommit(action: () => void): void;
  /**
   * Run part of this operation under a savepoint of its own. When the part throws, its writes,
   * changes and after-commit actions are taken back, its error is returned and the operation goes
   * on; only when SQLite abandoned the whole transaction (a full disk, an I/O error) is the error
   * thrown, failing the group.
   */
  attempt<T>(part: Operation<T>): Attempt<T>;
}

/** What a part of an operation came to: its value, or the error it was rolled back with. */
export type Attempt<T> = { readonly value: T } | { readonly error: unknown };

/**
 * One unit of work in a group commit. It runs inside the group's transaction under a savepoint of
 * its own: when it throws, whatever it wrote is rolled back and its revisions are given again, and
 * the rest of the group commits without it.
 */
export type Operation<T> = (writer: GroupWriter) => T;

interface QueuedOperation {
  readonly operation: Operation<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome =
  | { readonly value: unknown; readonly changes: StoredChange[]; readonly actions: Array<() => void> }
  | { readonly error: unknown };

/** Options of a group commit. */
export interface SqliteGroupCommitOptions {
  /** The last revision committed before this group commit took over the database. */
  readonly revision: number;
  /** Called with every committed change, in revision order, before its operation's call resolves. */
  readonly publish: (change: StoredChange) => void;
  /** Told of every group that committed: how many operations it held and how long it took (s). */
  readonly onCommitted?: (operations: number, seconds: number) => void;
  /** Called before each group runs; when it throws, every operation of the group fails with that error. */
  readonly beforeCommit?: () => void;
}

/** Operations that run one after another, each group committed in one SQLite transaction. */
export interface SqliteGroupCommit {
  /**
   * Queue an operation. Operations queued in the same turn of the event loop run one after
   * another in one transaction (one commit, and one fsync, per group); each call settles with its
   * own operation's value or error once the group has committed.
   */
  enqueue<T>(operation: Operation<T>): Promise<T>;
  /** The last revision committed (and published). */
  revision(): number;
  /** Run what is queued now, then refuse new operations. */
  close(): void;
}

/**
 * Create the group commit of a SQLite store. Revisions stay dense and every committed revision
 * has been published: an operation that fails leaves neither a row nor a revision behind. Only
 * when SQLite itself abandons the transaction (a full disk, an I/O error) does the whole group
 * fail, with that error.
 */
export function createSqliteGroupCommit(db: Database.Database, options: SqliteGroupCommitOptions): SqliteGroupCommit {
  let committed = options.revision;
  let queue: QueuedOperation[] = [];
  let flushScheduled = false;
  let closed = false;

  // Called inside the group's transaction, better-sqlite3 runs a transaction function under a
  // SAVEPOINT, and rolls back to it when the function throws.
  const underSavepoint = db.transaction((operation: Operation<unknown>, writer: GroupWriter) => operation(writer));

  const runGroup = db.transaction((group: QueuedOperation[]) => {
    let revision = committed;
    const outcomes: Outcome[] = [];
    for (const { operation } of group) {
      const changes: StoredChange[] = [];
      const actions: Array<() => void> = [];
      const writer: GroupWriter = {
        lastRevision: () => revision + changes.length,
        written: (change) => {
          changes.push(change);
        },
        afterCommit: (action) => {
          actions.push(action);
        },
        attempt<T>(part: Operation<T>): Attempt<T> {
          const kept = { changes: changes.length, actions: actions.length };
          try {
            return { value: underSavepoint(part, writer) as T };
          } catch (error) {
            if (!db.inTransaction) throw error;
            changes.length = kept.changes;
            actions.length = kept.actions;
            return { error };
          }
        },
      };
      try {
        const value = underSavepoint(operation, writer);
        revision += changes.length;
        outcomes.push({ value, changes, actions });
      } catch (error) {
        // SQLite rolled the whole transaction back on its own: nothing of the group is left to commit.
        if (!db.inTransaction) throw error;
        outcomes.push({ error });
      }
    }
    return { outcomes, revision };
  });

  function flush(): void {
    flushScheduled = false;
    if (queue.length === 0) return;
    const group = queue;
    queue = [];
    let result: ReturnType<typeof runGroup>;
    const started = performance.now();
    try {
      options.beforeCommit?.();
      result = runGroup(group);
    } catch (error) {
      for (const queued of group) queued.reject(error);
      return;
    }
    options.onCommitted?.(group.length, (performance.now() - started) / 1000);
    committed = result.revision;
    for (const outcome of result.outcomes) {
      if (!("error" in outcome)) for (const action of outcome.actions) action();
    }
    result.outcomes.forEach((outcome, i) => {
      const queued = group[i]!;
      if ("error" in outcome) {
        queued.reject(outcome.error);
        return;
      }
      for (const change of outcome.changes) options.publish(change);
      queued.resolve(outcome.value);
    });
  }

  return {
    enqueue<T>(operation: Operation<T>): Promise<T> {
      if (closed) return Promise.reject(new Error("The store is closed"));
      return new Promise<T>((resolve, reject) => {
        queue.push({ operation, resolve: resolve as (value: unknown) => void, reject });
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flush);
        }
      });
    },
    revision: () => committed,
    close() {
      if (closed) return;
      closed = true;
      flush();
    },
  };
}
