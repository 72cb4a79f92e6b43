import { InvocationStatus } from "../core/index.js";
import type { StoredRecord, TransitionCommand } from "./store.js";

/** The command that claims an available invocation for a runner. */
export function claimCommand(record: StoredRecord, runnerId: string): TransitionCommand {
  return { invocationId: record.invocationId, status: InvocationStatus.PENDING, runnerId, taskId: "" };
}
