import { RequestIdReusedError } from "./errors.js";
import type { StoredChange, TransitionCommand } from "./store.js";

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
