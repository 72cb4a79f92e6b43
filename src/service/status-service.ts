import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import {
  ClaimAvailableResponseSchema,
  DescribeStateMachineResponseSchema,
  GetHistoryResponseSchema,
  GetResponseSchema,
  HeartbeatResponseSchema,
  HistoryEntrySchema,
  ListAvailableForRunResponseSchema,
  type StatusService,
  WatchProgressSchema,
  type WatchStatusResponse,
  WatchStatusResponseSchema,
} from "../../gen/ts/pynenc/status/v1/status_pb.js";
import { ALL_STATUSES, type InvocationStatus, STATUS_CONFIG, type StatusConfiguration } from "../core/index.js";
import { InvocationNotFoundError, type StatusStore, type StoredChange, watchChanges } from "../store/index.js";
import { invalidArgument, statusError } from "./errors.js";
import { pageTokenFromPosition, pageTokenToPosition } from "./page-token.js";
import { changeToProto, definitionToProto, recordToProto, statusToProto } from "./proto-conversions.js";
import type { ServiceHandlers } from "./service-handlers.js";
import {
  claimCount,
  optionalId,
  optionalRunnerId,
  pageSize,
  requireId,
  requireStatus,
  revisionNumber,
} from "./validate-request.js";

/** Options of the service implementation. */
export interface StatusServiceOptions {
  readonly store: StatusStore;
  /** The state machine the store enforces, as DescribeStateMachine reports it (default: pynenc's). */
  readonly config?: StatusConfiguration;
  /** Aborted when the server shuts down: open watches end with UNAVAILABLE. */
  readonly shutdownSignal?: AbortSignal;
  /** Matching changes held for one live watcher before it is cut off. */
  readonly watchBufferLimit: number;
  /** An idle watch gets a progress mark this often. */
  readonly watchProgressIntervalMs: number;
}

/** The handlers of pynenc.status.v1.StatusService, one implementation behind every transport. */
export type StatusServiceHandlers = ServiceHandlers<typeof StatusService>;

/** A watch event as sent. Live changes are the same objects for every watcher (see liveChange). */
function changeResponse(change: StoredChange, initial: boolean): WatchStatusResponse {
  return create(WatchStatusResponseSchema, { event: { case: "change", value: changeToProto(change, initial) } });
}

/**
 * Create the service implementation over a store. Handlers throw the core's and the store's own
 * errors (and ConnectErrors for invalid requests); each port converts them once at its boundary
 * (connectErrorFrom), so an error gets the same code over gRPC, Connect and gRPC-Web.
 */
export function createStatusService(options: StatusServiceOptions): StatusServiceHandlers {
  const { store } = options;
  const config = options.config ?? STATUS_CONFIG;
  const describeResponse = create(DescribeStateMachineResponseSchema, {
    definitions: ALL_STATUSES.map((s) => definitionToProto(s, config.getDefinition(s))),
  });
  const shutdownSignal = options.shutdownSignal ?? new AbortController().signal;
  const { watchBufferLimit, watchProgressIntervalMs } = options;
  // A store publishes one object per change to every watcher; converting it once lets every
  // watcher share the message (and the transport its encoding) instead of redoing it per watcher.
  const liveResponses = new WeakMap<StoredChange, WatchStatusResponse>();
  const liveChange = (change: StoredChange): WatchStatusResponse => {
    let response = liveResponses.get(change);
    if (response === undefined) {
      response = changeResponse(change, false);
      liveResponses.set(change, response);
    }
    return response;
  };

  return {
    async transition(request) {
      const invocationId = requireId("invocation_id", request.invocationId);
      const command = {
        invocationId,
        status: requireStatus("status", request.status),
        runnerId: optionalRunnerId("runner_id", request.runnerId),
        taskId: optionalId("task_id", request.taskId),
        expectedRevision:
          request.expectedRevision === undefined
            ? undefined
            : revisionNumber("expected_revision", request.expectedRevision),
        validateOnly: request.validateOnly,
        requestId: optionalId("request_id", request.requestId) || undefined,
      };
      const change = await store.transition(command);
      return {
        $typeName: "pynenc.status.v1.TransitionResponse",
        record: recordToProto(change.record),
        previousStatus: change.previousStatus === null ? undefined : statusToProto(change.previousStatus),
      };
    },

    async get(request) {
      const invocationId = requireId("invocation_id", request.invocationId);
      const record = await store.get(invocationId);
      if (record === undefined) throw new InvocationNotFoundError(invocationId);
      return create(GetResponseSchema, { record: recordToProto(record) });
    },

    async listAvailableForRun(request) {
      const limit = pageSize("page_size", request.pageSize);
      const taskId = optionalId("task_id", request.taskId);
      let afterRevision = 0;
      if (request.pageToken !== "") {
        const position = pageTokenToPosition(request.pageToken);
        if (position === undefined) throw invalidArgument("page_token", "is not a token this service issued");
        if (position.taskId !== taskId) throw invalidArgument("page_token", "was issued for another task_id");
        afterRevision = position.afterRevision;
      }
      const page = await store.listAvailableForRun({ afterRevision, limit: limit + 1, taskId });
      const records = page.records.slice(0, limit);
      const last = records.at(-1);
      const more = page.records.length > limit && last !== undefined;
      return create(ListAvailableForRunResponseSchema, {
        records: records.map(recordToProto),
        nextPageToken: more ? pageTokenFromPosition({ afterRevision: last.revision, taskId }) : "",
        revision: BigInt(page.revision),
      });
    },

    async *watchStatus(request, context) {
      const invocationIds = request.invocationIds.map((id, i) => requireId(`invocation_ids[${i}]`, id));
      const statuses = request.statuses.map((s, i) => requireStatus(`statuses[${i}]`, s));
      const runnerId = optionalRunnerId("runner_id", request.runnerId) ?? undefined;
      const taskId = optionalId("task_id", request.taskId) || undefined;
      const startRevision = revisionNumber("start_revision", request.startRevision);
      if (request.includeInitial && startRevision > 0) {
        throw invalidArgument("include_initial", "cannot be combined with start_revision");
      }
      const filter = {
        invocationIds: invocationIds.length > 0 ? new Set(invocationIds) : undefined,
        statuses: statuses.length > 0 ? new Set<InvocationStatus>(statuses) : undefined,
        runnerId,
        taskId,
      };
      const matches = (c: StoredChange) =>
        (filter.invocationIds === undefined || filter.invocationIds.has(c.record.invocationId)) &&
        (filter.statuses === undefined || filter.statuses.has(c.record.status)) &&
        (runnerId === undefined || c.record.runnerId === runnerId || c.previousRunnerId === runnerId) &&
        (taskId === undefined || c.record.taskId === taskId);
      const signal = AbortSignal.any([context.signal, shutdownSignal]);
      const events = watchChanges(store, {
        startRevision,
        includeInitial: request.includeInitial,
        snapshotFilter: filter,
        matches,
        bufferLimit: watchBufferLimit,
        progressIntervalMs: watchProgressIntervalMs,
        signal,
      });
      for await (const event of events) {
        yield event.kind === "change"
          ? event.initial
            ? changeResponse(event.change, true)
            : liveChange(event.change)
          : create(WatchStatusResponseSchema, {
              event: { case: "progress", value: create(WatchProgressSchema, { revision: BigInt(event.revision) }) },
            });
      }
      if (shutdownSignal.aborted) {
        throw statusError(Code.Unavailable, "UNAVAILABLE", "the server is shutting down; reconnect", {});
      }
    },

    async getHistory(request) {
      const invocationId = requireId("invocation_id", request.invocationId);
      const changes = await store.readHistory(invocationId);
      if (changes.length === 0 && (await store.get(invocationId)) === undefined) {
        throw new InvocationNotFoundError(invocationId);
      }
      return create(GetHistoryResponseSchema, {
        entries: changes.map((c) =>
          create(HistoryEntrySchema, {
            record: recordToProto(c.record),
            previousStatus: c.previousStatus === null ? 0 : statusToProto(c.previousStatus),
            reason: c.reason,
          }),
        ),
      });
    },

    async describeStateMachine() {
      return describeResponse;
    },

    async claimAvailable(request) {
      const runnerId = requireId("runner_id", request.runnerId);
      const maxCount = claimCount("max_count", request.maxCount);
      const taskId = optionalId("task_id", request.taskId);
      const changes = await store.claimAvailable({ runnerId, maxCount, taskId });
      return create(ClaimAvailableResponseSchema, { records: changes.map((c) => recordToProto(c.record)) });
    },

    async heartbeat(request) {
      const runnerId = requireId("runner_id", request.runnerId);
      const serverTime = await store.heartbeat(runnerId);
      return create(HeartbeatResponseSchema, { serverTime: timestampFromDate(serverTime) });
    },
  };
}
