import { isFinal, type StatusConfiguration } from "../core/index.js";
import type { RetentionPolicy, StoredRecord } from "./store.js";

/** The oldest revision a retention policy keeps, given the store's newest change. */
export function retainedFromRevision(
  policy: RetentionPolicy,
  currentRevision: number,
  oldestRevision: number,
  firstRevisionSince: (timestampMs: number) => number,
  nowMs: number,
): number {
  let from = oldestRevision;
  if (policy.maxChanges !== undefined) from = Math.max(from, currentRevision - policy.maxChanges + 1);
  if (policy.maxAgeMs !== undefined) from = Math.max(from, firstRevisionSince(nowMs - policy.maxAgeMs));
  return Math.min(from, currentRevision + 1);
}

/** Whether a record is final and old enough to be forgotten. */
export function purgeable(
  record: StoredRecord,
  policy: RetentionPolicy,
  nowMs: number,
  config: StatusConfiguration,
): boolean {
  return (
    policy.purgeFinalAfterMs !== undefined &&
    isFinal(record.status, config) &&
    nowMs - record.timestamp.getTime() > policy.purgeFinalAfterMs
  );
}
