import type { RecordFilter, StoredRecord } from "./store.js";

/** Whether a record passes every filter given. */
export function matchesRecordFilter(record: StoredRecord, filter: RecordFilter): boolean {
  return (
    (filter.invocationIds === undefined || filter.invocationIds.has(record.invocationId)) &&
    (filter.statuses === undefined || filter.statuses.has(record.status)) &&
    (filter.runnerId === undefined || record.runnerId === filter.runnerId) &&
    (filter.taskId === undefined || record.taskId === filter.taskId)
  );
}
