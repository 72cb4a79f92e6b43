import { type InvocationStatus, parseInvocationStatus, type StatusConfiguration } from "../../core/index.js";
import type { RecordsAtRevision, StoredChange, StoredRecord } from "../store.js";
import { errorFromReply } from "./reply-errors.js";

/**
 * A record as the scripts reply with it (include/store.lua record_reply): id, status, owner (null
 * = none), timestamp, revision, task, registration revision, registration time. The namespace is
 * the one the script was asked about.
 */
export type RecordReply = [string, string, string | null, string, string, string, string, string];

function statusFrom(value: string): InvocationStatus {
  const status = parseInvocationStatus(value);
  if (status === undefined) throw new Error(`Corrupt Redis store: unknown status ${JSON.stringify(value)}`);
  return status;
}

/** The record of a script reply (or of HMGET s o t r k g a with the id in front), in a namespace. */
export function recordFromReply(
  namespace: string,
  [invocationId, status, runnerId, timestamp, revision, taskId, registeredRevision, registeredAt]: RecordReply,
): StoredRecord {
  return {
    namespace,
    invocationId,
    status: statusFrom(status),
    runnerId,
    timestamp: new Date(Number(timestamp)),
    revision: Number(revision),
    taskId,
    registeredRevision: Number(registeredRevision),
    registeredAt: new Date(Number(registeredAt)),
  };
}

/** The records of a `{revision, record, ...}` reply, all of one namespace. */
export function recordsFromReply(namespace: string, reply: unknown): RecordsAtRevision {
  const [revision, ...records] = reply as [number, ...RecordReply[]];
  return { records: records.map((r) => recordFromReply(namespace, r)), revision };
}

/** A change from its revision and the flat fields of its stream entry (include/store.lua change_fields). */
export function changeFromFields(revision: number, fields: string[]): StoredChange {
  let namespace = "";
  let invocationId = "";
  let status = "";
  let runnerId: string | null = null;
  let timestamp = 0;
  let taskId = "";
  let registeredRevision = revision;
  let registeredAt = 0;
  let previousStatus: InvocationStatus | null = null;
  let previousRunnerId: string | null = null;
  let reason = "";
  let principal = "";
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1]!;
    switch (fields[i]) {
      case "n":
        namespace = value;
        break;
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
      case "g":
        registeredRevision = Number(value);
        break;
      case "a":
        registeredAt = Number(value);
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
      case "u":
        principal = value;
        break;
      // "x", the request id that made the change, is only for compaction.
    }
  }
  return {
    record: {
      namespace,
      invocationId,
      status: statusFrom(status),
      runnerId,
      timestamp: new Date(timestamp),
      revision,
      taskId,
      registeredRevision,
      registeredAt: new Date(registeredAt),
    },
    previousStatus,
    previousRunnerId,
    reason,
    principal,
  };
}

/** The changes of a `{0, revision, fields, ...}` reply; any other code throws its store error. */
export function changesFromReply(reply: unknown, config: StatusConfiguration): StoredChange[] {
  const items = reply as unknown[];
  if (items[0] !== 0) throw errorFromReply(items, config);
  const changes: StoredChange[] = [];
  for (let i = 1; i + 1 < items.length; i += 2) {
    changes.push(changeFromFields(Number(items[i]), items[i + 1] as string[]));
  }
  return changes;
}

/** One transition's reply, `{0, revision, fields}` or an error code: its change, or its store error. */
export function outcomeFromReply(reply: unknown, config: StatusConfiguration): StoredChange | Error {
  const items = reply as unknown[];
  if (items[0] !== 0) return errorFromReply(items, config);
  return changeFromFields(Number(items[1]), items[2] as string[]);
}

/** The revision a stream entry id `<revision>-0` stands for. */
export function revisionOfEntry(id: string): number {
  return Number.parseInt(id, 10);
}
