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
  /**
   * Idempotency key. When a change was committed under this key, the same command returns that
   * change again without a second one; a different command under the key is RequestIdReusedError.
   */
  readonly requestId?: string;
}

/** Which available invocations a runner claims. */
export interface ClaimQuery {
  readonly runnerId: string;
  readonly maxCount: number;
  /** "" = every task. */
  readonly taskId: string;
}

/** When invocations count as abandoned (pynenc's recovery services). */
export interface RecoveryPolicy {
  /** PENDING for longer than this goes PENDING_RECOVERY, then REROUTED. */
  readonly maxPendingMs: number;
  /** RUNNING owned by a runner silent for longer than this goes RUNNING_RECOVERY, then REROUTED. */
  readonly runnerDeadAfterMs: number;
}

/** What the store keeps. Each limit is optional; the oldest revision kept only ever moves up. */
export interface RetentionPolicy {
  /** Keep at most this many of the latest changes. */
  readonly maxChanges?: number;
  /** Keep changes younger than this. */
  readonly maxAgeMs?: number;
  /** Forget invocations that have been final for longer than this. */
  readonly purgeFinalAfterMs?: number;
}

/** What a compaction removed. */
export interface CompactionResult {
  readonly changesRemoved: number;
  readonly invocationsPurged: number;
  readonly requestIdsRemoved: number;
  /** The oldest revision still kept (the next revision when none is). */
  readonly oldestRevision: number;
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
  /** Every retained change of one invocation since its registration, oldest first. */
  readHistory(invocationId: string): Promise<StoredChange[]>;
  /**
   * Atomically move up to `maxCount` available invocations, oldest first, to PENDING owned by the
   * runner; each is one change. Two runners claiming at once never get the same invocation.
   */
  claimAvailable(query: ClaimQuery): Promise<StoredChange[]>;
  /** Record that a runner is alive, on the store's clock; returns that time. */
  heartbeat(runnerId: string): Promise<Date>;
  /** One recovery pass: move abandoned invocations on, each change with its reason. */
  recover(policy: RecoveryPolicy): Promise<StoredChange[]>;
  /**
   * Take or renew the lease `name` for `holder` for `ttlMs`; false while another holder has it.
   * Servers sharing a store use it so only one of them runs recovery at a time.
   */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Drop what the retention policy no longer keeps. */
  compact(policy: RetentionPolicy): Promise<CompactionResult>;
  /** The revision of the last committed change (0 for an empty store). */
  currentRevision(): number;
  /** The oldest revision whose change is still kept (currentRevision() + 1 when none is). */
  oldestRevision(): number;
  /** Subscribe to committed changes; returns the unsubscribe function. */
  subscribe(listener: ChangeListener): () => void;
  /** Finish pending writes and release the backend. */
  close(): Promise<void>;
}
