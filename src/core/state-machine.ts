import { STATUS_CONFIG, type StatusConfiguration, type StatusDefinition } from "./definitions.js";
import { InvocationStatusOwnershipError, InvocationStatusTransitionError } from "./errors.js";
import type { InvocationStatus } from "./invocation-status.js";
import { createStatusRecord, type InvocationStatusRecord } from "./status-record.js";

/** The definition of a status (pynenc's get_status_definition). */
export function getStatusDefinition(
  status: InvocationStatus,
  config: StatusConfiguration = STATUS_CONFIG,
): StatusDefinition {
  return config.getDefinition(status);
}

/** Whether a status terminates the invocation lifecycle. */
export function isFinal(status: InvocationStatus, config: StatusConfiguration = STATUS_CONFIG): boolean {
  return config.finalStatuses.has(status);
}

/** Whether an invocation in this status can be picked up by a runner. */
export function isAvailableForRun(status: InvocationStatus, config: StatusConfiguration = STATUS_CONFIG): boolean {
  return config.availableForRunStatuses.has(status);
}

/** Whether `from` allows a transition to `to` (pynenc's can_transition_to). */
export function canTransitionTo(
  from: InvocationStatus,
  to: InvocationStatus,
  config: StatusConfiguration = STATUS_CONFIG,
): boolean {
  return config.getDefinition(from).allowedTransitions.has(to);
}

/** The statuses that terminate the lifecycle (pynenc's get_final_statuses). */
export function getFinalStatuses(config: StatusConfiguration = STATUS_CONFIG): ReadonlySet<InvocationStatus> {
  return config.finalStatuses;
}

/** The statuses runners may pick up (pynenc's get_available_for_run_statuses). */
export function getAvailableForRunStatuses(config: StatusConfiguration = STATUS_CONFIG): ReadonlySet<InvocationStatus> {
  return config.availableForRunStatuses;
}

/** Throw InvocationStatusTransitionError unless `from` (null: a new invocation) allows `to`. */
export function validateTransition(
  from: InvocationStatus | null,
  to: InvocationStatus,
  config: StatusConfiguration = STATUS_CONFIG,
): void {
  const allowed = config.getDefinition(from).allowedTransitions;
  if (!allowed.has(to)) {
    throw new InvocationStatusTransitionError(from, to, [...allowed]);
  }
}

/** Throw InvocationStatusOwnershipError when `runnerId` may not move `current` to `to`. */
export function validateOwnership(
  current: InvocationStatusRecord | null,
  to: InvocationStatus,
  runnerId: string | null,
  config: StatusConfiguration = STATUS_CONFIG,
): void {
  if (current === null) return;
  const target = config.getDefinition(to);
  if (target.overridesOwnership) return;
  const owner = current.runnerId;
  if (config.getDefinition(current.status).requiresOwnership && runnerId !== owner) {
    throw new InvocationStatusOwnershipError(
      current.status,
      to,
      owner,
      runnerId,
      `status ${current.status} is owned by ${owner ?? "no runner"}; only its owner may change it`,
    );
  }
  // Like pynenc (`not runner_id`): an empty runner id is no runner.
  if (target.acquiresOwnership && !runnerId) {
    throw new InvocationStatusOwnershipError(
      current.status,
      to,
      owner,
      runnerId,
      `status ${to} acquires ownership, so a runner id is required`,
    );
  }
}

/** The owner after moving to `to`: none on release, the runner on acquire, else unchanged. */
export function computeNewOwner(
  current: InvocationStatusRecord | null,
  to: InvocationStatus,
  runnerId: string | null,
  config: StatusConfiguration = STATUS_CONFIG,
): string | null {
  const target = config.getDefinition(to);
  if (target.releasesOwnership) return null;
  if (target.acquiresOwnership) return runnerId;
  return current?.runnerId ?? null;
}

/** Validate and perform one status change, returning the new record (pynenc's status_record_transition). */
export function statusRecordTransition(
  current: InvocationStatusRecord | null,
  to: InvocationStatus,
  runnerId: string | null,
  now: Date = new Date(),
  config: StatusConfiguration = STATUS_CONFIG,
): InvocationStatusRecord {
  validateTransition(current?.status ?? null, to, config);
  validateOwnership(current, to, runnerId, config);
  return createStatusRecord(to, computeNewOwner(current, to, runnerId, config), now);
}
