import type { MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import {
  InvocationOrder,
  ListAvailableForRunResponseSchema,
  ListInvocationsResponseSchema,
  ListRecoveryCandidatesResponseSchema,
  RecoveryRule,
  type StatusService,
} from "../../gen/ts/pynenc/status/v1/status_pb.js";
import type { InvocationStatus } from "../core/index.js";
import {
  orderKey,
  type RecordsAtRevision,
  type StatusStore,
  type StoredRecord,
  type InvocationOrder as StoreOrder,
  type RecoveryRule as StoreRecoveryRule,
} from "../store/index.js";
import { invalidArgument } from "./errors.js";
import { type PageBinding, pageTokenFromPosition, pageTokenToPosition } from "./page-token.js";
import { timestampToProto } from "./proto-conversions.js";
import type { RpcContext, ServiceHandlers } from "./service-handlers.js";
import { readInSlices, responseInSlices } from "./sliced-reads.js";
import {
  namespaceOf,
  nonNegativeDurationMs,
  optionalId,
  pageSize,
  requireId,
  requireStatus,
} from "./validate-request.js";

/** ListRecoveryCandidates answers this many records when the request gives page_size 0. */
export const DEFAULT_RECOVERY_PAGE_SIZE = 1_000;
/** The most records one ListRecoveryCandidates answers. */
export const MAX_RECOVERY_PAGE_SIZE = 10_000;

const ORDERS = new Map<InvocationOrder, StoreOrder>([
  [InvocationOrder.UNSPECIFIED, "revision"],
  [InvocationOrder.REVISION, "revision"],
  [InvocationOrder.REVISION_DESC, "revision-desc"],
  [InvocationOrder.NEWEST_REGISTRATION, "newest-registration"],
  [InvocationOrder.OLDEST_REGISTRATION, "oldest-registration"],
]);

const RULES = new Map<RecoveryRule, StoreRecoveryRule>([
  [RecoveryRule.PENDING_TIMEOUT, "pending-timeout"],
  [RecoveryRule.DEAD_RUNNER, "dead-runner"],
]);

/**
 * The response of a page read with one more record than asked for: the page itself, the token of
 * the next one (empty on the last page), which continues after the page's last sort key, and the
 * revision it was read at.
 */
function pageResponse<D extends typeof ListAvailableForRunResponseSchema | typeof ListInvocationsResponseSchema>(
  schema: D,
  read: RecordsAtRevision,
  limit: number,
  next: (last: StoredRecord) => string,
  context: RpcContext,
): Promise<MessageShape<D>> {
  const page = read.records.slice(0, limit);
  const last = page.at(-1);
  const nextPageToken = read.records.length > limit && last !== undefined ? next(last) : "";
  const fields = { nextPageToken, revision: BigInt(read.revision) } as Omit<MessageInitShape<D>, "records">;
  return responseInSlices(schema, page, fields, context);
}

/** The handlers that read pages of invocations: available for run, by filter, recovery candidates. */
export function createListHandlers(
  store: StatusStore,
): Pick<ServiceHandlers<typeof StatusService>, "listAvailableForRun" | "listInvocations" | "listRecoveryCandidates"> {
  const { config } = store;
  return {
    async listAvailableForRun(request, context) {
      const namespace = namespaceOf(request.namespace);
      const limit = pageSize("page_size", request.pageSize);
      const taskId = optionalId("task_id", request.taskId);
      const binding: PageBinding = ["ListAvailableForRun", namespace, taskId];
      const secret = store.pageTokenSecret();
      const afterRevision = request.pageToken === "" ? 0 : pageTokenToPosition(secret, binding, request.pageToken);
      const read = await readInSlices(limit + 1, (last, count) =>
        store.listAvailableForRun({ namespace, afterRevision: last?.revision ?? afterRevision, limit: count, taskId }),
      );
      const next = (last: StoredRecord) => pageTokenFromPosition(secret, binding, last.revision);
      return pageResponse(ListAvailableForRunResponseSchema, read, limit, next, context);
    },

    async listInvocations(request, context) {
      const namespace = namespaceOf(request.namespace);
      const statuses = [...new Set(request.statuses.map((s, i) => requireStatus(`statuses[${i}]`, s, config)))];
      const taskId = optionalId("task_id", request.taskId);
      const runnerId = request.runnerId === undefined ? undefined : requireId("runner_id", request.runnerId);
      const idPrefix = optionalId("invocation_id_prefix", request.invocationIdPrefix);
      const order = ORDERS.get(request.order);
      if (order === undefined) throw invalidArgument("order", `unknown order ${request.order}`);
      const limit = pageSize("page_size", request.pageSize);
      if (request.offset < 0) throw invalidArgument("offset", "must not be negative");
      if (request.offset > 0 && request.pageToken !== "") {
        throw invalidArgument("offset", "is only read on a first page: it cannot be combined with page_token");
      }
      // The token binds every field that picks or orders the records, statuses as a set.
      const binding: PageBinding = [
        "ListInvocations",
        namespace,
        [...statuses].sort(),
        taskId,
        runnerId ?? null,
        idPrefix,
        order,
      ];
      const secret = store.pageTokenSecret();
      const after = request.pageToken === "" ? undefined : pageTokenToPosition(secret, binding, request.pageToken);
      const filter = {
        namespace,
        statuses: statuses.length > 0 ? new Set<InvocationStatus>(statuses) : undefined,
        taskId: taskId || undefined,
        runnerId,
        idPrefix: idPrefix || undefined,
        order,
      };
      // The offset skips records before the first slice; the others continue after the last one read.
      const read = await readInSlices(limit + 1, (last, count) =>
        last === undefined
          ? store.listInvocations({ ...filter, after, offset: request.offset, limit: count })
          : store.listInvocations({ ...filter, after: orderKey(last, order), limit: count }),
      );
      const next = (last: StoredRecord) => pageTokenFromPosition(secret, binding, orderKey(last, order));
      return pageResponse(ListInvocationsResponseSchema, read, limit, next, context);
    },

    async listRecoveryCandidates(request, context) {
      const namespace = namespaceOf(request.namespace);
      const rule = RULES.get(request.rule);
      if (rule === undefined) {
        throw invalidArgument(
          "rule",
          request.rule === RecoveryRule.UNSPECIFIED ? "must be set" : `unknown rule ${request.rule}`,
        );
      }
      if (request.threshold === undefined) throw invalidArgument("threshold", "must be set (0 is allowed)");
      const thresholdMs = nonNegativeDurationMs("threshold", request.threshold);
      const limit = pageSize("page_size", request.pageSize, DEFAULT_RECOVERY_PAGE_SIZE, MAX_RECOVERY_PAGE_SIZE);
      const found = await store.listRecoveryCandidates({ namespace, rule, thresholdMs, limit });
      return responseInSlices(
        ListRecoveryCandidatesResponseSchema,
        found.records,
        { serverTime: timestampToProto(found.now), revision: BigInt(found.revision) },
        context,
      );
    },
  };
}
