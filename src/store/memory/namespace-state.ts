import type { InvocationStatus, StatusConfiguration } from "../../core/index.js";
import type { StoredChange, StoredRecord } from "../store.js";
import { OrderedIndex } from "./ordered-index.js";

/** What the memory store keeps about a runner. */
export interface RunnerState {
  readonly createdAtMs: number;
  lastHeartbeatMs: number;
  canRunAtomicService: boolean;
  consumedQueues: readonly string[];
}

function indexIn<K>(map: Map<K, OrderedIndex>, key: K): OrderedIndex {
  let index = map.get(key);
  if (index === undefined) {
    index = new OrderedIndex();
    map.set(key, index);
  }
  return index;
}

function add(counts: Map<InvocationStatus, number>, status: InvocationStatus, delta: number): void {
  counts.set(status, (counts.get(status) ?? 0) + delta);
}

/**
 * Everything the memory store keeps for one namespace: the records, and an index for each way a
 * request can ask for them, so no request walks every record. Revision indexes hold each record
 * under its current revision (an entry is live while the record is still at that revision);
 * registration indexes hold it under its registration revision, which never changes.
 */
export class NamespaceState {
  readonly records = new Map<string, StoredRecord>();
  readonly history = new Map<string, StoredChange[]>();
  readonly requests = new Map<string, { fingerprint: string; change: StoredChange }>();
  readonly runners = new Map<string, RunnerState>();
  /** Invocations each runner owns. */
  readonly owned = new Map<string, Set<string>>();
  readonly counts = new Map<InvocationStatus, number>();
  readonly taskCounts = new Map<string, Map<InvocationStatus, number>>();
  /** Every record, by revision. */
  readonly byRevision = new OrderedIndex();
  readonly byStatus = new Map<InvocationStatus, OrderedIndex>();
  readonly byTask = new Map<string, OrderedIndex>();
  readonly available = new OrderedIndex();
  readonly availableByTask = new Map<string, OrderedIndex>();
  /** Every record, by registration. */
  readonly byRegistration = new OrderedIndex();
  readonly byTaskRegistration = new Map<string, OrderedIndex>();

  /** An entry of a revision index is live while its record is still at that revision. */
  readonly atRevision = (revision: number, id: string): boolean => this.records.get(id)?.revision === revision;
  /** An entry of a registration index is live while its record is still that registration. */
  readonly atRegistration = (registered: number, id: string): boolean =>
    this.records.get(id)?.registeredRevision === registered;

  constructor(private readonly config: StatusConfiguration) {
    for (const status of config.statuses) this.counts.set(status, 0);
  }

  /** The counts of one task, zeros included. */
  countsOfTask(taskId: string): Map<InvocationStatus, number> {
    let counts = this.taskCounts.get(taskId);
    if (counts === undefined) {
      counts = new Map(this.config.statuses.map((s) => [s, 0]));
      this.taskCounts.set(taskId, counts);
    }
    return counts;
  }

  /** Make `record` the current one (replacing `previous`, if any) in the records and every index. */
  put(record: StoredRecord, previous: StoredRecord | undefined): void {
    if (previous !== undefined) this.unindex(previous);
    this.records.set(record.invocationId, record);
    const { invocationId: id, revision, status, taskId } = record;
    this.byRevision.append(revision, id);
    indexIn(this.byStatus, status).append(revision, id);
    indexIn(this.byTask, taskId).append(revision, id);
    if (this.config.availableForRunStatuses.has(status)) {
      this.available.append(revision, id);
      indexIn(this.availableByTask, taskId).append(revision, id);
    }
    if (previous === undefined || previous.registeredRevision !== record.registeredRevision) {
      this.byRegistration.append(record.registeredRevision, id);
      indexIn(this.byTaskRegistration, taskId).append(record.registeredRevision, id);
    }
    if (record.runnerId !== null) {
      let ids = this.owned.get(record.runnerId);
      if (ids === undefined) {
        ids = new Set();
        this.owned.set(record.runnerId, ids);
      }
      ids.add(id);
    }
    add(this.counts, status, 1);
    add(this.countsOfTask(taskId), status, 1);
  }

  /** Forget a record and its history (a purge). */
  delete(record: StoredRecord): void {
    this.unindex(record);
    this.records.delete(record.invocationId);
    this.history.delete(record.invocationId);
    this.releaseRegistration(record);
  }

  /** Take `record` (the current one) out of the revision indexes, the owners and the counts. */
  private unindex(record: StoredRecord): void {
    const { invocationId: id, status, taskId, runnerId } = record;
    // Called before the record is replaced: the entries are dead once it is, which is when
    // compaction may look at them, so liveness is judged against the replaced state.
    const deadAfter = (key: number, entry: string) => entry !== id && this.atRevision(key, entry);
    this.byRevision.released(deadAfter);
    this.byStatus.get(status)?.released(deadAfter);
    this.byTask.get(taskId)?.released(deadAfter);
    if (this.config.availableForRunStatuses.has(status)) {
      this.available.released(deadAfter);
      this.availableByTask.get(taskId)?.released(deadAfter);
    }
    if (runnerId !== null) {
      const ids = this.owned.get(runnerId);
      ids?.delete(id);
      if (ids?.size === 0) this.owned.delete(runnerId);
    }
    add(this.counts, status, -1);
    add(this.countsOfTask(taskId), status, -1);
  }

  private releaseRegistration(record: StoredRecord): void {
    const { invocationId: id, taskId } = record;
    const deadAfter = (key: number, entry: string) => entry !== id && this.atRegistration(key, entry);
    this.byRegistration.released(deadAfter);
    this.byTaskRegistration.get(taskId)?.released(deadAfter);
  }
}
