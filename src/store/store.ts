import type { InvocationStatus } from "../core/index.js";

/** The current status of one invocation, as a store holds it. */
export interface StoredRecord {
  readonly invocationId: string;
  readonly status: InvocationStatus;
  readonly runnerId: string | null;
  readonly timestamp: Date;
  /** Revision of the change that produced this record. */
  readonly revision: number;
  /** Set at registration, never changes ("" = none). */
  readonly taskId: string;
}

/** One accepted change: the record after it and what it was before. */
export interface StoredChange {
  readonly record: StoredRecord;
  /** null for a registration. */
  readonly previousStatus: InvocationStatus | null;
  readonly previousRunnerId: string | null;
  /** Why the change was made ("" for a client's own transition). */
  readonly reason: string;
}

/** A request to move one invocation to a new status. */
export interface TransitionCommand {
  readonly invocationId: string;
  readonly status: InvocationStatus;
  readonly runnerId: string | null;
  /** Only read when registering a new invocation. */
  readonly taskId: string;
  /** Fail with RevisionMismatchError unless the record is at this revision. */
  readonly expectedRevision?: number;
  /** Check everything and change nothing; the returned change has the revision it would get. */
  readonly validateOnly?: boolean;
  readonly reason?: string;
}

/** Which records to read: every filter given must match. */
export interface RecordFilter {
  readonly invocationIds?: ReadonlySet<string>;
  readonly statuses?: ReadonlySet<InvocationStatus>;
  readonly runnerId?: string;
  readonly taskId?: string;
}

/** A page of the invocations available for run. */
export interface AvailablePageQuery {
  /** Only records whose revision is greater than this. */
  readonly afterRevision: number;
  readonly limit: number;
  /** "" = every task. */
  readonly taskId: string;
}

/** Records together with the store revision they were read at. */
export interface RecordsAtRevision {
  readonly records: StoredRecord[];
  readonly revision: number;
}

/** Called with every committed change, in revision order, once per change. */
export type ChangeListener = (change: StoredChange) => void;

/**
 * The store of invocation statuses. Every backend has the same semantics, checked by one
 * contract suite: a transition is one atomic step that reads, validates with the core and
 * writes the record with its history entry under the next revision.
 */
export interface StatusStore {
  /** Apply one transition; throws the core's errors or the store's (see errors.ts). */
  transition(command: TransitionCommand): Promise<StoredChange>;
  /** The current record, or undefined for an unknown invocation. */
  get(invocationId: string): Promise<StoredRecord | undefined>;
  /** Available-for-run records, oldest first (by revision). */
  listAvailableForRun(query: AvailablePageQuery): Promise<RecordsAtRevision>;
  /** Every current record matching the filter, by revision. */
  listRecords(filter: RecordFilter): Promise<RecordsAtRevision>;
  /** Up to `limit` changes with revision >= fromRevision, oldest first; throws RevisionCompactedError. */
  readChanges(fromRevision: number, limit: number): Promise<StoredChange[]>;
  /** Every retained change of one invocation, oldest first. */
  readHistory(invocationId: string): Promise<StoredChange[]>;
  /** The revision of the last committed change (0 for an empty store). */
  currentRevision(): number;
  /** Subscribe to committed changes; returns the unsubscribe function. */
  subscribe(listener: ChangeListener): () => void;
  /** Finish pending writes and release the backend. */
  close(): Promise<void>;
}
