import { create } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import {
  InvocationStatusSchema,
  InvocationStatus as ProtoStatus,
  type StatusDefinition as ProtoStatusDefinition,
  type StatusChange,
  StatusChangeSchema,
  StatusDefinitionSchema,
  type StatusRecord,
} from "../../gen/ts/pynenc/status/v1/status_pb.js";
import {
  ALL_STATUSES,
  type InvocationStatus,
  STATUS_CONFIG,
  type StatusDefinition,
  type StatusDefinitionTable,
  statusFlags,
} from "../core/index.js";
import type { StoredChange, StoredRecord } from "../store/index.js";

/** What every name of the proto's InvocationStatus enum starts with (`INVOCATION_STATUS_RUNNING`). */
export const STATUS_NAME_PREFIX = "INVOCATION_STATUS_";
const toProto = new Map<InvocationStatus, ProtoStatus>();
const fromProto = new Map<number, InvocationStatus>();
for (const status of ALL_STATUSES) {
  const value = InvocationStatusSchema.values.find((v) => v.name === STATUS_NAME_PREFIX + status.toUpperCase());
  if (value === undefined) throw new Error(`The proto enum lacks status ${status}`);
  toProto.set(status, value.number);
  fromProto.set(value.number, status);
}

/** The proto enum value of a core status. */
export function statusToProto(status: InvocationStatus): ProtoStatus {
  return toProto.get(status)!;
}

/** The core status of a proto enum number; undefined for UNSPECIFIED and unknown numbers. */
export function statusFromProto(value: number): InvocationStatus | undefined {
  return fromProto.get(value);
}

/** The proto enum name of a core status, as errors and logs show it. */
export function statusName(status: InvocationStatus | null): string {
  return status === null ? `${STATUS_NAME_PREFIX}UNSPECIFIED` : STATUS_NAME_PREFIX + status.toUpperCase();
}

/** A Date as a google.protobuf.Timestamp. */
function timestampToProto(date: Date): Timestamp {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { $typeName: "google.protobuf.Timestamp", seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

/**
 * A stored record as the API returns it. Built as a complete message literal (the type checks
 * every field) rather than with create(): this runs on every call, and create's reflection was
 * a measurable share of a Transition's server CPU.
 */
export function recordToProto(record: StoredRecord): StatusRecord {
  return {
    $typeName: "pynenc.status.v1.StatusRecord",
    invocationId: record.invocationId,
    status: statusToProto(record.status),
    runnerId: record.runnerId ?? undefined,
    timestamp: timestampToProto(record.timestamp),
    revision: BigInt(record.revision),
    taskId: record.taskId,
  };
}

/** A stored change as a watch stream sends it. */
export function changeToProto(change: StoredChange, initial: boolean): StatusChange {
  return create(StatusChangeSchema, {
    record: recordToProto(change.record),
    previousStatus: change.previousStatus === null ? ProtoStatus.UNSPECIFIED : statusToProto(change.previousStatus),
    previousRunnerId: change.previousRunnerId ?? undefined,
    initial,
  });
}

/** A core status definition as DescribeStateMachine returns it. */
export function definitionToProto(status: InvocationStatus, definition: StatusDefinition): ProtoStatusDefinition {
  return create(StatusDefinitionSchema, {
    status: statusToProto(status),
    allowedTransitions: [...definition.allowedTransitions].map(statusToProto),
    ...statusFlags(definition),
  });
}

/** The core definitions table from DescribeStateMachine's answer (the new-invocation row added). */
export function definitionsFromProto(definitions: readonly ProtoStatusDefinition[]): StatusDefinitionTable {
  const table = new Map<InvocationStatus | null, StatusDefinition>([[null, STATUS_CONFIG.getDefinition(null)]]);
  for (const d of definitions) {
    const status = statusFromProto(d.status);
    if (status === undefined) continue;
    table.set(status, {
      allowedTransitions: new Set(d.allowedTransitions.flatMap((t) => statusFromProto(t) ?? [])),
      ...statusFlags(d),
    });
  }
  return table;
}
