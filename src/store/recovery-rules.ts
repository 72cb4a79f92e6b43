import type { StatusConfiguration } from "../core/index.js";
import { type RecoveryPolicy, type StoredRecord, SYSTEM_PRINCIPAL, type TransitionCommand } from "./store.js";

/**
 * Why a record counts as abandoned under the policy, or undefined when it does not.
 * `lastSeenMs` is the owner's last heartbeat (undefined when it never sent one: then the time
 * it started running is the last sign of life).
 */
export function abandonedReason(
  record: StoredRecord,
  policy: RecoveryPolicy,
  nowMs: number,
  lastSeenMs: number | undefined,
  config: StatusConfiguration,
): string | undefined {
  const { pendingRecovery, runnerRecovery } = config.serverTransitions;
  const since = nowMs - record.timestamp.getTime();
  if (record.status === pendingRecovery.from && since > policy.maxPendingMs) {
    return `recovery: pending for runner ${record.runnerId ?? "(none)"} since ${record.timestamp.toISOString()} (${(since / 1000).toFixed(1)} s), longer than max-pending-seconds ${policy.maxPendingMs / 1000}`;
  }
  if (record.status === runnerRecovery.from) {
    const seen = lastSeenMs ?? record.timestamp.getTime();
    const silent = nowMs - seen;
    if (silent > policy.runnerDeadAfterMs) {
      const heartbeat =
        lastSeenMs === undefined ? "no heartbeat" : `last heartbeat ${new Date(lastSeenMs).toISOString()}`;
      return `recovery: runner ${record.runnerId ?? "(none)"} silent for ${(silent / 1000).toFixed(1)} s (${heartbeat}), longer than runner-dead-after-seconds ${policy.runnerDeadAfterMs / 1000}`;
    }
  }
  return undefined;
}

/**
 * The two changes that recover an abandoned record along its recovery route: to the recovery
 * status, then to the rerouted one (available again). None for a status no route starts from.
 */
export function recoveryCommands(
  record: StoredRecord,
  reason: string,
  config: StatusConfiguration,
): TransitionCommand[] {
  const route = config.recoveryRouteFrom(record.status);
  if (route === undefined) return [];
  const base = {
    namespace: record.namespace,
    invocationId: record.invocationId,
    runnerId: null,
    taskId: "",
    reason,
    principal: SYSTEM_PRINCIPAL,
  };
  return [
    { ...base, status: route.recovering },
    { ...base, status: route.rerouted },
  ];
}
