import { create } from "@bufbuild/protobuf";
import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import {
  type DescribeStateMachineResponse,
  type HistoryEntry,
  HistoryEntrySchema,
  InvocationStatusSchema,
  InvocationStatus as ProtoStatus,
  type StatusDefinition as ProtoStatusDefinition,
  type StatusChange,
  StatusChangeSchema,
  type StatusCount,
  StatusDefinitionSchema,
  type StatusRecord,
} from "../../gen/ts/pynenc/status/v1/status_pb.js";
import {
  ALL_STATUSES,
  type InvocationStatus,
  PYNENC_SERVER_TRANSITIONS,
  STATUS_CONFIG,
  StatusConfiguration,
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
export function timestampToProto(date: Date): Timestamp {
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
    namespace: record.namespace,
    registeredAt: timestampToProto(record.registeredAt),
  };
}

/** The proto status a change came from: UNSPECIFIED for a registration. */
function previousStatusToProto(change: StoredChange): ProtoStatus {
  return change.previousStatus === null ? ProtoStatus.UNSPECIFIED : statusToProto(change.previousStatus);
}

/** A stored change as a watch stream sends it. */
export function changeToProto(change: StoredChange, initial: boolean): StatusChange {
  return create(StatusChangeSchema, {
    record: recordToProto(change.record),
    previousStatus: previousStatusToProto(change),
    previousRunnerId: change.previousRunnerId ?? undefined,
    initial,
    principal: change.principal,
    reason: change.reason,
  });
}

/** A stored change as GetHistory returns it. */
export function historyEntryToProto(change: StoredChange): HistoryEntry {
  return create(HistoryEntrySchema, {
    record: recordToProto(change.record),
    previousStatus: previousStatusToProto(change),
    reason: change.reason,
    principal: change.principal,
    previousRunnerId: change.previousRunnerId ?? undefined,
  });
}

/**
 * Counts per status as the API lists them: one per status of `statuses`, in that order, leaving
 * out those without any unless `withZeros`.
 */
export function statusCountsToProto(
  counts: ReadonlyMap<InvocationStatus, number>,
  statuses: readonly InvocationStatus[],
  withZeros: boolean,
): StatusCount[] {
  return statuses.flatMap((status): StatusCount[] => {
    const count = counts.get(status) ?? 0;
    return count === 0 && !withZeros
      ? []
      : [{ $typeName: "pynenc.status.v1.StatusCount", status: statusToProto(status), count: BigInt(count) }];
  });
}

/** A google.protobuf.Duration in milliseconds (negative for a negative duration). */
export function durationToMs(duration: Duration): number {
  return Number(duration.seconds) * 1000 + duration.nanos / 1_000_000;
}

/** A core status definition as DescribeStateMachine returns it. */
export function definitionToProto(status: InvocationStatus, definition: StatusDefinition): ProtoStatusDefinition {
  return create(StatusDefinitionSchema, {
    status: statusToProto(status),
    allowedTransitions: [...definition.allowedTransitions].map(statusToProto),
    ...statusFlags(definition),
  });
}

/**
 * The state machine a server described: its profile, its statuses (those it defines) and their
 * definitions, checked as a table loaded at start-up is.
 */
export function statusConfigurationFromProto(response: DescribeStateMachineResponse): StatusConfiguration {
  const table = definitionsFromProto(response.definitions);
  const statuses = ALL_STATUSES.filter((status) => table.has(status));
  return new StatusConfiguration(table, PYNENC_SERVER_TRANSITIONS, response.profile || "custom", statuses);
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
