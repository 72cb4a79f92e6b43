import { type InvocationStatus, STATUS_CONFIG, type StatusConfiguration } from "../../core/index.js";
import { createChangeFeed } from "../change-feed.js";
import { RevisionCompactedError } from "../errors.js";
import { matchesRecordFilter } from "../record-filter.js";
import { abandonedReason, recoveryCommands } from "../recovery-rules.js";
import type { RecordFilter, RecoveryPolicy, StatusStore, StoredChange, StoredRecord } from "../store.js";
import { requestFingerprint } from "../transition-once.js";
import { startChangeReader } from "./change-reader.js";
import { definitionsHash } from "./definitions-hash.js";
import { type RedisKeys, redisKeys } from "./keys.js";
import { connectRedis, type RedisConnection } from "./redis-connection.js";
import {
  changeFromFields,
  changesFromReply,
  type RecordReply,
  recordFromReply,
  revisionOfEntry,
} from "./script-replies.js";
import { defineStoreScripts } from "./store-scripts.js";

/** Options of the Redis store. */
export interface RedisStoreOptions {
  /** Prefix of every key; servers sharing a state use the same one. */
  readonly prefix: string;
  /** Clock for record timestamps, heartbeats and leases (default: Redis's own, TIME). */
  readonly now?: () => Date;
  /** The state machine and the server's own transitions (default: pynenc's); the scripts read it from Redis. */
  readonly config?: StatusConfiguration;
}

// Candidates read per step of a recovery pass, and changes or invocations dropped per step of a
// compaction: each step is one script, and a script holds Redis while it runs.
const RECOVERY_PAGE = 500;
const COMPACTION_STEP = 2_000;

/** A nullable value as a script's optional argument: "" for none, "=" + value (optional() in include/store.lua). */
function optionalScriptArg(value: string | null): string {
  return value === null ? "" : `=${value}`;
}

/** Which index a filter reads through: the narrowest one it names. */
function recordIndexArgs(filter: RecordFilter): string[] {
  if (filter.invocationIds !== undefined) return ["ids", ...filter.invocationIds];
  if (filter.runnerId !== undefined) return ["owner", filter.runnerId];
  if (filter.statuses !== undefined) return ["statuses", ...filter.statuses];
  return ["all"];
}

function recordsAtRevision(reply: unknown): { records: StoredRecord[]; revision: number } {
  const [revision, ...records] = reply as [number, ...RecordReply[]];
  return { records: records.map(recordFromReply), revision };
}

/** A Redis that would lose invocations on its own (it evicts any key when memory runs out). */
export class RedisEvictionPolicyError extends Error {
  override name = "RedisEvictionPolicyError";
}

/**
 * Check that Redis keeps what it is given, write the state machine for the scripts and read where
 * the shared state is: the last revision given and the oldest one kept.
 */
async function prepareRedis(
  { client, send }: RedisConnection,
  keys: RedisKeys,
  config: StatusConfiguration,
): Promise<{ revision: number; oldest: number }> {
  let policy: string | undefined;
  try {
    [, policy] = (await send(client.config("GET", "maxmemory-policy"))) as string[];
  } catch {
    // CONFIG is often disabled on managed Redis: nothing to check then.
  }
  if (policy?.startsWith("allkeys-")) {
    throw new RedisEvictionPolicyError(
      `Redis evicts any key when memory runs out (maxmemory-policy ${policy}); pynenc-status needs noeviction`,
    );
  }
  // Replaced atomically, so no script of another replica ever finds the definitions missing.
  await send(client.multi().del(keys.definitions).hset(keys.definitions, definitionsHash(config)).exec());
  const [revision, oldest] = await send(client.mget(keys.revision, keys.oldest));
  return { revision: Number(revision ?? 0), oldest: Number(oldest ?? 1) };
}

/**
 * Create a store in Redis that any number of server replicas share. Every operation that reads
 * and writes is one Lua script (src/store/redis/*.lua), so Redis runs it alone: two runners can
 * never both win an invocation. Each change is committed with its revision (one counter), its
 * record, its indexes and its entry in a Redis Stream; every replica reads that stream and
 * publishes it to its own watchers in revision order, so each sees every replica's changes.
 */
export async function createRedisStore(url: string, options: RedisStoreOptions): Promise<StatusStore> {
  const keys = redisKeys(options.prefix);
  const { now } = options;
  const config = options.config ?? STATUS_CONFIG;
  // The scripts take the caller's clock when there is one, else read Redis's.
  const clock = now === undefined ? () => "" : () => String(now().getTime());
  const connection = await connectRedis(url);
  const { client, send } = connection;
  const fail = (error: unknown): never => {
    connection.close();
    throw error;
  };
  const shared = await prepareRedis(connection, keys, config).catch(fail);
  // The stream reader's XREAD BLOCK holds a connection of its own.
  const readerConnection = await connectRedis(url).catch(fail);
  const run = defineStoreScripts(connection, keys);
  let oldest = shared.oldest;

  const feed = createChangeFeed();
  const reader = startChangeReader({
    connection: readerConnection,
    streamKey: keys.changes,
    after: shared.revision,
    publish: feed.publish,
  });

  /** Changes made by a script, returned once this replica has published them. */
  async function committed(reply: unknown): Promise<StoredChange[]> {
    const changes = changesFromReply(reply);
    const last = changes.at(-1);
    if (last !== undefined) await reader.published(last.record.revision);
    return changes;
  }

  /** Recover the abandoned invocations in one status, a page of candidates at a time. */
  async function recoverStatus(status: InvocationStatus, olderThanMs: number, policy: RecoveryPolicy) {
    const recovered: StoredChange[] = [];
    for (let offset = 0; ; ) {
      const [nowMs, ...found] = (await run("find-abandoned", clock(), status, olderThanMs, offset, RECOVERY_PAGE)) as [
        number,
        ...Array<RecordReply | string | null>,
      ];
      const args: string[] = [];
      let judged = 0;
      for (let i = 0; i + 1 < found.length; i += 2) {
        const record = recordFromReply(found[i] as RecordReply);
        const lastSeen = found[i + 1] as string | null;
        judged++;
        const reason = abandonedReason(record, policy, nowMs, lastSeen === null ? undefined : Number(lastSeen), config);
        if (reason === undefined) continue;
        const [recovering, rerouted] = recoveryCommands(record, reason, config);
        args.push(
          record.invocationId,
          String(record.revision),
          lastSeen ?? "",
          reason,
          recovering!.status,
          rerouted!.status,
        );
      }
      const changes = args.length === 0 ? [] : await committed(await run("recover", clock(), ...args));
      recovered.push(...changes);
      // Recovered records left the status index; the others are still ahead of the next page.
      offset += judged - changes.length / 2;
      if (judged < RECOVERY_PAGE) return recovered;
    }
  }

  return {
    async transition(command) {
      const reply = await run(
        "transition",
        command.invocationId,
        command.status,
        optionalScriptArg(command.runnerId),
        command.taskId,
        command.expectedRevision === undefined ? "" : String(command.expectedRevision),
        command.validateOnly ? "1" : "0",
        command.reason ?? "",
        command.requestId ?? "",
        command.requestId === undefined ? "" : requestFingerprint(command),
        clock(),
      );
      if (command.validateOnly) return changesFromReply(reply)[0]!;
      return (await committed(reply))[0]!;
    },
    async get(invocationId) {
      const fields = await send(client.hmget(keys.record + invocationId, "s", "o", "t", "r", "k"));
      if (fields[0] === null) return undefined;
      return recordFromReply([invocationId, ...fields] as RecordReply);
    },
    async listAvailableForRun({ afterRevision, limit, taskId }) {
      return recordsAtRevision(await run("list-available", afterRevision, limit, taskId));
    },
    async listRecords(filter) {
      const { records, revision } = recordsAtRevision(await run("list-records", ...recordIndexArgs(filter)));
      const matching = records.filter((r) => matchesRecordFilter(r, filter));
      matching.sort((a, b) => a.revision - b.revision);
      return { records: matching, revision };
    },
    async readChanges(fromRevision, limit) {
      const replies = await send(
        client
          .multi()
          .get(keys.oldest)
          .call("XRANGE", keys.changes, `${Math.max(fromRevision, 0)}-0`, "+", "COUNT", Math.max(limit, 1))
          .exec(),
      );
      oldest = Math.max(oldest, Number((replies?.[0]?.[1] as string | null) ?? 1));
      if (fromRevision < oldest) throw new RevisionCompactedError(fromRevision, oldest);
      if (limit <= 0) return [];
      const entries = (replies?.[1]?.[1] ?? []) as Array<[string, string[]]>;
      return entries.map(([id, fields]) => changeFromFields(revisionOfEntry(id), fields));
    },
    async readHistory(invocationId) {
      return changesFromReply(await run("read-history", invocationId));
    },
    async claimAvailable({ runnerId, maxCount, taskId }) {
      // To the claim status, owned by the runner, as claimCommand (claim-command.ts) moves a record.
      const claimStatus = config.serverTransitions.claim;
      return committed(await run("claim", runnerId, maxCount, taskId, claimStatus, clock()));
    },
    async heartbeat(runnerId) {
      return new Date(Number(await run("heartbeat", runnerId, clock())));
    },
    async recover(policy) {
      const { pendingRecovery, runnerRecovery } = config.serverTransitions;
      return [
        ...(await recoverStatus(pendingRecovery.from, policy.maxPendingMs, policy)),
        ...(await recoverStatus(runnerRecovery.from, policy.runnerDeadAfterMs, policy)),
      ];
    },
    async acquireLease(name, holder, ttlMs) {
      return (await run("acquire-lease", name, holder, ttlMs, clock())) === 1;
    },
    async compact(policy) {
      const total = { changesRemoved: 0, invocationsPurged: 0, requestIdsRemoved: 0, oldestRevision: oldest };
      for (let more = true; more; ) {
        const [changes, requests, purged, kept, again] = (await run(
          "compact",
          clock(),
          policy.maxChanges ?? "",
          policy.maxAgeMs ?? "",
          policy.purgeFinalAfterMs ?? "",
          COMPACTION_STEP,
        )) as number[];
        total.changesRemoved += changes!;
        total.requestIdsRemoved += requests!;
        total.invocationsPurged += purged!;
        oldest = Math.max(oldest, kept!);
        total.oldestRevision = oldest;
        more = again === 1;
      }
      return total;
    },
    currentRevision: () => reader.lastPublished(),
    oldestRevision: () => oldest,
    subscribe: feed.subscribe,
    async close() {
      await reader.close();
      connection.close();
    },
  };
}
