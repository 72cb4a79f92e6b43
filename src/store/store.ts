import type { InvocationStatus, StatusConfiguration } from "../core/index.js";
import type { InvocationPagePlan } from "./sqlite/sqlite-invocation-page.js";

/** The current status of one invocation, as a store holds it. */
export interface StoredRecord {
  /** The namespace the invocation lives in ("" = the default one); identity is (namespace, id). */
  readonly namespace: string;
  readonly invocationId: string;
  readonly status: InvocationStatus;
  readonly runnerId: string | null;
  readonly timestamp: Date;
  /** Revision of the change that produced this record. */
  readonly revision: number;
  /** Set at registration, never changes ("" = none). */
  readonly taskId: string;
  /** Revision of the invocation's registration: never changes, a stable "registration order". */
  readonly registeredRevision: number;
  /** When the invocation was registered (the store's clock). */
  readonly registeredAt: Date;
}

/** One accepted change: the record after it and what it was before. */
export interface StoredChange {
  readonly record: StoredRecord;
  /** null for a registration. */
  readonly previousStatus: InvocationStatus | null;
  readonly previousRunnerId: string | null;
  /** Why the change was made ("" for a client's own transition). */
  readonly reason: string;
  /** Who made it: the caller's principal, SYSTEM_PRINCIPAL for the server's own recovery, "" unknown. */
  readonly principal: string;
}

/** The principal of the changes the server makes on its own (recovery). */
export const SYSTEM_PRINCIPAL = "system";

/** A request to move one invocation to a new status. */
export interface TransitionCommand {
  /** "" = the default namespace. */
  readonly namespace: string;
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
  /** Who asks (stored with the change; "" = unknown). */
  readonly principal?: string;
  /**
   * Idempotency key, per namespace. When a change was committed under this key, the same command
   * returns that change again without a second one; a different command under it is
   * RequestIdReusedError.
   */
  readonly requestId?: string;
}

/** Which available invocations a runner claims. */
export interface ClaimQuery {
  readonly namespace: string;
  readonly runnerId: string;
  readonly maxCount: number;
  /** "" = every task. */
  readonly taskId: string;
  /** Who asks (stored with each change). */
  readonly principal?: string;
}

/** One or more runners saying they are alive (pynenc's register_runner_heartbeats). */
export interface HeartbeatCommand {
  readonly namespace: string;
  /** At least one. */
  readonly runnerIds: readonly string[];
  /** Stored with each runner; undefined keeps what is stored (false for a new runner). */
  readonly canRunAtomicService?: boolean;
  /** Stored with each runner; undefined keeps what is stored (none for a new runner). */
  readonly consumedQueues?: readonly string[];
}

/** A runner as its heartbeats described it. */
export interface RunnerRecord {
  readonly runnerId: string;
  /** Its first heartbeat (the store's clock). */
  readonly createdAt: Date;
  readonly lastHeartbeat: Date;
  readonly canRunAtomicService: boolean;
  readonly consumedQueues: readonly string[];
  /** How many invocations it owns, per status (only statuses with some). */
  readonly owned: ReadonlyMap<InvocationStatus, number>;
}

/** The runners of a namespace, by creation time then id, with the store's clock when read. */
export interface RunnersAtTime {
  readonly runners: RunnerRecord[];
  readonly now: Date;
}

/** When invocations count as abandoned (the server's own recovery). */
export interface RecoveryPolicy {
  /** PENDING for longer than this goes PENDING_RECOVERY, then REROUTED. */
  readonly maxPendingMs: number;
  /** RUNNING owned by a runner silent for longer than this goes RUNNING_RECOVERY, then REROUTED. */
  readonly runnerDeadAfterMs: number;
}

/** pynenc's recovery rules, as ListRecoveryCandidates judges them. */
export type RecoveryRule = "pending-timeout" | "dead-runner";

/** What pynenc's recovery would pick up now, judged on the store's clock; changes nothing. */
export interface RecoveryCandidatesQuery {
  readonly namespace: string;
  /**
   * `pending-timeout`: PENDING with a status timestamp at or before now - threshold.
   * `dead-runner`: RUNNING with an owner that has no heartbeat in the namespace, or whose last
   * heartbeat is before now - threshold.
   */
  readonly rule: RecoveryRule;
  readonly thresholdMs: number;
  readonly limit: number;
}

/** Records with the store's clock and revision they were read at. */
export interface CandidatesAtTime {
  /** Oldest status timestamp first. */
  readonly records: StoredRecord[];
  readonly now: Date;
  readonly revision: number;
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

/** What PurgeNamespace removed. */
export interface NamespacePurgeResult {
  readonly invocationsPurged: number;
  readonly runnersPurged: number;
}

/** The orders a list of invocations can come in. */
export type InvocationOrder = "revision" | "revision-desc" | "newest-registration" | "oldest-registration";

/**
 * The key a record sorts by in an order: its revision for the revision orders, its registration
 * revision for the registration orders. Both are unique within a store, so a page ends at a key.
 */
export function orderKey(record: StoredRecord, order: InvocationOrder): number {
  return order === "revision" || order === "revision-desc" ? record.revision : record.registeredRevision;
}

/** Which invocations of a namespace: every filter given must match. */
export interface InvocationFilter {
  readonly namespace: string;
  readonly statuses?: ReadonlySet<InvocationStatus>;
  /** Only this task's invocations. */
  readonly taskId?: string;
  /** Only those this runner owns. */
  readonly runnerId?: string;
  /** Only ids that start with this. */
  readonly idPrefix?: string;
  /** Only these ids. */
  readonly invocationIds?: ReadonlySet<string>;
}

/** Which invocations to list, in which order, which page. */
export interface InvocationQuery extends InvocationFilter {
  readonly order: InvocationOrder;
  /** Only records whose order key comes after this one in the order (the last key of the previous page). */
  readonly after?: number;
  /** Skip this many matching records first (after `after`, if given). */
  readonly offset?: number;
  readonly limit: number;
}

/** A page of the invocations available for run. */
export interface AvailablePageQuery {
  readonly namespace: string;
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

/** Counts per status, together with the store revision they were read at. */
export interface CountsAtRevision {
  /** Every status of the store's state machine, zeros included. */
  readonly counts: ReadonlyMap<InvocationStatus, number>;
  readonly revision: number;
}

/** Called with every committed change, in revision order, once per change. */
export type ChangeListener = (change: StoredChange) => void;

/** Options every backend takes. */
export interface StoreOptions {
  /**
   * Clock for record timestamps, heartbeats and leases (default: the backend's). The memory and
   * SQLite stores never let it go back (a reading earlier than the last is taken as the last), so
   * revision order is time order and their indexes by status serve "older than" queries.
   */
  readonly now?: () => Date;
  /** The state machine (the profile) the store enforces; pinned in a persistent store. */
  readonly config?: StatusConfiguration;
  /** Told how the backend's commits go (the server's metrics); each backend reports what it has. */
  readonly observer?: StoreObserver;
}

/** What a backend reports of its own work, for metrics. Every method is optional. */
export interface StoreObserver {
  /** A SQLite group commit finished: how many operations it held and how long it took, in seconds. */
  groupCommitted?(operations: number, seconds: number): void;
}

/**
 * The store of invocation statuses. Every backend has the same semantics, checked by one
 * contract suite: a transition is one atomic step that reads, validates with the core and
 * writes the record with its history entry under the next revision. Identity is (namespace,
 * invocation id); the revision counter and the change log are one for the whole store.
 */
export interface StatusStore {
  /** The state machine this store enforces. */
  readonly config: StatusConfiguration;
  /** Apply one transition; throws the core's errors or the store's (see errors.ts). */
  transition(command: TransitionCommand): Promise<StoredChange>;
  /**
   * Apply transitions in order in ONE commit: each one succeeds or fails exactly as it would alone
   * (seeing the ones before it), and the result at its index is its change or its error.
   */
  batchTransition(commands: readonly TransitionCommand[]): Promise<Array<StoredChange | Error>>;
  /** The current record, or undefined for an unknown invocation. */
  get(namespace: string, invocationId: string): Promise<StoredRecord | undefined>;
  /** The records of these ids that exist, in the order given, read at one revision. */
  batchGet(namespace: string, invocationIds: readonly string[]): Promise<RecordsAtRevision>;
  /** A page of the records matching a query, in its order, read at one revision. */
  listInvocations(query: InvocationQuery): Promise<RecordsAtRevision>;
  /** The count of invocations per status, of a namespace or of one of its tasks; kept, not recounted. */
  countInvocations(namespace: string, taskId?: string): Promise<CountsAtRevision>;
  /** The namespaces that hold at least one invocation, sorted; read from what the store keeps, never a scan. */
  listNamespaces(): Promise<string[]>;
  /** Available-for-run records, oldest first (by revision). */
  listAvailableForRun(query: AvailablePageQuery): Promise<RecordsAtRevision>;
  /** Up to `limit` changes (every namespace) with revision >= fromRevision, oldest first; throws RevisionCompactedError. */
  readChanges(fromRevision: number, limit: number): Promise<StoredChange[]>;
  /** Every retained change of one invocation since its registration, oldest first. */
  readHistory(namespace: string, invocationId: string): Promise<StoredChange[]>;
  /**
   * Atomically move up to `maxCount` available invocations, oldest first, to the claim status
   * owned by the runner; each is one change. Two runners claiming at once never get the same one.
   */
  claimAvailable(query: ClaimQuery): Promise<StoredChange[]>;
  /** Record that runners are alive, on the store's clock; returns that time. */
  heartbeat(command: HeartbeatCommand): Promise<Date>;
  /** The runners of a namespace that ever sent a heartbeat, by creation time then id. */
  listRunners(namespace: string): Promise<RunnersAtTime>;
  /** What pynenc's recovery rule would pick up now in a namespace; changes nothing. */
  listRecoveryCandidates(query: RecoveryCandidatesQuery): Promise<CandidatesAtTime>;
  /** One pass of the server's own recovery, over every namespace; each change with its reason. */
  recover(policy: RecoveryPolicy): Promise<StoredChange[]>;
  /**
   * Delete every record, history entry, request id and runner of a namespace. Its changes may
   * stay in the shared change log (readChanges) until retention drops them.
   */
  purgeNamespace(namespace: string): Promise<NamespacePurgeResult>;
  /**
   * Take or renew the lease `name` for `holder` for `ttlMs`; false while another holder has it.
   * Servers sharing a store use it so only one of them runs recovery at a time.
   */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Drop what the retention policy no longer keeps (every namespace). */
  compact(policy: RetentionPolicy): Promise<CompactionResult>;
  /**
   * The secret page tokens are signed with: random, made once per store and kept by it, so tokens
   * survive restarts and work on every replica, and cannot be forged by anyone without it.
   */
  pageTokenSecret(): Buffer;
  /** The revision of the last committed change (0 for an empty store). */
  currentRevision(): number;
  /** The oldest revision whose change is still kept (currentRevision() + 1 when none is). */
  oldestRevision(): number;
  /** Subscribe to committed changes; returns the unsubscribe function. */
  subscribe(listener: ChangeListener): () => void;
  /** Finish pending writes and release the backend. */
  close(): Promise<void>;
  /**
   * Resolves with the error that makes the store refuse every write for good (SQLite: its file was
   * deleted or replaced); never resolves while the store is usable. The server then stops serving
   * and exits, for a supervisor to restart it. Backends that cannot fail so leave it out.
   */
  readonly failed?: Promise<Error>;
  /**
   * How another connection to the store's file can read large pages (SQLite only): the server
   * reads them on a thread of its own with it, so the thread that answers calls is not held.
   */
  readonly sqlitePages?: SqlitePagePlans;
}

/** The file of a SQLite store, and the plans of its pages, for a read-only connection elsewhere. */
export interface SqlitePagePlans {
  readonly path: string;
  listInvocations(query: InvocationQuery): InvocationPagePlan;
  listAvailableForRun(query: AvailablePageQuery): InvocationPagePlan;
}
