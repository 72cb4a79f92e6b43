import Database from "better-sqlite3";
import { type InvocationStatus, isAvailableForRun, STATUS_CONFIG } from "../core/index.js";
import { applyTransition } from "./apply-transition.js";
import { createChangeFeed } from "./change-feed.js";
import { claimCommand } from "./claim-command.js";
import { RevisionCompactedError } from "./errors.js";
import { migrateSqliteSchema } from "./sqlite/migrate-sqlite-schema.js";
import { createSqliteInvocationPages, type InvocationPagePlan } from "./sqlite/sqlite-invocation-page.js";
import { createSqliteRecovery } from "./sqlite/sqlite-recovery.js";
import { createSqliteRetention } from "./sqlite/sqlite-retention.js";
import { changeFromRow, recordFromRow, rowLimit, statusFromColumn } from "./sqlite/sqlite-rows.js";
import { pinSqliteSettings, type SqliteSettings } from "./sqlite/sqlite-settings.js";
import { prepareSqliteStatements, SQLITE_STATEMENTS } from "./sqlite/sqlite-statements.js";
import { StatusCounts } from "./sqlite/status-counts.js";
import { corruptFileError, storeErrorFromSqlite, withSqliteErrorsConverted } from "./sqlite-errors.js";
import { watchFileIdentity } from "./sqlite-file-identity.js";
import { isInMemory, lockSqliteFile, StoreLockedError } from "./sqlite-file-lock.js";
import { createSqliteGroupCommit, type GroupWriter } from "./sqlite-group-commit.js";
import type {
  AvailablePageQuery,
  RunnerRecord,
  StatusStore,
  StoredChange,
  StoreOptions,
  TransitionCommand,
} from "./store.js";
import { type RequestLog, transitionOnce } from "./transition-once.js";

export { StoreSchemaTooNewError } from "./sqlite/migrate-sqlite-schema.js";
export { StoreLockedError } from "./sqlite-file-lock.js";

/** Options of the SQLite store. */
export interface SqliteStoreOptions extends StoreOptions {
  /**
   * `normal` (default): a call is answered once its commit is written to the WAL, so it survives
   * `kill -9` of the server (test/e2e/durability.test.ts), but the last commits may be lost if the machine
   * itself goes down. `full`: answered once the commit is on disk (an fsync per commit group), so
   * it survives a power cut. SQLite's synchronous pragma; NORMAL is SQLite's advice for WAL mode.
   */
  readonly synchronous?: "full" | "normal";
  /**
   * Skip SQLite's `PRAGMA quick_check` at open, which reads every page (about a second per few
   * hundred MB); without it a damaged file is only found when a call reaches the damage.
   */
  readonly skipQuickCheck?: boolean;
}

/** How often the store looks at its path when nothing is written (writes look before each commit). */
const FILE_CHECK_INTERVAL_MS = 1_000;

/**
 * Create a store in a SQLite file (WAL; a resolved call survives kill -9, and with synchronous
 * FULL a power cut). Calls that arrive together run one after another in one SQLite transaction,
 * each under its own savepoint (sqlite-group-commit.ts): durability costs one commit (and with
 * FULL one fsync) per group, not per call, and a call that fails takes back only its own writes.
 * One server owns the file: a second one is refused (StoreLockedError), since revisions are handed
 * out by the process that owns it, and the counts per status are kept in its memory. A file is
 * pinned to the state machine it was created with (StateMachineProfileMismatchError), and one
 * written by an older version is migrated at open.
 */
export function createSqliteStore(path: string, options: SqliteStoreOptions = {}): StatusStore {
  const clock = options.now ?? (() => new Date());
  const config = options.config ?? STATUS_CONFIG;
  // One server owns the file; it may read it on other connections of its own (read-only).
  const owner = lockSqliteFile(path);
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: 200 });
  } catch (error) {
    owner.release();
    throw error;
  }
  let settings: SqliteSettings;
  try {
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
    // A record is in nine indexes besides its table: a 64 MiB page cache (SQLite's default is
    // 2 MiB) keeps them in memory on a large store, which measured about a fifth less CPU per write.
    db.pragma("cache_size = -65536");
    if (!options.skipQuickCheck) {
      const problems = db.pragma("quick_check", { simple: false }) as Array<{ quick_check: string }>;
      if (problems[0]?.quick_check !== "ok") {
        throw corruptFileError(path, `quick_check: ${problems.map((p) => p.quick_check).join("; ")}`);
      }
    }
    migrateSqliteSchema(db, path);
    settings = pinSqliteSettings(db, path, config.profile);
  } catch (error) {
    db.close();
    owner.release();
    if (error instanceof Database.SqliteError && error.code === "SQLITE_BUSY") {
      // A server older than the lock file holds the database itself.
      throw new StoreLockedError(`${path} is in use by another pynenc-status server`);
    }
    throw storeErrorFromSqlite(error, path);
  }
  const fileIdentity = watchFileIdentity(path, { intervalMs: FILE_CHECK_INTERVAL_MS });

  const sql = prepareSqliteStatements(db);
  const counts = new StatusCounts(config);
  for (const row of sql.countAtOpen.iterate()) {
    counts.add(row.namespace, row.task_id, statusFromColumn(row.status), row.n);
  }
  const pages = createSqliteInvocationPages(db, sql, counts);
  const feed = createChangeFeed();
  const groupCommit = createSqliteGroupCommit(db, {
    revision: sql.lastRevision.get()!.revision,
    publish: feed.publish,
    onCommitted: options.observer?.groupCommitted?.bind(options.observer),
    // Nothing is acknowledged once the file is gone: the group fails instead of committing to it.
    beforeCommit: fileIdentity.check,
  });
  const enqueue = groupCommit.enqueue;
  let lastNowMs = Math.max(sql.latestTime.get()?.ms ?? 0, sql.selectMeta.get("clock")?.value ?? 0);

  /**
   * The store's clock, never going back (not across restarts either): the status indexes, in
   * revision order, are then in time order too.
   */
  function now(): Date {
    lastNowMs = Math.max(lastNowMs, clock().getTime());
    return new Date(lastNowMs);
  }

  function countChange({ record, previousStatus }: StoredChange): void {
    if (previousStatus !== null) counts.add(record.namespace, record.taskId, previousStatus, -1);
    counts.add(record.namespace, record.taskId, record.status, 1);
  }

  function write(change: StoredChange): void {
    const r = change.record;
    const ms = r.timestamp.getTime();
    const registeredMs = r.registeredAt.getTime();
    sql.upsertRecord.run(
      r.namespace,
      r.invocationId,
      r.status,
      r.runnerId,
      ms,
      r.revision,
      r.taskId,
      r.registeredRevision,
      registeredMs,
      isAvailableForRun(r.status, config) ? 1 : 0,
    );
    sql.insertChange.run(
      r.namespace,
      r.invocationId,
      r.status,
      r.runnerId,
      ms,
      r.revision,
      r.taskId,
      r.registeredRevision,
      registeredMs,
      change.previousStatus,
      change.previousRunnerId,
      change.reason,
      change.principal,
    );
  }

  /** Validate a command against the current state and, unless validate-only, write it. */
  function apply(command: TransitionCommand, writer: GroupWriter): StoredChange {
    const current = sql.selectRecord.get(command.namespace, command.invocationId);
    const revision = writer.lastRevision() + 1;
    const change = applyTransition(current && recordFromRow(current), command, revision, now(), config);
    if (!command.validateOnly) {
      write(change);
      writer.written(change);
      writer.afterCommit(() => countChange(change));
    }
    return change;
  }

  function requestLog(namespace: string): RequestLog {
    return {
      find(requestId) {
        const seen = sql.selectRequest.get(namespace, requestId);
        return (
          seen && { fingerprint: seen.fingerprint, change: () => changeFromRow(sql.selectChange.get(seen.revision)!) }
        );
      },
      remember: (requestId, fingerprint, change) =>
        sql.insertRequest.run(namespace, requestId, fingerprint, change.record.revision),
    };
  }

  function transition(command: TransitionCommand, writer: GroupWriter): StoredChange {
    return transitionOnce(command, (c) => apply(c, writer), requestLog(command.namespace));
  }

  /** How a page of available invocations is read: one walk of an index of available records. */
  function availablePlan({ namespace, afterRevision, limit, taskId }: AvailablePageQuery): InvocationPagePlan {
    const count = rowLimit(limit);
    const statement =
      taskId === ""
        ? { sql: SQLITE_STATEMENTS.selectAvailable, params: [namespace, afterRevision, count] }
        : { sql: SQLITE_STATEMENTS.selectAvailableForTask, params: [namespace, taskId, afterRevision, count] };
    return { statements: [statement], merge: false, order: "revision", offset: 0, limit: count };
  }

  const retention = createSqliteRetention({ sql, counts, config, enqueue, now });
  const recovery = createSqliteRecovery({ sql, counts, config, enqueue, now, apply, revision: groupCommit.revision });

  const store: StatusStore = {
    config,
    transition(command) {
      return enqueue((writer) => transition(command, writer));
    },
    async batchTransition(commands) {
      if (commands.length === 0) return [];
      return enqueue((writer) =>
        commands.map((command) => {
          const attempt = writer.attempt((w) => transition(command, w));
          if ("value" in attempt) return attempt.value;
          return attempt.error instanceof Error ? attempt.error : new Error(String(attempt.error));
        }),
      );
    },
    async get(namespace, invocationId) {
      const row = sql.selectRecord.get(namespace, invocationId);
      return row && recordFromRow(row);
    },
    async batchGet(namespace, invocationIds) {
      const records = invocationIds.flatMap((id) => {
        const row = sql.selectRecord.get(namespace, id);
        return row === undefined ? [] : [recordFromRow(row)];
      });
      return { records, revision: groupCommit.revision() };
    },
    async listInvocations(query) {
      return { records: pages.read(query), revision: groupCommit.revision() };
    },
    async countInvocations(namespace, taskId) {
      return { counts: counts.of(namespace, taskId), revision: groupCommit.revision() };
    },
    async listNamespaces() {
      return counts.namespaceNames();
    },
    async listAvailableForRun(query) {
      return { records: pages.readPlan(availablePlan(query)), revision: groupCommit.revision() };
    },
    async readChanges(fromRevision, limit) {
      const oldest = retention.oldestRevision();
      if (fromRevision < oldest) throw new RevisionCompactedError(fromRevision, oldest);
      return sql.selectChanges.all(fromRevision, rowLimit(limit)).map(changeFromRow);
    },
    async readHistory(namespace, invocationId) {
      return sql.selectHistory.all({ namespace, id: invocationId }).map(changeFromRow);
    },
    claimAvailable({ namespace, runnerId, maxCount, taskId, principal }) {
      return enqueue((writer) =>
        pages
          .readPlan(availablePlan({ namespace, afterRevision: 0, limit: maxCount, taskId }))
          .map((record) => apply({ ...claimCommand(record, runnerId, config), principal }, writer)),
      );
    },
    heartbeat({ namespace, runnerIds, canRunAtomicService, consumedQueues }) {
      return enqueue(() => {
        const at = now();
        for (const runnerId of runnerIds) {
          sql.upsertRunner.run({
            namespace,
            runnerId,
            at: at.getTime(),
            canRunAtomicService: canRunAtomicService === undefined ? null : canRunAtomicService ? 1 : 0,
            consumedQueues: consumedQueues === undefined ? null : JSON.stringify(consumedQueues),
          });
        }
        return at;
      });
    },
    async listRunners(namespace) {
      const at = now();
      const owned = new Map<string, Map<InvocationStatus, number>>();
      for (const row of sql.selectOwned.iterate(namespace)) {
        let byStatus = owned.get(row.runner_id);
        if (byStatus === undefined) {
          byStatus = new Map();
          owned.set(row.runner_id, byStatus);
        }
        byStatus.set(statusFromColumn(row.status), row.n);
      }
      const runners = sql.selectRunners.all(namespace).map(
        (row): RunnerRecord => ({
          runnerId: row.runner_id,
          createdAt: new Date(row.created_ms),
          lastHeartbeat: new Date(row.last_heartbeat_ms),
          canRunAtomicService: row.can_run_atomic_service === 1,
          consumedQueues: JSON.parse(row.consumed_queues) as string[],
          owned: owned.get(row.runner_id) ?? new Map(),
        }),
      );
      return { runners, now: at };
    },
    listRecoveryCandidates: recovery.listRecoveryCandidates,
    recover: recovery.recover,
    purgeNamespace: retention.purgeNamespace,
    acquireLease(name, holder, ttlMs) {
      return enqueue(() => {
        const nowMs = now().getTime();
        const lease = sql.selectLease.get(name);
        if (lease !== undefined && lease.holder !== holder && lease.expires_ms > nowMs) return false;
        sql.upsertLease.run(name, holder, nowMs + ttlMs);
        return true;
      });
    },
    compact: retention.compact,
    pageTokenSecret: () => settings.pageTokenSecret,
    currentRevision: () => groupCommit.revision(),
    oldestRevision: () => retention.oldestRevision(),
    subscribe: feed.subscribe,
    async close() {
      if (!db.open) return;
      fileIdentity.stop();
      groupCommit.close();
      db.close();
      owner.release();
    },
    failed: fileIdentity.gone,
    sqlitePages: isInMemory(path)
      ? undefined
      : { path, listInvocations: pages.plan, listAvailableForRun: availablePlan },
  };
  return withSqliteErrorsConverted(store, path);
}
