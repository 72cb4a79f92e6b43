import { InvocationStatus, isFinal } from "../core/index.js";
import { RequestIdReusedError } from "./errors.js";
import type { RecoveryPolicy, RetentionPolicy, StoredChange, StoredRecord, TransitionCommand } from "./store.js";

/** The request an idempotency key stands for: every field that changes what a transition does. */
export function requestFingerprint(command: TransitionCommand): string {
  return JSON.stringify([
    command.invocationId,
    command.status,
    command.runnerId,
    command.taskId,
    command.expectedRevision ?? null,
  ]);
}

/** Where a store keeps idempotency keys: what a key was used for, and how to record a new one. */
export interface RequestLog {
  find(requestId: string): { fingerprint: string; change: () => StoredChange } | undefined;
  remember(requestId: string, fingerprint: string, change: StoredChange): void;
}

/**
 * Apply a command at most once per request id: a key seen with the same request returns the change
 * it produced, with another request throws RequestIdReusedError; validate-only calls and failed
 * ones record nothing. Runs inside the store's atomic step, so check and record cannot interleave.
 */
export function transitionOnce(
  command: TransitionCommand,
  apply: (command: TransitionCommand) => StoredChange,
  log: RequestLog,
): StoredChange {
  if (command.requestId === undefined || command.validateOnly) return apply(command);
  const fingerprint = requestFingerprint(command);
  const seen = log.find(command.requestId);
  if (seen !== undefined) {
    if (seen.fingerprint !== fingerprint) throw new RequestIdReusedError(command.requestId);
    return seen.change();
  }
  const change = apply(command);
  log.remember(command.requestId, fingerprint, change);
  return change;
}

/** The command that claims an available invocation for a runner. */
export function claimCommand(record: StoredRecord, runnerId: string): TransitionCommand {
  return { invocationId: record.invocationId, status: InvocationStatus.PENDING, runnerId, taskId: "" };
}

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
): string | undefined {
  const since = nowMs - record.timestamp.getTime();
  if (record.status === InvocationStatus.PENDING && since > policy.maxPendingMs) {
    return `recovery: pending for runner ${record.runnerId ?? "(none)"} since ${record.timestamp.toISOString()} (${(since / 1000).toFixed(1)} s), longer than max-pending-seconds ${policy.maxPendingMs / 1000}`;
  }
  if (record.status === InvocationStatus.RUNNING) {
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

/** The two changes that recover an abandoned record: to *_RECOVERY, then REROUTED (available again). */
export function recoveryCommands(record: StoredRecord, reason: string): TransitionCommand[] {
  const recovering =
    record.status === InvocationStatus.PENDING ? InvocationStatus.PENDING_RECOVERY : InvocationStatus.RUNNING_RECOVERY;
  const base = { invocationId: record.invocationId, runnerId: null, taskId: "", reason };
  return [
    { ...base, status: recovering },
    { ...base, status: InvocationStatus.REROUTED },
  ];
}

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
export function purgeable(record: StoredRecord, policy: RetentionPolicy, nowMs: number): boolean {
  return (
    policy.purgeFinalAfterMs !== undefined &&
    isFinal(record.status) &&
    nowMs - record.timestamp.getTime() > policy.purgeFinalAfterMs
  );
}
