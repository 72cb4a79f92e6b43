import type { InvocationFilter, StoredRecord } from "./store.js";

/** Whether a record passes every filter given (its namespace included). */
export function matchesInvocationFilter(record: StoredRecord, filter: InvocationFilter): boolean {
  return (
    record.namespace === filter.namespace &&
    (filter.invocationIds === undefined || filter.invocationIds.has(record.invocationId)) &&
    (filter.statuses === undefined || filter.statuses.has(record.status)) &&
    (filter.runnerId === undefined || record.runnerId === filter.runnerId) &&
    (filter.taskId === undefined || record.taskId === filter.taskId) &&
    (filter.idPrefix === undefined || record.invocationId.startsWith(filter.idPrefix))
  );
}
