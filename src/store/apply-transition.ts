import {
  InvocationStatusError,
  type InvocationStatusRecord,
  type StatusConfiguration,
  statusRecordTransition,
} from "../core/index.js";
import { InvocationNotFoundError, RevisionMismatchError } from "./errors.js";
import type { StoredChange, StoredRecord, TransitionCommand } from "./store.js";

/**
 * The store-independent part of one transition: check the command against the current record
 * and build the change it makes under `revision`. Throws without side effects.
 */
export function applyTransition(
  current: StoredRecord | undefined,
  command: TransitionCommand,
  revision: number,
  now: Date,
  config: StatusConfiguration,
): StoredChange {
  // An id the store does not know is a new invocation only for a status one may start in.
  if (current === undefined && !config.registrationStatuses.has(command.status)) {
    throw new InvocationNotFoundError(command.invocationId);
  }
  if (command.expectedRevision !== undefined) {
    const actual = current?.revision ?? 0;
    if (actual !== command.expectedRevision) {
      throw new RevisionMismatchError(command.invocationId, command.expectedRevision, actual);
    }
  }
  let next: InvocationStatusRecord;
  try {
    next = statusRecordTransition(current ?? null, command.status, command.runnerId, now, config);
  } catch (error) {
    // The state machine's checks see a record without its id: the error gets it here.
    throw error instanceof InvocationStatusError ? error.forInvocation(command.invocationId) : error;
  }
  // Ids that did not change keep the stored string rather than the one just decoded from the
  // request, so a store that keeps every change in memory holds one copy of each.
  const runnerId = current !== undefined && next.runnerId === current.runnerId ? current.runnerId : next.runnerId;
  return {
    record: {
      namespace: current?.namespace ?? command.namespace,
      invocationId: current?.invocationId ?? command.invocationId,
      status: next.status,
      runnerId,
      timestamp: next.timestamp,
      revision,
      taskId: current === undefined ? command.taskId : current.taskId,
      registeredRevision: current?.registeredRevision ?? revision,
      registeredAt: current?.registeredAt ?? next.timestamp,
    },
    previousStatus: current?.status ?? null,
    previousRunnerId: current?.runnerId ?? null,
    reason: command.reason ?? "",
    principal: command.principal ?? "",
  };
}
