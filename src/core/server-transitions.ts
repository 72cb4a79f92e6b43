import { InvocationStatus } from "./invocation-status.js";

/**
 * How an abandoned invocation goes back to work: from the status it was left in, through a
 * recovery status (which overrides ownership), to a status that is available for run again.
 */
export interface RecoveryRoute {
  readonly from: InvocationStatus;
  readonly recovering: InvocationStatus;
  readonly rerouted: InvocationStatus;
}

/** The transitions the server makes on its own rather than at a runner's request, as data. */
export interface ServerTransitions {
  /** ClaimAvailable moves each claimed invocation here, owned by the claiming runner. */
  readonly claim: InvocationStatus;
  /** An invocation left in `from` for longer than the pending limit (pynenc's max_pending_seconds). */
  readonly pendingRecovery: RecoveryRoute;
  /** An invocation in `from` whose runner has been silent for longer than the dead-runner limit. */
  readonly runnerRecovery: RecoveryRoute;
}

const S = InvocationStatus;

/** pynenc's: a claim takes an invocation to PENDING; its recovery services reroute PENDING and RUNNING. */
export const PYNENC_SERVER_TRANSITIONS: ServerTransitions = Object.freeze({
  claim: S.PENDING,
  pendingRecovery: Object.freeze({ from: S.PENDING, recovering: S.PENDING_RECOVERY, rerouted: S.REROUTED }),
  runnerRecovery: Object.freeze({ from: S.RUNNING, recovering: S.RUNNING_RECOVERY, rerouted: S.REROUTED }),
});
