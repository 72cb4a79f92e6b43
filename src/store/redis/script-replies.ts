import { type InvocationStatus, parseInvocationStatus } from "../../core/index.js";
import type { StoredChange, StoredRecord } from "../store.js";
import { errorFromReply } from "./reply-errors.js";

/** A record as the scripts reply with it: id, status, owner (null = none), timestamp, revision, task. */
export type RecordReply = [string, string, string | null, string, string, string];

function statusFrom(value: string): InvocationStatus {
  const status = parseInvocationStatus(value);
  if (status === undefined) throw new Error(`Corrupt Redis store: unknown status ${JSON.stringify(value)}`);
  return status;
}

/** The record of a script reply (or of HMGET s o t r k with the id in front). */
export function recordFromReply([
  invocationId,
  status,
  runnerId,
  timestamp,
  revision,
  taskId,
]: RecordReply): StoredRecord {
  return {
    invocationId,
    status: statusFrom(status),
    runnerId,
    timestamp: new Date(Number(timestamp)),
    revision: Number(revision),
    taskId,
  };
}

/** A change from its revision and the flat fields of its stream entry (see include/store.lua). */
export function changeFromFields(revision: number, fields: string[]): StoredChange {
  let invocationId = "";
  let status = "";
  let runnerId: string | null = null;
  let timestamp = 0;
  let taskId = "";
  let previousStatus: InvocationStatus | null = null;
  let previousRunnerId: string | null = null;
  let reason = "";
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1]!;
    switch (fields[i]) {
      case "i":
        invocationId = value;
        break;
      case "s":
        status = value;
        break;
      case "o":
        runnerId = value;
        break;
      case "t":
        timestamp = Number(value);
        break;
      case "k":
        taskId = value;
        break;
      case "p":
        previousStatus = statusFrom(value);
        break;
      case "q":
        previousRunnerId = value;
        break;
      case "w":
        reason = value;
        break;
      // "x", the request id that made the change, is only for compaction.
    }
  }
  return {
    record: { invocationId, status: statusFrom(status), runnerId, timestamp: new Date(timestamp), revision, taskId },
    previousStatus,
    previousRunnerId,
    reason,
  };
}

/** The changes of a `{0, revision, fields, ...}` reply; any other code throws its store error. */
export function changesFromReply(reply: unknown): StoredChange[] {
  const items = reply as unknown[];
  if (items[0] !== 0) throw errorFromReply(items);
  const changes: StoredChange[] = [];
  for (let i = 1; i + 1 < items.length; i += 2) {
    changes.push(changeFromFields(Number(items[i]), items[i + 1] as string[]));
  }
  return changes;
}

/** The revision a stream entry id `<revision>-0` stands for. */
export function revisionOfEntry(id: string): number {
  return Number.parseInt(id, 10);
}
