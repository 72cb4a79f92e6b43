import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { connectErrorFrom } from "../service/errors.js";
import type { StatusStore, StoredChange, TransitionCommand } from "../store/index.js";
import type { ServerMetrics } from "./server-metrics.js";

/** The ErrorInfo reason a client gets for an error, or the gRPC code's name when it has none. */
function rejectionReason(error: unknown): string {
  const connectError = connectErrorFrom(error);
  return connectError.findDetails(ErrorInfoSchema)[0]?.reason ?? "INTERNAL";
}

/**
 * The store as the server uses it: every change this process commits (transitions, batches,
 * claims, its own recovery) counts in pynenc_status_transitions_total, every transition the store
 * refuses in pynenc_status_rejections_total, each recovered invocation in
 * pynenc_status_recovered_total. Validate-only transitions count in neither. Counting here, where
 * a change is committed, counts each change once in a deployment: a Redis replica counts the
 * changes it made, not the ones it reads from the others.
 */
export function instrumentStore(store: StatusStore, metrics: ServerMetrics): StatusStore {
  const { pendingRecovery, runnerRecovery } = store.config.serverTransitions;
  const counted = (change: StoredChange): void => {
    metrics.transitions.inc({ from: change.previousStatus ?? "none", to: change.record.status });
  };
  // A retry under a request id already used gets the first change back, committed before the call
  // started: only a revision past the one the call started at is a new change.
  const countedIfNew = (change: StoredChange, startedAt: number): void => {
    if (change.record.revision > startedAt) counted(change);
  };
  const rejected = (command: TransitionCommand, error: unknown): void => {
    if (!command.validateOnly) metrics.rejections.inc({ reason: rejectionReason(error) });
  };
  // Every other method is the store's own: an object whose prototype is the store delegates them.
  const instrumented: Partial<StatusStore> = {
    async transition(command) {
      const startedAt = store.currentRevision();
      try {
        const change = await store.transition(command);
        if (!command.validateOnly) countedIfNew(change, startedAt);
        return change;
      } catch (error) {
        rejected(command, error);
        throw error;
      }
    },
    async batchTransition(commands) {
      const startedAt = store.currentRevision();
      const outcomes = await store.batchTransition(commands);
      // An item may also repeat an earlier item's request id: its change counts once.
      const revisions = new Set<number>();
      outcomes.forEach((outcome, i) => {
        const command = commands[i]!;
        if (outcome instanceof Error) rejected(command, outcome);
        else if (!command.validateOnly && !revisions.has(outcome.record.revision)) {
          revisions.add(outcome.record.revision);
          countedIfNew(outcome, startedAt);
        }
      });
      return outcomes;
    },
    async claimAvailable(query) {
      const changes = await store.claimAvailable(query);
      for (const change of changes) counted(change);
      return changes;
    },
    async recover(policy) {
      const changes = await store.recover(policy);
      metrics.recoveryPasses.inc();
      for (const change of changes) {
        counted(change);
        // Each recovered invocation makes two changes; the first leaves the status it was abandoned in.
        if (change.previousStatus === pendingRecovery.from) metrics.recovered.inc({ kind: "pending-timeout" });
        else if (change.previousStatus === runnerRecovery.from) metrics.recovered.inc({ kind: "dead-runner" });
      }
      return changes;
    },
    async compact(policy) {
      const result = await store.compact(policy);
      metrics.compactedChanges.inc(result.changesRemoved);
      metrics.purgedInvocations.inc(result.invocationsPurged);
      return result;
    },
  };
  return Object.assign(Object.create(store) as StatusStore, instrumented);
}
