import type { StatusConfiguration } from "../core/index.js";
import type { StoredRecord, TransitionCommand } from "./store.js";

/** The command that claims an available invocation for a runner: to the configuration's claim status. */
export function claimCommand(record: StoredRecord, runnerId: string, config: StatusConfiguration): TransitionCommand {
  return {
    namespace: record.namespace,
    invocationId: record.invocationId,
    status: config.serverTransitions.claim,
    runnerId,
    taskId: "",
  };
}
