import type { InvocationStatus } from "../../core/index.js";
import { matchesInvocationFilter } from "../record-filter.js";
import { type InvocationQuery, orderKey, type StoredRecord } from "../store.js";
import type { NamespaceState } from "./namespace-state.js";
import type { OrderedIndex } from "./ordered-index.js";

/** Sort records into a query's order. */
function sortInOrder(records: StoredRecord[], order: InvocationQuery["order"]): StoredRecord[] {
  const descending = order === "revision-desc" || order === "newest-registration";
  return records.sort((a, b) => (orderKey(a, order) - orderKey(b, order)) * (descending ? -1 : 1));
}

/** Whether a key lies after the cursor in the query's order. */
function afterCursor(query: InvocationQuery, key: number): boolean {
  if (query.after === undefined) return true;
  const descending = query.order === "revision-desc" || query.order === "newest-registration";
  return descending ? key < query.after : key > query.after;
}

/** The page of a set of candidate records: filtered, sorted, after the cursor, offset, limited. */
function pageOf(candidates: Iterable<StoredRecord>, query: InvocationQuery): StoredRecord[] {
  const matching: StoredRecord[] = [];
  for (const record of candidates) {
    if (matchesInvocationFilter(record, query) && afterCursor(query, orderKey(record, query.order))) {
      matching.push(record);
    }
  }
  const offset = query.offset ?? 0;
  return sortInOrder(matching, query.order).slice(offset, offset + query.limit);
}

/** The page read by walking one index in the query's order, filtering as it goes. */
function walk(
  space: NamespaceState,
  index: OrderedIndex,
  isLive: (key: number, id: string) => boolean,
  query: InvocationQuery,
  descending: boolean,
): StoredRecord[] {
  const ids = descending ? index.descending(isLive, query.after) : index.ascending(isLive, query.after);
  let skip = query.offset ?? 0;
  const page: StoredRecord[] = [];
  for (const id of ids) {
    const record = space.records.get(id)!;
    if (!matchesInvocationFilter(record, query)) continue;
    if (skip > 0) {
      skip--;
      continue;
    }
    page.push(record);
    if (page.length >= query.limit) break;
  }
  return page;
}

/**
 * One page of a namespace's invocations, read through the narrowest index the query names: the
 * ids themselves, the runner's own, a status or a task index in revision order, or the
 * registration index. A query by status in registration order gathers the statuses' records and
 * sorts them when they are few against the namespace, and walks the registration index otherwise.
 */
export function listInvocations(space: NamespaceState, query: InvocationQuery): StoredRecord[] {
  if (query.invocationIds !== undefined) {
    return pageOf(
      [...query.invocationIds].flatMap((id) => space.records.get(id) ?? []),
      query,
    );
  }
  if (query.runnerId !== undefined) {
    return pageOf(
      [...(space.owned.get(query.runnerId) ?? [])].map((id) => space.records.get(id)!),
      query,
    );
  }
  const descending = query.order === "revision-desc" || query.order === "newest-registration";
  const statusIndexes = query.statuses === undefined ? [] : [...query.statuses].map((s) => space.byStatus.get(s));
  const byRevision = query.order === "revision" || query.order === "revision-desc";
  if (byRevision) {
    const taskIndex = query.taskId === undefined ? undefined : space.byTask.get(query.taskId);
    if (query.taskId !== undefined && taskIndex === undefined) return [];
    const statusSize = statusIndexes.reduce((n, index) => n + (index?.size ?? 0), 0);
    if (query.statuses !== undefined && (taskIndex === undefined || statusSize <= taskIndex.size)) {
      return mergeStatusIndexes(space, statusIndexes, query, descending);
    }
    return walk(space, taskIndex ?? space.byRevision, space.atRevision, query, descending);
  }
  const registrationIndex =
    query.taskId === undefined ? space.byRegistration : space.byTaskRegistration.get(query.taskId);
  if (registrationIndex === undefined) return [];
  if (query.statuses !== undefined) {
    const counts: Map<InvocationStatus, number> =
      query.taskId === undefined ? space.counts : space.countsOfTask(query.taskId);
    const matching = [...query.statuses].reduce((n, s) => n + (counts.get(s) ?? 0), 0);
    // Few matching records against many registered: sorting them beats walking past the rest.
    if (matching * 4 < registrationIndex.size) {
      return pageOf(
        statusIndexes
          .flatMap((index) => (index === undefined ? [] : [...index.ascending(space.atRevision)]))
          .map((id) => space.records.get(id)!),
        query,
      );
    }
  }
  return walk(space, registrationIndex, space.atRegistration, query, descending);
}

/** The page of records in some statuses, in revision order: each status index walked, then merged. */
function mergeStatusIndexes(
  space: NamespaceState,
  indexes: Array<OrderedIndex | undefined>,
  query: InvocationQuery,
  descending: boolean,
): StoredRecord[] {
  // Each index gives at most offset + limit candidates; the page is among them.
  const enough = { ...query, offset: 0, limit: (query.offset ?? 0) + query.limit };
  const candidates = indexes.flatMap((index) =>
    index === undefined ? [] : walk(space, index, space.atRevision, enough, descending),
  );
  const offset = query.offset ?? 0;
  return sortInOrder(candidates, query.order).slice(offset, offset + query.limit);
}
