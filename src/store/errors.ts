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

/** The store's engine cannot be reached and the call was not applied: retry later. */
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

/**
 * The store's connection dropped after a write was sent: it may or may not have been applied.
 * Retrying is safe only with the same request id, which returns the first outcome.
 */
export class OutcomeUnknownError extends Error {
  override name = "OutcomeUnknownError";
}

/** The store has no room left (a full disk, Redis at its maxmemory): nothing was written. */
export class StoreFullError extends Error {
  override name = "StoreFullError";
}

/** The store's data is damaged (SQLite found a malformed page): what was asked cannot be trusted. */
export class StoreCorruptError extends Error {
  override name = "StoreCorruptError";
}

/**
 * The store's file was deleted or replaced while the server had it open: writes would go to a
 * file nobody can open again, so every later write is refused and the server must restart.
 */
export class StoreFileGoneError extends Error {
  override name = "StoreFileGoneError";
}
