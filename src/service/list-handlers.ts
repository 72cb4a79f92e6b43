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
  type InvocationPagePlan,
  orderKey,
  type RecordsAtRevision,
  type StatusStore,
  type StoredRecord,
  type InvocationOrder as StoreOrder,
  type RecoveryRule as StoreRecoveryRule,
} from "../store/index.js";
import { invalidArgument } from "./errors.js";
import type { PageThread } from "./page-thread.js";
import { type PageBinding, pageTokenFromPosition, pageTokenToPosition } from "./page-token.js";
import { timestampToProto } from "./proto-conversions.js";
import type { RpcContext, ServiceHandlers } from "./service-handlers.js";
import { readInSlices, responseEncodedAs, responseInSlices, SLICE_RECORDS } from "./sliced-reads.js";
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

/** The responses of the two paged lists. */
type PageSchema = typeof ListAvailableForRunResponseSchema | typeof ListInvocationsResponseSchema;

const RULES = new Map<RecoveryRule, StoreRecoveryRule>([
  [RecoveryRule.PENDING_TIMEOUT, "pending-timeout"],
  [RecoveryRule.DEAD_RUNNER, "dead-runner"],
]);

/**
 * The response of a page read with one more record than asked for: the page itself, the token of
 * the next one (empty on the last page), which continues after the page's last sort key, and the
 * revision it was read at.
 */
function pageResponse<D extends PageSchema>(
  schema: D,
  read: RecordsAtRevision,
  limit: number,
  next: (last: StoredRecord) => string,
  context: RpcContext,
): Promise<MessageShape<D>> {
  const page = read.records.slice(0, limit);
  const fields = pageFields<D>(read.records.length > limit, page.at(-1), read.revision, next);
  return responseInSlices(schema, page, fields, context);
}

/** A page response's fields besides its records: the next page's token (empty on the last page), the revision. */
function pageFields<D extends PageSchema>(
  more: boolean,
  last: StoredRecord | undefined,
  revision: number,
  next: (last: StoredRecord) => string,
): Omit<MessageInitShape<D>, "records"> {
  const nextPageToken = more && last !== undefined ? next(last) : "";
  return { nextPageToken, revision: BigInt(revision) } as Omit<MessageInitShape<D>, "records">;
}

/** Where large pages may be read, and who hears where each was. */
export interface PageReading {
  /** The page thread of a SQLite store. */
  readonly pages?: PageThread;
  /** Told, for each page of SLICE_RECORDS or more, which thread read it. */
  readonly pageRead?: (thread: "page_thread" | "event_loop") => void;
}

/**
 * A large page read on the page thread (page-thread.ts), for a port that sends encodings made
 * ahead; undefined when it is read here instead: a small page, another store or port, or a page
 * the thread could not read (read here, it gets this thread's errors and codes).
 */
async function pageReadElsewhere<D extends PageSchema>(
  schema: D,
  reading: PageReading,
  plan: () => InvocationPagePlan,
  limit: number,
  next: (last: StoredRecord) => string,
  context: RpcContext,
): Promise<MessageShape<D> | undefined> {
  if (limit < SLICE_RECORDS) return undefined;
  const { pages, pageRead } = reading;
  const read =
    pages?.usable === true && context.sendsEncodingMadeAhead === true
      ? await Promise.resolve()
          .then(() => pages.read(plan(), limit))
          .catch(() => undefined)
      : undefined;
  pageRead?.(read === undefined ? "event_loop" : "page_thread");
  if (read === undefined) return undefined;
  return responseEncodedAs(schema, pageFields<D>(read.more, read.last, read.revision, next), [read.encoded]);
}

/** The handlers that read pages of invocations: available for run, by filter, recovery candidates. */
export function createListHandlers(
  store: StatusStore,
  reading: PageReading = {},
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
      const next = (last: StoredRecord) => pageTokenFromPosition(secret, binding, last.revision);
      const plan = () => store.sqlitePages!.listAvailableForRun({ namespace, afterRevision, limit: limit + 1, taskId });
      const elsewhere = await pageReadElsewhere(ListAvailableForRunResponseSchema, reading, plan, limit, next, context);
      if (elsewhere !== undefined) return elsewhere;
      const read = await readInSlices(limit + 1, (last, count) =>
        store.listAvailableForRun({ namespace, afterRevision: last?.revision ?? afterRevision, limit: count, taskId }),
      );
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
      const next = (last: StoredRecord) => pageTokenFromPosition(secret, binding, orderKey(last, order));
      const plan = () =>
        store.sqlitePages!.listInvocations({ ...filter, after, offset: request.offset, limit: limit + 1 });
      const elsewhere = await pageReadElsewhere(ListInvocationsResponseSchema, reading, plan, limit, next, context);
      if (elsewhere !== undefined) return elsewhere;
      // The offset skips records before the first slice; the others continue after the last one read.
      const read = await readInSlices(limit + 1, (last, count) =>
        last === undefined
          ? store.listInvocations({ ...filter, after, offset: request.offset, limit: count })
          : store.listInvocations({ ...filter, after: orderKey(last, order), limit: count }),
      );
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
