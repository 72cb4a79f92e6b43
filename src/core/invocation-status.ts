/**
 * The status of a task invocation, with pynenc's string values in pynenc's declaration order.
 */
export enum InvocationStatus {
  REGISTERED = "registered",
  CONCURRENCY_CONTROLLED = "concurrency_controlled",
  CONCURRENCY_CONTROLLED_FINAL = "concurrency_controlled_final",
  REROUTED = "rerouted",
  PENDING = "pending",
  PENDING_RECOVERY = "pending_recovery",
  RUNNING = "running",
  RUNNING_RECOVERY = "running_recovery",
  PAUSED = "paused",
  RESUMED = "resumed",
  KILLED = "killed",
  SUCCESS = "success",
  FAILED = "failed",
  RETRY = "retry",
}

/** Every status, in pynenc's declaration order. */
export const ALL_STATUSES: readonly InvocationStatus[] = Object.freeze(Object.values(InvocationStatus));

const byValue = new Map<string, InvocationStatus>(ALL_STATUSES.map((s) => [s, s]));

/** Parse pynenc's string value of a status; undefined when it names no status. */
export function parseInvocationStatus(value: string): InvocationStatus | undefined {
  return byValue.get(value);
}
