/** Transition of an invocation the store does not know, to anything but registered. */
export class InvocationNotFoundError extends Error {
  override name = "InvocationNotFoundError";
  constructor(readonly invocationId: string) {
    super(`Invocation ${JSON.stringify(invocationId)} not found`);
  }
}

/** Compare-and-set failed: the record is not at the expected revision. */
export class RevisionMismatchError extends Error {
  override name = "RevisionMismatchError";
  constructor(
    readonly invocationId: string,
    readonly expectedRevision: number,
    readonly actualRevision: number,
  ) {
    super(
      `Invocation ${JSON.stringify(invocationId)} is at revision ${actualRevision}, not the expected ${expectedRevision}`,
    );
  }
}

/** A read from a revision older than the oldest the store keeps. */
export class RevisionCompactedError extends Error {
  override name = "RevisionCompactedError";
  constructor(
    readonly requestedRevision: number,
    readonly oldestRevision: number,
  ) {
    super(`Revision ${requestedRevision} has been compacted; the oldest kept is ${oldestRevision}`);
  }
}

/** An idempotency key used again for a different request. */
export class RequestIdReusedError extends Error {
  override name = "RequestIdReusedError";
  constructor(readonly requestId: string) {
    super(`request_id ${JSON.stringify(requestId)} was used for a different request`);
  }
}

/** The store's engine cannot be reached, or the call's fate is unknown: retry later (with a request id). */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}

/** A persistent store was made under another state machine than the one the server enforces. */
export class StateMachineProfileMismatchError extends Error {
  override name = "StateMachineProfileMismatchError";
  constructor(
    readonly location: string,
    readonly storedProfile: string,
    readonly requestedProfile: string,
  ) {
    super(
      `${location} was created with --state-machine ${storedProfile}; this server was started with ` +
        `--state-machine ${requestedProfile}. Start it with --state-machine ${storedProfile}, or use another store ` +
        "(a store keeps the state machine it was created with: its records follow that machine's rules).",
    );
  }
}
