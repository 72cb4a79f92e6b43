import type { InvocationStatus } from "./invocation-status.js";

/** Base of the state machine's errors, like pynenc's InvocationStatusError. */
export class InvocationStatusError extends Error {
  override name = "InvocationStatusError";
}

/** A transition that the current status does not allow (pynenc's InvocationStatusTransitionError). */
export class InvocationStatusTransitionError extends InvocationStatusError {
  override name = "InvocationStatusTransitionError";

  constructor(
    readonly from: InvocationStatus | null,
    readonly to: InvocationStatus,
    readonly allowed: readonly InvocationStatus[],
  ) {
    super(
      `Invalid status transition from ${from ?? "None"} to ${to}; allowed: ` +
        (allowed.length > 0 ? allowed.join(", ") : "none"),
    );
  }
}

/** A transition that breaks the ownership rules (pynenc's InvocationStatusOwnershipError). */
export class InvocationStatusOwnershipError extends InvocationStatusError {
  override name = "InvocationStatusOwnershipError";

  constructor(
    readonly from: InvocationStatus | null,
    readonly to: InvocationStatus,
    readonly currentOwner: string | null,
    readonly attemptedOwner: string | null,
    readonly reason: string,
  ) {
    super(
      `Ownership violation on ${from ?? "None"} -> ${to}: ${reason} ` +
        `(current owner: ${currentOwner ?? "None"}, attempted by: ${attemptedOwner ?? "None"})`,
    );
  }
}
