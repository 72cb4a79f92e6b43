import type { TransitionRequest, TransitionResponse } from "../../gen/ts/pynenc/status/v1/status_pb.js";
import type { StatusConfiguration } from "../core/index.js";
import type { StoredChange, TransitionCommand } from "../store/index.js";
import { recordToProto, statusToProto } from "./proto-conversions.js";
import {
  namespaceOf,
  optionalId,
  optionalRunnerId,
  requireId,
  requireStatus,
  revisionNumber,
} from "./validate-request.js";

/**
 * The store command of a TransitionRequest, checked field by field (INVALID_ARGUMENT naming the
 * field): Transition and each item of BatchTransition go through it, so both reject the same
 * requests with the same error.
 */
export function transitionCommandFromRequest(
  request: TransitionRequest,
  config: StatusConfiguration,
  principal: string,
): TransitionCommand {
  return {
    namespace: namespaceOf(request.namespace),
    invocationId: requireId("invocation_id", request.invocationId),
    status: requireStatus("status", request.status, config),
    runnerId: optionalRunnerId("runner_id", request.runnerId),
    taskId: optionalId("task_id", request.taskId),
    expectedRevision:
      request.expectedRevision === undefined
        ? undefined
        : revisionNumber("expected_revision", request.expectedRevision),
    validateOnly: request.validateOnly,
    requestId: optionalId("request_id", request.requestId) || undefined,
    principal,
  };
}

/**
 * The answer to a transition: the record after it, where it came from, and whether it was only
 * validated (then nothing changed, and the record is what the change would have made).
 */
export function transitionResponseFromChange(change: StoredChange, validatedOnly: boolean): TransitionResponse {
  return {
    $typeName: "pynenc.status.v1.TransitionResponse",
    record: recordToProto(change.record),
    previousStatus: change.previousStatus === null ? undefined : statusToProto(change.previousStatus),
    validatedOnly,
  };
}
