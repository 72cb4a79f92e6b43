import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  PreconditionFailureSchema,
} from "../../gen/ts/google/rpc/error_details_pb.js";
import { InvocationStatusOwnershipError, InvocationStatusTransitionError } from "../core/index.js";
import {
  InvocationNotFoundError,
  OutcomeUnknownError,
  RequestIdReusedError,
  RevisionCompactedError,
  RevisionMismatchError,
  StoreCorruptError,
  StoreFileGoneError,
  StoreFullError,
  StoreUnavailableError,
  WatcherTooSlowError,
} from "../store/index.js";
import { statusName } from "./proto-conversions.js";

/** The ErrorInfo domain of every error this service sends. */
export const ERROR_DOMAIN = "status.pynenc";

/** The ErrorInfo reasons this service sends (the README's error table says when). */
export type ErrorReason =
  | "INVALID_TRANSITION"
  | "OWNERSHIP_VIOLATION"
  | "REVISION_MISMATCH"
  | "INVOCATION_NOT_FOUND"
  | "INVALID_ARGUMENT"
  | "REVISION_COMPACTED"
  | "WATCHER_TOO_SLOW"
  | "REQUEST_ID_REUSED"
  | "PURGE_DISABLED"
  | "UNAVAILABLE"
  | "OUTCOME_UNKNOWN"
  | "STORE_FULL"
  | "STORE_CORRUPT"
  | "STORE_FILE_GONE"
  | "TOO_MANY_WATCHERS"
  | "REQUEST_TIMEOUT"
  | "UNAUTHENTICATED"
  | "TOKEN_EXPIRED"
  | "PERMISSION_DENIED"
  | "RUNNER_ID_NOT_ALLOWED";

type Detail = { desc: DescMessage; value: MessageInitShape<DescMessage> };

/** Build an error with its ErrorInfo (and any further details) as every client reads them. */
export function statusError(
  code: Code,
  reason: ErrorReason,
  message: string,
  metadata: Record<string, string>,
  extra: Detail[] = [],
  cause?: unknown,
): ConnectError {
  const info = create(ErrorInfoSchema, { reason, domain: ERROR_DOMAIN, metadata });
  const details = [{ desc: ErrorInfoSchema, value: info }, ...extra];
  return new ConnectError(message, code, undefined, details, cause);
}

/** An INVALID_ARGUMENT error naming the field (and any further facts), with a BadRequest detail. */
export function invalidArgument(
  field: string,
  description: string,
  metadata: Record<string, string> = {},
): ConnectError {
  const badRequest = create(BadRequestSchema, { fieldViolations: [{ field, description }] });
  return statusError(Code.InvalidArgument, "INVALID_ARGUMENT", `${field}: ${description}`, { ...metadata, field }, [
    { desc: BadRequestSchema, value: badRequest },
  ]);
}

/**
 * Normalise anything a handler threw into a ConnectError: the core's and the store's errors get
 * their code and details; a ConnectError passes through; anything else is INTERNAL and keeps its
 * cause. Each port calls it once, at its boundary.
 */
export function connectErrorFrom(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof InvocationStatusTransitionError) {
    const invocationId = error.invocationId ?? "";
    // The client asked for a move the state machine forbids: it must re-read before trying again.
    const allowed = error.allowed.map(statusName);
    const violations =
      allowed.length > 0
        ? allowed.map((target) => ({
            type: "ALLOWED_TRANSITION",
            subject: target,
            description: `${statusName(error.from)} may move to ${target}`,
          }))
        : [{ type: "FINAL_STATUS", subject: statusName(error.from), description: "no transition is allowed" }];
    return statusError(
      Code.FailedPrecondition,
      "INVALID_TRANSITION",
      `invocation ${invocationId}: cannot move from ${statusName(error.from)} to ${statusName(error.to)}; ` +
        `allowed: ${allowed.length > 0 ? allowed.join(", ") : "none"}`,
      { invocationId, from: statusName(error.from), to: statusName(error.to), allowed: allowed.join(",") },
      [{ desc: PreconditionFailureSchema, value: create(PreconditionFailureSchema, { violations }) }],
      error,
    );
  }
  if (error instanceof InvocationStatusOwnershipError) {
    // Another runner owns the invocation (or a runner id is missing): retrying will not help.
    const invocationId = error.invocationId ?? "";
    return statusError(
      Code.FailedPrecondition,
      "OWNERSHIP_VIOLATION",
      `invocation ${invocationId}: ${error.reason}`,
      {
        invocationId,
        from: statusName(error.from),
        to: statusName(error.to),
        currentOwner: error.currentOwner ?? "",
        attemptedOwner: error.attemptedOwner ?? "",
      },
      [],
      error,
    );
  }
  if (error instanceof RevisionMismatchError) {
    // A compare-and-set lost a race: the client re-reads and retries the whole sequence.
    return statusError(
      Code.Aborted,
      "REVISION_MISMATCH",
      error.message,
      {
        invocationId: error.invocationId,
        expectedRevision: String(error.expectedRevision),
        actualRevision: String(error.actualRevision),
      },
      [],
      error,
    );
  }
  if (error instanceof InvocationNotFoundError) {
    return statusError(
      Code.NotFound,
      "INVOCATION_NOT_FOUND",
      error.message,
      { invocationId: error.invocationId },
      [],
      error,
    );
  }
  if (error instanceof RevisionCompactedError) {
    // The client asked for history that is gone; it must restart from a snapshot.
    return statusError(
      Code.OutOfRange,
      "REVISION_COMPACTED",
      error.message,
      { requestedRevision: String(error.requestedRevision), oldestRevision: String(error.oldestRevision) },
      [],
      error,
    );
  }
  if (error instanceof RequestIdReusedError) {
    // The key names another request: a client bug, not a state to wait out.
    return statusError(
      Code.InvalidArgument,
      "REQUEST_ID_REUSED",
      error.message,
      { requestId: error.requestId },
      [],
      error,
    );
  }
  if (error instanceof StoreUnavailableError) {
    // The store's engine is out of reach (a Redis restart) and the call was not applied: a retry is safe.
    return statusError(Code.Unavailable, "UNAVAILABLE", error.message, {}, [], error);
  }
  if (error instanceof OutcomeUnknownError) {
    // The write was sent and may have been applied: UNAVAILABLE would invite a blind retry that
    // could apply it twice; the same request_id gets the first outcome instead.
    return statusError(Code.Unknown, "OUTCOME_UNKNOWN", error.message, {}, [], error);
  }
  if (error instanceof StoreFullError) {
    // Nothing was written; a retry can succeed once the operator has made room.
    return statusError(Code.ResourceExhausted, "STORE_FULL", error.message, {}, [], error);
  }
  if (error instanceof StoreCorruptError) {
    // The data itself is damaged: retrying cannot help, an operator must recover the file.
    return statusError(Code.DataLoss, "STORE_CORRUPT", error.message, {}, [], error);
  }
  if (error instanceof StoreFileGoneError) {
    // Refused, not applied; the server is going down for a restart, so another attempt can succeed.
    return statusError(Code.Unavailable, "STORE_FILE_GONE", error.message, {}, [], error);
  }
  if (error instanceof WatcherTooSlowError) {
    // Nothing was lost: the client resumes with start_revision = lastSentRevision + 1.
    return statusError(
      Code.ResourceExhausted,
      "WATCHER_TOO_SLOW",
      error.message,
      { lastSentRevision: String(error.lastSentRevision), bufferLimit: String(error.bufferLimit) },
      [],
      error,
    );
  }
  return new ConnectError("internal error", Code.Internal, undefined, undefined, error);
}
