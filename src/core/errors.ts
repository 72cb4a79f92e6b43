import type { InvocationStatus } from "./invocation-status.js";

/** Base of the state machine's errors, like pynenc's InvocationStatusError. */
export class InvocationStatusError extends Error {
  override name = "InvocationStatusError";

  /**
   * The invocation the error is about. The checks work on a record, which has no id, so they
   * leave it unset; a store sets it with forInvocation() where it knows the id.
   */
  readonly invocationId: string | undefined;

  constructor(message: string, invocationId?: string) {
    super(message);
    this.invocationId = invocationId;
  }

  /** The same error, about the given invocation. */
  forInvocation(invocationId: string): InvocationStatusError {
    return new InvocationStatusError(this.message, invocationId);
  }
}

/** A transition that the current status does not allow (pynenc's InvocationStatusTransitionError). */
export class InvocationStatusTransitionError extends InvocationStatusError {
  override name = "InvocationStatusTransitionError";

  constructor(
    readonly from: InvocationStatus | null,
    readonly to: InvocationStatus,
    readonly allowed: readonly InvocationStatus[],
    invocationId?: string,
  ) {
    super(
      `Invalid status transition from ${from ?? "None"} to ${to}; allowed: ` +
        (allowed.length > 0 ? allowed.join(", ") : "none"),
      invocationId,
    );
  }

  override forInvocation(invocationId: string): InvocationStatusTransitionError {
    return new InvocationStatusTransitionError(this.from, this.to, this.allowed, invocationId);
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
    invocationId?: string,
  ) {
    super(
      `Ownership violation on ${from ?? "None"} -> ${to}: ${reason} ` +
        `(current owner: ${currentOwner ?? "None"}, attempted by: ${attemptedOwner ?? "None"})`,
      invocationId,
    );
  }

  override forInvocation(invocationId: string): InvocationStatusOwnershipError {
    return new InvocationStatusOwnershipError(
      this.from,
      this.to,
      this.currentOwner,
      this.attemptedOwner,
      this.reason,
      invocationId,
    );
  }
}
