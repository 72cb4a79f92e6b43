import { type InvocationStatus, parseInvocationStatus } from "../../core/index.js";
import type { StoredChange, StoredRecord } from "../store.js";

/** A row of `records` as the store reads it. */
export interface RecordRow {
  namespace: string;
  invocation_id: string;
  status: string;
  runner_id: string | null;
  timestamp_ms: number;
  revision: number;
  task_id: string;
  registered_revision: number;
  registered_ms: number;
}

/** A row of `changes`: the record after the change, and what it was before. */
export interface ChangeRow extends RecordRow {
  previous_status: string | null;
  previous_runner_id: string | null;
  reason: string;
  principal: string;
}

/** The columns of a RecordRow, in `records` and `changes` alike. */
export const RECORD_COLUMNS =
  "namespace, invocation_id, status, runner_id, timestamp_ms, revision, task_id, registered_revision, registered_ms";

/** The columns of a ChangeRow. */
export const CHANGE_COLUMNS = `${RECORD_COLUMNS}, previous_status, previous_runner_id, reason, principal`;

/** A status read from the file; a value no status has means the file was not written by us. */
export function statusFromColumn(value: string): InvocationStatus {
  const status = parseInvocationStatus(value);
  if (status === undefined) throw new Error(`Corrupt store: unknown status ${JSON.stringify(value)}`);
  return status;
}

/** The record a row holds. */
export function recordFromRow(row: RecordRow): StoredRecord {
  return {
    namespace: row.namespace,
    invocationId: row.invocation_id,
    status: statusFromColumn(row.status),
    runnerId: row.runner_id,
    timestamp: new Date(row.timestamp_ms),
    revision: row.revision,
    taskId: row.task_id,
    registeredRevision: row.registered_revision,
    registeredAt: new Date(row.registered_ms),
  };
}

/** The change a row holds. */
export function changeFromRow(row: ChangeRow): StoredChange {
  return {
    record: recordFromRow(row),
    previousStatus: row.previous_status === null ? null : statusFromColumn(row.previous_status),
    previousRunnerId: row.previous_runner_id,
    reason: row.reason,
    principal: row.principal,
  };
}

/** A count of rows to bind to LIMIT, where a negative one would mean no limit at all. */
export function rowLimit(count: number): number {
  return Math.max(0, Math.floor(count));
}
