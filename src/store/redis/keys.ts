/**
 * The names of every key the Redis store uses, built from one prefix. Keys that exist once are full
 * names. Every other key is a kind prefix (`PREFIX:<kind>:`) followed by the namespace as a
 * length-prefixed segment, `<byte length>:<namespace>`, and for keys per invocation, status, task or
 * runner by `:<id>`. The length says where the namespace ends, so no namespace or id (with ':' or
 * NUL in it) can make two keys collide; include/store.lua builds the same names (`key()`).
 */
export interface RedisKeys {
  /** Hash: layout (the key layout's version), profile (the state machine), page-token-secret (hex). */
  readonly settings: string;
  /** String: the last revision given (INCR), one for every namespace. */
  readonly revision: string;
  /** Stream: every retained change of every namespace, entry id `<revision>-0`. */
  readonly changes: string;
  /** String: the oldest revision compaction keeps (absent = 1). */
  readonly oldest: string;
  /** Hash: status ("" = a new invocation) -> its definition as JSON. */
  readonly definitions: string;
  /** Set: the namespaces that hold invocations (recovery and retention go over them). */
  readonly namespaces: string;
  /** + lease name. Hash: holder, expires (ms). */
  readonly lease: string;
  /**
   * + ns + `:` + invocation id. Hash: s status, o owner (absent = none), t timestamp ms, r revision,
   * k task, g registration revision, a registration time ms.
   */
  readonly record: string;
  /** + ns + `:` + invocation id. List: revisions of its retained changes since registration. */
  readonly history: string;
  /** + ns. Sorted set: every invocation, scored by its record's revision. */
  readonly records: string;
  /** + ns. Sorted set: every invocation, scored by its registration revision. */
  readonly registrations: string;
  /** + ns + `:` + status. Sorted set: invocations in that status, scored by timestamp ms. */
  readonly status: string;
  /** + ns + `:` + status. Sorted set: invocations in that status, scored by revision. */
  readonly statusByRevision: string;
  /** + ns + `:` + task id. Sorted set: that task's invocations, scored by revision. */
  readonly task: string;
  /** + ns + `:` + task id. Sorted set: that task's invocations, scored by registration revision. */
  readonly taskRegistrations: string;
  /** + ns. Sorted set: available-for-run invocations, scored by revision. */
  readonly available: string;
  /** + ns + `:` + task id. Sorted set: that task's available-for-run invocations, scored by revision. */
  readonly availableTask: string;
  /** + ns + `:` + runner id. Set: the invocations that runner owns. */
  readonly owner: string;
  /** + ns. Hash: status -> how many invocations are in it (absent = 0). */
  readonly counts: string;
  /** + ns + `:` + task id. Hash: status -> how many of that task's invocations are in it. */
  readonly taskCounts: string;
  /** + ns. Sorted set: runners that sent a heartbeat, scored by their first heartbeat (ms). */
  readonly runners: string;
  /** + ns + `:` + runner id. Hash: c created ms, h last heartbeat ms, a atomic service "1"/"0", q queues (JSON). */
  readonly runner: string;
  /** + ns. Hash: request id -> `<revision of the change it produced>:<request fingerprint>`. */
  readonly requests: string;
}

/** The version of the key layout, kept in the settings hash; a store refuses any other. */
export const KEY_LAYOUT_VERSION = "2";

/** The key names under `prefix`. */
export function redisKeys(prefix: string): RedisKeys {
  const key = (name: string) => `${prefix}:${name}`;
  return {
    settings: key("settings"),
    revision: key("revision"),
    changes: key("changes"),
    oldest: key("oldest"),
    definitions: key("definitions"),
    namespaces: key("namespaces"),
    lease: key("lease:"),
    record: key("record:"),
    history: key("history:"),
    records: key("records:"),
    registrations: key("registrations:"),
    status: key("status:"),
    statusByRevision: key("status-revision:"),
    task: key("task:"),
    taskRegistrations: key("task-registrations:"),
    available: key("available:"),
    availableTask: key("available-task:"),
    owner: key("owner:"),
    counts: key("counts:"),
    taskCounts: key("task-counts:"),
    runners: key("runners:"),
    runner: key("runner:"),
    requests: key("requests:"),
  };
}

/**
 * A per-namespace key: the kind prefix, the namespace as `<byte length>:<namespace>` and, for keys
 * per invocation, status, task or runner, `:<id>`.
 */
export function namespacedKey(kind: string, namespace: string, id?: string): string {
  const segment = `${Buffer.byteLength(namespace, "utf8")}:${namespace}`;
  return id === undefined ? `${kind}${segment}` : `${kind}${segment}:${id}`;
}

/**
 * KEYS of every script, in the order `include/store.lua` reads them. Every script gets the whole
 * keyspace, so the one commit path they share can keep every index.
 */
export function scriptKeys(keys: RedisKeys): string[] {
  return [
    keys.settings,
    keys.revision,
    keys.changes,
    keys.oldest,
    keys.definitions,
    keys.namespaces,
    keys.lease,
    keys.record,
    keys.history,
    keys.records,
    keys.registrations,
    keys.status,
    keys.statusByRevision,
    keys.task,
    keys.taskRegistrations,
    keys.available,
    keys.availableTask,
    keys.owner,
    keys.counts,
    keys.taskCounts,
    keys.runners,
    keys.runner,
    keys.requests,
  ];
}
