import {
  createStatusRecord,
  type InvocationStatus,
  InvocationStatusError,
  parseInvocationStatus,
  type StatusConfiguration,
  validateOwnership,
  validateTransition,
} from "../../core/index.js";
import { InvocationNotFoundError, RequestIdReusedError, RevisionMismatchError } from "../errors.js";

/** The script reply codes (include/store.lua). */
export const ReplyCode = {
  OK: 0,
  NOT_FOUND: 1,
  INVALID_TRANSITION: 2,
  OWNERSHIP: 3,
  REVISION_MISMATCH: 4,
  REQUEST_ID_REUSED: 5,
} as const;

function status(value: unknown): InvocationStatus {
  const parsed = parseInvocationStatus(String(value));
  if (parsed === undefined) throw new Error(`Redis store: unknown status ${JSON.stringify(value)} in a script reply`);
  return parsed;
}

/**
 * Run the core's own check on the facts the script reported, so the error (its fields, allowed
 * targets and reason) is exactly the one the core throws for the other backends, about the
 * invocation the script named.
 */
function coreError(invocationId: string, check: () => void, reply: unknown[]): Error {
  try {
    check();
  } catch (error) {
    return error instanceof InvocationStatusError ? error.forInvocation(invocationId) : (error as Error);
  }
  return new Error(`Redis store: the script and the core disagree on ${JSON.stringify(reply)}`);
}

/**
 * The error every backend throws for a script's error reply (one builder for every script), under
 * the store's state machine.
 */
export function errorFromReply(reply: unknown[], config: StatusConfiguration): Error {
  const [code, a, b, c, d, e] = reply;
  switch (code) {
    case ReplyCode.NOT_FOUND:
      return new InvocationNotFoundError(String(a));
    case ReplyCode.INVALID_TRANSITION:
      // a: the invocation; b: its current status, "" for a new invocation.
      return coreError(String(a), () => validateTransition(b === "" ? null : status(b), status(c), config), reply);
    case ReplyCode.OWNERSHIP: {
      const current = createStatusRecord(status(b), (d as string | null) ?? null);
      const attempted = (e as string | null) ?? null;
      return coreError(String(a), () => validateOwnership(current, status(c), attempted, config), reply);
    }
    case ReplyCode.REVISION_MISMATCH:
      return new RevisionMismatchError(String(a), Number(b), Number(c));
    case ReplyCode.REQUEST_ID_REUSED:
      return new RequestIdReusedError(String(a));
    default:
      return new Error(`Redis store: unexpected script reply ${JSON.stringify(reply)}`);
  }
}
