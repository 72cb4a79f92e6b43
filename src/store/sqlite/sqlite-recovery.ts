import type { StatusConfiguration } from "../../core/index.js";
import { abandonedReason, recoveryCommands } from "../recovery-rules.js";
import type { GroupWriter, Operation } from "../sqlite-group-commit.js";
import type {
  CandidatesAtTime,
  RecoveryCandidatesQuery,
  RecoveryPolicy,
  StoredChange,
  StoredRecord,
  TransitionCommand,
} from "../store.js";
import { recordFromRow, rowLimit } from "./sqlite-rows.js";
import type { SqliteStatements } from "./sqlite-statements.js";
import type { StatusCounts } from "./status-counts.js";

/** Records a recovery pass moves in one step (two changes each): each step is one short transaction. */
export const SQLITE_RECOVERY_STEP = 250;

/** What the recovery of a SQLite store works with. */
export interface SqliteRecoveryContext {
  readonly sql: SqliteStatements;
  readonly counts: StatusCounts;
  readonly config: StatusConfiguration;
  readonly enqueue: <T>(operation: Operation<T>) => Promise<T>;
  /** The store's clock. */
  readonly now: () => Date;
  /** The store's revision (of the last commit). */
  readonly revision: () => number;
  /** Validate and write one transition in an operation of the group commit. */
  readonly apply: (command: TransitionCommand, writer: GroupWriter) => StoredChange;
}

/** pynenc's recovery candidates and the server's own recovery, on a SQLite store. */
export interface SqliteRecovery {
  listRecoveryCandidates(query: RecoveryCandidatesQuery): Promise<CandidatesAtTime>;
  recover(policy: RecoveryPolicy): Promise<StoredChange[]>;
}

/**
 * Create the recovery of a SQLite store. Both walk the status index of PENDING or RUNNING in
 * revision order, which is time order since the store's clock never goes back, so they read only
 * what they return (the dead-runner rules join each record to its owner's heartbeat).
 */
export function createSqliteRecovery(context: SqliteRecoveryContext): SqliteRecovery {
  const { sql, counts, config, enqueue, now, apply } = context;
  const { pendingRecovery, runnerRecovery } = config.serverTransitions;

  /** PENDING records of a namespace whose status is older than `cutoffMs` (at or before it when `inclusive`). */
  function pendingSince(namespace: string, cutoffMs: number, inclusive: boolean, limit: number): StoredRecord[] {
    const records: StoredRecord[] = [];
    for (const row of sql.selectInStatus.iterate(namespace, pendingRecovery.from, rowLimit(limit))) {
      // Revision order is time order: the first one too young ends the walk.
      const record = recordFromRow(row);
      const ms = record.timestamp.getTime();
      if (ms > cutoffMs || (!inclusive && ms === cutoffMs)) break;
      records.push(record);
    }
    return records;
  }

  /** Up to SQLITE_RECOVERY_STEP records the policy counts as abandoned, over every namespace. */
  function abandoned(policy: RecoveryPolicy, nowMs: number): StoredRecord[] {
    const found: StoredRecord[] = [];
    for (const namespace of counts.namespacesWith([pendingRecovery.from, runnerRecovery.from])) {
      const room = SQLITE_RECOVERY_STEP - found.length;
      if (room <= 0) break;
      found.push(...pendingSince(namespace, nowMs - policy.maxPendingMs, false, room));
      const left = SQLITE_RECOVERY_STEP - found.length;
      if (left <= 0) break;
      const cutoff = nowMs - policy.runnerDeadAfterMs;
      found.push(...sql.selectOwnerAbandoned.all(namespace, runnerRecovery.from, cutoff, left).map(recordFromRow));
    }
    return found;
  }

  return {
    async listRecoveryCandidates({ namespace, rule, thresholdMs, limit }) {
      const at = now();
      const cutoff = at.getTime() - thresholdMs;
      const records =
        rule === "pending-timeout"
          ? pendingSince(namespace, cutoff, true, limit)
          : sql.selectOwnerSilent.all(namespace, runnerRecovery.from, cutoff, rowLimit(limit)).map(recordFromRow);
      return { records, now: at, revision: context.revision() };
    },

    async recover(policy) {
      const recovered: StoredChange[] = [];
      for (;;) {
        // One transaction per step, so a large pass never holds the event loop for long; what a
        // step recovered is no longer a candidate for the next.
        const step = await enqueue((writer) => {
          const nowMs = now().getTime();
          const found = abandoned(policy, nowMs);
          const changes: StoredChange[] = [];
          for (const record of found) {
            const lastSeen =
              record.runnerId === null
                ? undefined
                : sql.selectHeartbeat.get(record.namespace, record.runnerId)?.last_heartbeat_ms;
            const reason = abandonedReason(record, policy, nowMs, lastSeen, config);
            if (reason === undefined) continue;
            for (const command of recoveryCommands(record, reason, config)) changes.push(apply(command, writer));
          }
          return { changes, full: found.length >= SQLITE_RECOVERY_STEP };
        });
        recovered.push(...step.changes);
        if (!step.full || step.changes.length === 0) return recovered;
      }
    },
  };
}
