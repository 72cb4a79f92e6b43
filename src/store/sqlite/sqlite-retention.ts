import type { StatusConfiguration } from "../../core/index.js";
import { purgeable, retainedFromRevision } from "../retention-rules.js";
import type { GroupWriter, Operation } from "../sqlite-group-commit.js";
import type { CompactionResult, NamespacePurgeResult, RetentionPolicy, StoredRecord } from "../store.js";
import { recordFromRow, statusFromColumn } from "./sqlite-rows.js";
import type { SqliteStatements } from "./sqlite-statements.js";
import type { StatusCounts } from "./status-counts.js";

/** Rows one statement deletes at most: each step of a compaction or purge is one short transaction. */
export const SQLITE_DELETE_STEP = 5_000;

/** What the retention of a SQLite store works with. */
export interface SqliteRetentionContext {
  readonly sql: SqliteStatements;
  readonly counts: StatusCounts;
  readonly config: StatusConfiguration;
  readonly enqueue: <T>(operation: Operation<T>) => Promise<T>;
  /** The store's clock. */
  readonly now: () => Date;
}

/** Compaction and PurgeNamespace of a SQLite store, and the oldest revision it keeps. */
export interface SqliteRetention {
  compact(policy: RetentionPolicy): Promise<CompactionResult>;
  purgeNamespace(namespace: string): Promise<NamespacePurgeResult>;
  oldestRevision(): number;
}

/**
 * Create the retention of a SQLite store. Everything is deleted in steps of at most
 * SQLITE_DELETE_STEP rows per statement, each step its own operation of the group commit, so other
 * calls run between the steps and none waits behind a large deletion. Counts kept in memory move
 * once a step commits.
 */
export function createSqliteRetention(context: SqliteRetentionContext): SqliteRetention {
  const { sql, counts, config, enqueue, now } = context;
  let oldest = sql.selectMeta.get("oldest")?.value ?? 1;

  /** Keep the revision counter and the clock when changes go: the next open reads them back. */
  function noteDeletion(writer: GroupWriter, nowMs: number): void {
    sql.upsertMeta.run("revision", writer.lastRevision());
    sql.upsertMeta.run("clock", nowMs);
  }

  /** Move the oldest revision kept up to `from`, a bounded range of revisions per step. */
  async function dropChangesBefore(policy: RetentionPolicy, nowMs: number) {
    let from: number | undefined;
    let changesRemoved = 0;
    let requestIdsRemoved = 0;
    do {
      const step = await enqueue((writer) => {
        const last = writer.lastRevision();
        from ??= retainedFromRevision(
          policy,
          last,
          oldest,
          (ms) => sql.firstChangeSince.get(ms)?.revision ?? last + 1,
          nowMs,
        );
        const low = oldest;
        const high = Math.max(low, Math.min(from, low + SQLITE_DELETE_STEP));
        const removed = {
          changes: high > low ? sql.deleteChangesBetween.run(low, high).changes : 0,
          requests: high > low ? sql.deleteRequestsBetween.run(low, high).changes : 0,
        };
        sql.upsertMeta.run("oldest", high);
        noteDeletion(writer, nowMs);
        writer.afterCommit(() => {
          oldest = Math.max(oldest, high);
        });
        return removed;
      });
      changesRemoved += step.changes;
      requestIdsRemoved += step.requests;
    } while (oldest < from!);
    return { changesRemoved, requestIdsRemoved };
  }

  /** Delete the final invocations of every namespace whose status is older than the policy keeps. */
  async function purgeFinal(policy: RetentionPolicy, nowMs: number): Promise<number> {
    let purged = 0;
    for (const namespace of counts.namespacesWith(config.finalStatuses)) {
      for (const status of config.finalStatuses) {
        for (let more = true; more; ) {
          const deleted = await enqueue((writer) => {
            const records: StoredRecord[] = [];
            for (const row of sql.selectInStatus.iterate(namespace, status, SQLITE_DELETE_STEP)) {
              const record = recordFromRow(row);
              // Revision order is time order: the first one too young ends the walk.
              if (!purgeable(record, policy, nowMs, config)) break;
              records.push(record);
            }
            for (const record of records) sql.deleteRecord.run(namespace, record.invocationId);
            writer.afterCommit(() => {
              for (const record of records) counts.add(namespace, record.taskId, status, -1);
            });
            return records.length;
          });
          purged += deleted;
          more = deleted === SQLITE_DELETE_STEP;
        }
      }
    }
    return purged;
  }

  return {
    async compact(policy) {
      const nowMs = now().getTime();
      const { changesRemoved, requestIdsRemoved } = await dropChangesBefore(policy, nowMs);
      const invocationsPurged = policy.purgeFinalAfterMs === undefined ? 0 : await purgeFinal(policy, nowMs);
      return { changesRemoved, invocationsPurged, requestIdsRemoved, oldestRevision: oldest };
    },

    async purgeNamespace(namespace) {
      // What the namespace held when the purge began: an invocation registered while it runs stays.
      let upTo: number | undefined;
      let nowMs = 0;
      let invocationsPurged = 0;
      let runnersPurged = 0;
      for (let more = true; more; ) {
        const step = await enqueue((writer) => {
          if (upTo === undefined) {
            upTo = writer.lastRevision();
            nowMs = now().getTime();
          }
          const bounds = { namespace, upTo, limit: SQLITE_DELETE_STEP };
          const records = sql.deleteNamespaceRecords.all(bounds);
          const changes = sql.deleteNamespaceChanges.run(bounds).changes;
          const requests = sql.deleteNamespaceRequests.run(bounds).changes;
          const runners = sql.deleteNamespaceRunners.run({ namespace, limit: SQLITE_DELETE_STEP }).changes;
          if (changes > 0) noteDeletion(writer, nowMs);
          writer.afterCommit(() => {
            for (const row of records) counts.add(namespace, row.task_id, statusFromColumn(row.status), -1);
          });
          return { records: records.length, runners, more: Math.max(records.length, changes, requests, runners) };
        });
        invocationsPurged += step.records;
        runnersPurged += step.runners;
        more = step.more >= SQLITE_DELETE_STEP;
      }
      return { invocationsPurged, runnersPurged };
    },

    oldestRevision: () => oldest,
  };
}
