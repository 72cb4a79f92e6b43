/**
 * The names of every key the Redis store uses, built from one prefix. Keys that exist once are
 * full names; keys that exist per invocation, status, runner, task, request or lease are prefixes
 * the scripts append the id to (the id is the whole rest of the name, so no id can collide).
 */
export interface RedisKeys {
  /** String: the last revision given (INCR). */
  readonly revision: string;
  /** Stream: every retained change, entry id `<revision>-0`. */
  readonly changes: string;
  /** String: the oldest revision compaction keeps (absent = 1). */
  readonly oldest: string;
  /** Hash: status ("" = a new invocation) -> its definition as JSON. */
  readonly definitions: string;
  /** Sorted set: every invocation, scored by the revision of its record. */
  readonly records: string;
  /** Sorted set: available-for-run invocations, scored by revision. */
  readonly available: string;
  /** Hash: runner id -> last heartbeat (ms). */
  readonly runners: string;
  /** + invocation id. Hash: s status, o owner (absent = none), t timestamp ms, r revision, k task. */
  readonly record: string;
  /** + invocation id. List: revisions of its retained changes since registration. */
  readonly history: string;
  /** + status. Sorted set: invocations in that status, scored by timestamp ms. */
  readonly status: string;
  /** + runner id. Set: invocations that runner owns. */
  readonly owner: string;
  /** + task id. Sorted set: available-for-run invocations of that task, scored by revision. */
  readonly availableTask: string;
  /** + request id. Hash: f fingerprint, r revision of the change it produced. */
  readonly request: string;
  /** + lease name. Hash: holder, expires (ms). */
  readonly lease: string;
}

/** The key names under `prefix`. */
export function redisKeys(prefix: string): RedisKeys {
  const key = (name: string) => `${prefix}:${name}`;
  return {
    revision: key("revision"),
    changes: key("changes"),
    oldest: key("oldest"),
    definitions: key("definitions"),
    records: key("records"),
    available: key("available"),
    runners: key("runners"),
    record: key("record:"),
    history: key("history:"),
    status: key("status:"),
    owner: key("owner:"),
    availableTask: key("available-task:"),
    request: key("request:"),
    lease: key("lease:"),
  };
}

/**
 * KEYS of every script, in the order `include/store.lua` reads them. Every script gets the whole
 * keyspace, so the one commit path they share can keep every index.
 */
export function scriptKeys(keys: RedisKeys): string[] {
  return [
    keys.revision,
    keys.changes,
    keys.oldest,
    keys.definitions,
    keys.records,
    keys.available,
    keys.runners,
    keys.record,
    keys.history,
    keys.status,
    keys.owner,
    keys.availableTask,
    keys.request,
    keys.lease,
  ];
}
