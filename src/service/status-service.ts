import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import {
  type BatchGetRequest,
  BatchGetResponseSchema,
  BatchTransitionResponseSchema,
  type BatchTransitionResult,
  ClaimAvailableResponseSchema,
  CountInvocationsResponseSchema,
  DescribeStateMachineResponseSchema,
  GetHistoryResponseSchema,
  GetResponseSchema,
  HeartbeatResponseSchema,
  type ListAvailableForRunRequest,
  type ListInvocationsRequest,
  type ListRecoveryCandidatesRequest,
  ListRunnersResponseSchema,
  PurgeNamespaceResponseSchema,
  RunnerInfoSchema,
  type StatusService,
  WatchCountsResponseSchema,
  WatchProgressSchema,
  type WatchStatusResponse,
  WatchStatusResponseSchema,
} from "../../gen/ts/pynenc/status/v1/status_pb.js";
import type { InvocationStatus } from "../core/index.js";
import {
  InvocationNotFoundError,
  type StatusStore,
  type StoredChange,
  type TransitionCommand,
  watchChanges,
} from "../store/index.js";
import { connectErrorFrom, invalidArgument, statusError } from "./errors.js";
import { createListHandlers } from "./list-handlers.js";
import { createObjectSlot } from "./object-slot.js";
import { createPageThread } from "./page-thread.js";
import {
  changeToProto,
  definitionToProto,
  historyEntryToProto,
  recordToProto,
  statusCountsToProto,
  timestampToProto,
} from "./proto-conversions.js";
import { createReadQueue, type LargeReads, queueLargeReads } from "./read-queue.js";
import { rpcStatusFromConnectError } from "./rpc-status.js";
import { type ServiceHandlers, STREAM_CUT_OFF } from "./service-handlers.js";
import { getInSlices, responseInSlices } from "./sliced-reads.js";
import { transitionCommandFromRequest, transitionResponseFromChange } from "./transition-request.js";
import {
  batchItems,
  claimCount,
  DEFAULT_PAGE_SIZE,
  namespaceOf,
  nonNegativeDurationMs,
  optionalId,
  optionalRunnerId,
  requireId,
  requireStatus,
  revisionNumber,
} from "./validate-request.js";
import { createCountsInvalidation, watchCounts } from "./watch-counts.js";

/** Options of the service implementation. */
export interface StatusServiceOptions {
  /** The store; its configuration is the state machine the service serves and describes. */
  readonly store: StatusStore;
  /** Aborted when the server shuts down: open watches end with UNAVAILABLE. */
  readonly shutdownSignal?: AbortSignal;
  /** Matching changes held for one live watcher before it is cut off. */
  readonly watchBufferLimit: number;
  /** Watches open at once; one more is RESOURCE_EXHAUSTED (TOO_MANY_WATCHERS). */
  readonly maxWatchers?: number;
  /** An idle watch gets a progress mark this often. */
  readonly watchProgressIntervalMs: number;
  /** A runner silent for longer is not alive in ListRunners, unless the request says otherwise. */
  readonly runnerDeadAfterMs: number;
  /** Whether PurgeNamespace may delete anything (`serve --allow-purge`); else FAILED_PRECONDITION. */
  readonly allowPurge?: boolean;
  /**
   * Told of an unexpected error the client only sees as INTERNAL inside a batch's results, or does
   * not see at all (the page thread failed a read, which this thread then read itself).
   */
  readonly onInternalError?: (error: unknown) => void;
  /** Told, for each large page listed, which thread read it (a SQLite store's page thread, or the event loop). */
  readonly onLargePage?: (thread: "page_thread" | "event_loop") => void;
}

/** The handlers of pynenc.status.v1.StatusService, one implementation behind every transport. */
export type StatusServiceHandlers = ServiceHandlers<typeof StatusService>;

/** WatchCounts sends at most one update per this interval unless the request asks otherwise. */
export const DEFAULT_COUNTS_INTERVAL_MS = 500;
/** The shortest WatchCounts interval served; a shorter one is served as this. */
export const MIN_COUNTS_INTERVAL_MS = 100;
/** A count watch reads the counts at least this often, to see purges that made no change. */
export const COUNTS_RECHECK_MS = 10_000;

/** A watch event as sent. Live changes are the same objects for every watcher (see liveChange). */
function changeResponse(change: StoredChange, initial: boolean): WatchStatusResponse {
  return create(WatchStatusResponseSchema, { event: { case: "change", value: changeToProto(change, initial) } });
}

function shuttingDown() {
  return statusError(Code.Unavailable, "UNAVAILABLE", "the server is shutting down; reconnect", {});
}

const NEVER_ABORTED = new AbortController().signal;

/**
 * The requests that read more records than a default page (100): they wait their turn, one at a
 * time, so that many clients paging at once do not hold up small calls (read-queue.ts).
 */
const LARGE_READS: LargeReads<StatusServiceHandlers> = {
  listAvailableForRun: (request: ListAvailableForRunRequest) => request.pageSize > DEFAULT_PAGE_SIZE,
  listInvocations: (request: ListInvocationsRequest) => request.pageSize > DEFAULT_PAGE_SIZE,
  listRecoveryCandidates: (request: ListRecoveryCandidatesRequest) =>
    request.pageSize === 0 || request.pageSize > DEFAULT_PAGE_SIZE,
  batchGet: (request: BatchGetRequest) => request.invocationIds.length > DEFAULT_PAGE_SIZE,
};

/**
 * Create the service implementation over a store. Handlers throw the core's and the store's own
 * errors (and ConnectErrors for invalid requests); each port converts them once at its boundary
 * (connectErrorFrom), so an error gets the same code over gRPC, Connect and gRPC-Web. The one
 * exception is BatchTransition, whose items' errors are answers: the same conversion makes each a
 * google.rpc.Status.
 */
export function createStatusService(options: StatusServiceOptions): StatusServiceHandlers {
  const { store, watchBufferLimit, watchProgressIntervalMs, runnerDeadAfterMs } = options;
  const maxWatchers = options.maxWatchers ?? Number.POSITIVE_INFINITY;
  const { config } = store;
  const describeResponse = create(DescribeStateMachineResponseSchema, {
    definitions: config.statuses.map((s) => definitionToProto(s, config.getDefinition(s))),
    profile: config.profile,
  });
  const shutdownSignal = options.shutdownSignal ?? new AbortController().signal;
  const countsInvalidation = createCountsInvalidation();
  const reads = createReadQueue();
  // A watch's pages (its snapshot, its catch-up) queue with the other large reads; the watch
  // checks its own signal between pages.
  const readPage = <T>(read: () => Promise<T>) => reads.run(read, NEVER_ABORTED);
  let watchers = 0;
  /** Count one more watcher, or refuse it; the returned release may be called any number of times. */
  const watcherSlot = (): (() => void) => {
    if (watchers >= maxWatchers) {
      // The server's limit, not the client's fault: another replica, or later, may have room.
      throw statusError(
        Code.ResourceExhausted,
        "TOO_MANY_WATCHERS",
        `the server has ${maxWatchers} watches open, its limit; retry later or on another replica`,
        { maxWatchers: String(maxWatchers) },
      );
    }
    watchers++;
    let held = true;
    return () => {
      if (held) watchers--;
      held = false;
    };
  };
  // A store publishes one object per change to every watcher; converting it once lets every
  // watcher share the message (and the transport its encoding) instead of redoing it per watcher.
  const liveResponses = createObjectSlot<StoredChange, WatchStatusResponse>("its WatchStatus response");
  const liveChange = (change: StoredChange): WatchStatusResponse => {
    let response = liveResponses.get(change);
    if (response === undefined) {
      response = changeResponse(change, false);
      liveResponses.set(change, response);
    }
    return response;
  };

  // A SQLite store's large pages are read on a thread of their own, until the server shuts down.
  const pageThread =
    store.sqlitePages && createPageThread(store.sqlitePages.path, (error) => options.onInternalError?.(error));
  shutdownSignal.addEventListener("abort", () => pageThread?.close(), { once: true });

  const handlers: StatusServiceHandlers = {
    ...createListHandlers(store, { pages: pageThread, pageRead: options.onLargePage }),

    async transition(request, context) {
      const command = transitionCommandFromRequest(request, config, context.principal);
      const change = await store.transition(command);
      return transitionResponseFromChange(change, command.validateOnly === true);
    },

    async batchTransition(request, context) {
      const requests = batchItems("requests", request.requests);
      // Each item is checked as Transition checks it; a bad one is that item's error, and the
      // valid ones go to the store together, in order, in one commit.
      const commands: TransitionCommand[] = [];
      const items = requests.map((item): TransitionCommand | Error => {
        try {
          const command = transitionCommandFromRequest(item, config, context.principal);
          commands.push(command);
          return command;
        } catch (error) {
          return error instanceof Error ? error : new Error(String(error));
        }
      });
      const outcomes = commands.length > 0 ? await store.batchTransition(commands) : [];
      let next = 0;
      const results = items.map((item): BatchTransitionResult => {
        const outcome = item instanceof Error ? item : outcomes[next++];
        if (outcome === undefined) throw new Error("the store answered fewer items than it was given");
        if (!(outcome instanceof Error)) {
          const validatedOnly = !(item instanceof Error) && item.validateOnly === true;
          return {
            $typeName: "pynenc.status.v1.BatchTransitionResult",
            result: { case: "response", value: transitionResponseFromChange(outcome, validatedOnly) },
          };
        }
        const error = connectErrorFrom(outcome);
        if (error.code === Code.Internal) options.onInternalError?.(outcome);
        return {
          $typeName: "pynenc.status.v1.BatchTransitionResult",
          result: { case: "error", value: rpcStatusFromConnectError(error) },
        };
      });
      return create(BatchTransitionResponseSchema, { results });
    },

    async get(request) {
      const namespace = namespaceOf(request.namespace);
      const invocationId = requireId("invocation_id", request.invocationId);
      const record = await store.get(namespace, invocationId);
      if (record === undefined) throw new InvocationNotFoundError(invocationId);
      return create(GetResponseSchema, { record: recordToProto(record) });
    },

    async batchGet(request, context) {
      const namespace = namespaceOf(request.namespace);
      const ids = batchItems("invocation_ids", request.invocationIds).map((id, i) =>
        requireId(`invocation_ids[${i}]`, id),
      );
      const { records, revision } = await getInSlices(ids, (slice) => store.batchGet(namespace, slice));
      return responseInSlices(BatchGetResponseSchema, records, { revision: BigInt(revision) }, context);
    },

    async getHistory(request) {
      const namespace = namespaceOf(request.namespace);
      const invocationId = requireId("invocation_id", request.invocationId);
      const changes = await store.readHistory(namespace, invocationId);
      if (changes.length === 0 && (await store.get(namespace, invocationId)) === undefined) {
        throw new InvocationNotFoundError(invocationId);
      }
      return create(GetHistoryResponseSchema, { entries: changes.map(historyEntryToProto) });
    },

    async describeStateMachine() {
      return describeResponse;
    },

    async countInvocations(request) {
      const namespace = namespaceOf(request.namespace);
      const taskId = optionalId("task_id", request.taskId);
      const { counts, revision } = await store.countInvocations(namespace, taskId || undefined);
      let total = 0;
      for (const count of counts.values()) total += count;
      return create(CountInvocationsResponseSchema, {
        counts: statusCountsToProto(counts, config.statuses, true),
        total: BigInt(total),
        revision: BigInt(revision),
      });
    },

    async *watchStatus(request, context) {
      const namespace = namespaceOf(request.namespace);
      const invocationIds = request.invocationIds.map((id, i) => requireId(`invocation_ids[${i}]`, id));
      const statuses = request.statuses.map((s, i) => requireStatus(`statuses[${i}]`, s, config));
      const runnerId = optionalRunnerId("runner_id", request.runnerId) ?? undefined;
      const taskId = optionalId("task_id", request.taskId) || undefined;
      const startRevision = revisionNumber("start_revision", request.startRevision);
      if (request.includeInitial && startRevision > 0) {
        throw invalidArgument("include_initial", "cannot be combined with start_revision");
      }
      const snapshot = {
        namespace,
        invocationIds: invocationIds.length > 0 ? new Set(invocationIds) : undefined,
        statuses: statuses.length > 0 ? new Set<InvocationStatus>(statuses) : undefined,
        runnerId,
        taskId,
      };
      // The namespace first: most changes a watcher skips belong to other namespaces.
      const matches = ({ record, previousRunnerId }: StoredChange) =>
        record.namespace === namespace &&
        (snapshot.invocationIds === undefined || snapshot.invocationIds.has(record.invocationId)) &&
        (snapshot.statuses === undefined || snapshot.statuses.has(record.status)) &&
        (runnerId === undefined || record.runnerId === runnerId || previousRunnerId === runnerId) &&
        (taskId === undefined || record.taskId === taskId);
      const signal = AbortSignal.any([context.signal, shutdownSignal]);
      // Released when the watch ends, however it ends: the port may never read a cut-off one again.
      const release = watcherSlot();
      signal.addEventListener("abort", release);
      const cutOff = context.values?.get(STREAM_CUT_OFF) ?? (() => {});
      const events = watchChanges(store, {
        startRevision,
        includeInitial: request.includeInitial,
        snapshot,
        matches,
        bufferLimit: watchBufferLimit,
        onTooSlow(error) {
          release();
          cutOff(error);
        },
        progressIntervalMs: watchProgressIntervalMs,
        signal,
        readPage,
      });
      try {
        for await (const event of events) {
          yield event.kind === "change"
            ? event.initial
              ? changeResponse(event.change, true)
              : liveChange(event.change)
            : create(WatchStatusResponseSchema, {
                event: { case: "progress", value: create(WatchProgressSchema, { revision: BigInt(event.revision) }) },
              });
        }
      } finally {
        signal.removeEventListener("abort", release);
        release();
      }
      if (shutdownSignal.aborted) throw shuttingDown();
    },

    async *watchCounts(request, context) {
      const namespace = namespaceOf(request.namespace);
      const taskId = optionalId("task_id", request.taskId) || undefined;
      const intervalMs =
        request.interval === undefined
          ? DEFAULT_COUNTS_INTERVAL_MS
          : Math.max(nonNegativeDurationMs("interval", request.interval), MIN_COUNTS_INTERVAL_MS);
      const signal = AbortSignal.any([context.signal, shutdownSignal]);
      // A counts stream is a watch too: it counts against --max-watchers.
      const release = watcherSlot();
      const updates = watchCounts(store, countsInvalidation, {
        namespace,
        taskId,
        intervalMs,
        recheckMs: COUNTS_RECHECK_MS,
        signal,
      });
      try {
        for await (const update of updates) {
          yield create(WatchCountsResponseSchema, {
            counts: statusCountsToProto(update.counts, config.statuses, true),
            total: BigInt(update.total),
            revision: BigInt(update.revision),
            transitionsPerSecond: update.transitionsPerSecond,
          });
        }
      } finally {
        release();
      }
      if (shutdownSignal.aborted) throw shuttingDown();
    },

    async claimAvailable(request, context) {
      const namespace = namespaceOf(request.namespace);
      const runnerId = requireId("runner_id", request.runnerId);
      const maxCount = claimCount("max_count", request.maxCount);
      const taskId = optionalId("task_id", request.taskId);
      const changes = await store.claimAvailable({
        namespace,
        runnerId,
        maxCount,
        taskId,
        principal: context.principal,
      });
      return create(ClaimAvailableResponseSchema, { records: changes.map((c) => recordToProto(c.record)) });
    },

    async heartbeat(request) {
      const namespace = namespaceOf(request.namespace);
      const runnerIds = new Set<string>();
      if (request.runnerId !== "") runnerIds.add(requireId("runner_id", request.runnerId));
      batchItems("runner_ids", request.runnerIds).forEach((id, i) => {
        runnerIds.add(requireId(`runner_ids[${i}]`, id));
      });
      if (runnerIds.size === 0) throw invalidArgument("runner_id", "must not be empty when runner_ids is");
      // An unset QueueList keeps the stored queues; a set one, even empty, replaces them.
      const consumedQueues =
        request.consumedQueues === undefined
          ? undefined
          : batchItems("consumed_queues.queues", request.consumedQueues.queues).map((queue, i) =>
              requireId(`consumed_queues.queues[${i}]`, queue),
            );
      const serverTime = await store.heartbeat({
        namespace,
        runnerIds: [...runnerIds],
        canRunAtomicService: request.canRunAtomicService,
        consumedQueues,
      });
      return create(HeartbeatResponseSchema, { serverTime: timestampFromDate(serverTime) });
    },

    async listRunners(request) {
      const namespace = namespaceOf(request.namespace);
      const deadAfterMs =
        request.deadAfter === undefined ? runnerDeadAfterMs : nonNegativeDurationMs("dead_after", request.deadAfter);
      const { runners, now } = await store.listRunners(namespace);
      const infos = runners.flatMap((runner) => {
        // Alive is judged on the store's clock, the one the heartbeats were recorded on.
        const alive = now.getTime() - runner.lastHeartbeat.getTime() <= deadAfterMs;
        if (request.aliveOnly && !alive) return [];
        if (request.canRunAtomicService !== undefined && runner.canRunAtomicService !== request.canRunAtomicService) {
          return [];
        }
        return [
          create(RunnerInfoSchema, {
            runnerId: runner.runnerId,
            createdAt: timestampToProto(runner.createdAt),
            lastHeartbeat: timestampToProto(runner.lastHeartbeat),
            canRunAtomicService: runner.canRunAtomicService,
            consumedQueues: [...runner.consumedQueues],
            alive,
            owned: statusCountsToProto(runner.owned, config.statuses, false),
          }),
        ];
      });
      return create(ListRunnersResponseSchema, { runners: infos, serverTime: timestampToProto(now) });
    },

    async purgeNamespace(request) {
      const namespace = namespaceOf(request.namespace);
      if (options.allowPurge !== true) {
        throw statusError(
          Code.FailedPrecondition,
          "PURGE_DISABLED",
          "PurgeNamespace is disabled on this server; start it with --allow-purge to allow it",
          { namespace },
        );
      }
      const purged = await store.purgeNamespace(namespace);
      countsInvalidation.notify(namespace);
      return create(PurgeNamespaceResponseSchema, {
        invocationsPurged: BigInt(purged.invocationsPurged),
        runnersPurged: BigInt(purged.runnersPurged),
      });
    },
  };
  return queueLargeReads(handlers, LARGE_READS, reads);
}
