import { type InvocationStatus, parseInvocationStatus, STATUS_CONFIG } from "../../core/index.js";
import { createChangeFeed } from "../change-feed.js";
import { RevisionCompactedError } from "../errors.js";
import { abandonedReason, recoveryCommands } from "../recovery-rules.js";
import {
  type InvocationQuery,
  type RecoveryPolicy,
  type RunnerRecord,
  type StatusStore,
  type StoredChange,
  type StoreOptions,
  SYSTEM_PRINCIPAL,
  type TransitionCommand,
} from "../store.js";
import { requestFingerprint } from "../transition-once.js";
import { startChangeReader } from "./change-reader.js";
import { namespacedKey, redisKeys } from "./keys.js";
import { prepareRedis, redisLocation } from "./prepare-redis.js";
import { connectRedis } from "./redis-connection.js";
import {
  changeFromFields,
  changesFromReply,
  outcomeFromReply,
  type RecordReply,
  recordFromReply,
  recordsFromReply,
  revisionOfEntry,
} from "./script-replies.js";
import { defineStoreScripts } from "./store-scripts.js";

export { RedisEvictionPolicyError, RedisKeyLayoutError } from "./prepare-redis.js";

/** Options of the Redis store. */
export interface RedisStoreOptions extends StoreOptions {
  /** Prefix of every key; servers sharing a state use the same one. */
  readonly prefix: string;
}

// Candidates read per step of a recovery pass, changes or invocations dropped per step of a
// compaction, invocations and runners deleted per step of a namespace purge: each step is one
// script, and a script holds Redis while it runs.
const RECOVERY_PAGE = 500;
const COMPACTION_STEP = 2_000;
const PURGE_STEP = 1_000;

/** An optional value as a script's argument: "" for none, "=" + value (optional() in include/store.lua). */
function optionalArg(value: string | null | undefined): string {
  return value === null || value === undefined ? "" : `=${value}`;
}

/** A transition's arguments as transition.lua takes them after the clock (and batch-transition.lua per item). */
function transitionArgs(command: TransitionCommand): string[] {
  return [
    command.namespace,
    command.invocationId,
    command.status,
    optionalArg(command.runnerId),
    command.taskId,
    command.expectedRevision === undefined ? "" : String(command.expectedRevision),
    command.validateOnly ? "1" : "0",
    command.reason ?? "",
    command.principal ?? "",
    command.requestId ?? "",
    command.requestId === undefined ? "" : requestFingerprint(command),
  ];
}

/** A query's arguments as list-invocations.lua takes them. */
function listArgs(query: InvocationQuery): string[] {
  const list = (values: Iterable<string> | undefined) => {
    if (values === undefined) return [""];
    const all = [...values];
    return [String(all.length), ...all];
  };
  return [
    query.namespace,
    query.order,
    query.after === undefined ? "" : String(query.after),
    String(query.offset ?? 0),
    String(query.limit),
    optionalArg(query.taskId),
    optionalArg(query.runnerId),
    optionalArg(query.idPrefix),
    ...list(query.statuses),
    ...list(query.invocationIds),
  ];
}

/** A runner as list-runners.lua replies with it: id, created, last heartbeat, atomic flag, queues, owned. */
type RunnerReply = [string, string, string, string, string, Array<string | number>];

function runnerFromReply([runnerId, created, last, atomic, queues, owned]: RunnerReply): RunnerRecord {
  const counts = new Map<InvocationStatus, number>();
  for (let i = 0; i + 1 < owned.length; i += 2) {
    const status = parseInvocationStatus(String(owned[i]));
    if (status !== undefined) counts.set(status, Number(owned[i + 1]));
  }
  return {
    runnerId,
    createdAt: new Date(Number(created)),
    lastHeartbeat: new Date(Number(last)),
    canRunAtomicService: atomic === "1",
    consumedQueues: JSON.parse(queues) as string[],
    owned: counts,
  };
}

/**
 * Create a store in Redis that any number of server replicas share. Every operation that reads
 * and writes is one Lua script (src/store/redis/*.lua), so Redis runs it alone: two runners can
 * never both win an invocation. Each change is committed with its revision (one counter for every
 * namespace), its record, its indexes, its counts and its entry in a Redis Stream; every replica
 * reads that stream and publishes it to its own watchers in revision order, so each sees every
 * replica's changes. The prefix is pinned to its state machine on first use: a replica started
 * with another one is refused (StateMachineProfileMismatchError).
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
  const run = defineStoreScripts(connection, keys);
  const shared = await prepareRedis(connection, run, config, redisLocation(url, options.prefix)).catch(fail);
  // The stream reader's XREAD BLOCK holds a connection of its own.
  const readerConnection = await connectRedis(url).catch(fail);
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
    const changes = changesFromReply(reply, config);
    const last = changes.at(-1);
    if (last !== undefined) await reader.published(last.record.revision);
    return changes;
  }

  /** Recover the abandoned invocations of a namespace in one status, a page of candidates at a time. */
  async function recoverStatus(
    namespace: string,
    status: InvocationStatus,
    olderThanMs: number,
    policy: RecoveryPolicy,
  ) {
    const recovered: StoredChange[] = [];
    for (let offset = 0; ; ) {
      const [nowMs, ...found] = (await run(
        "find-abandoned",
        clock(),
        namespace,
        status,
        olderThanMs,
        offset,
        RECOVERY_PAGE,
      )) as [number, ...Array<RecordReply | string | null>];
      const args: string[] = [];
      let judged = 0;
      for (let i = 0; i + 1 < found.length; i += 2) {
        const record = recordFromReply(namespace, found[i] as RecordReply);
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
      const changes =
        args.length === 0 ? [] : await committed(await run("recover", clock(), namespace, SYSTEM_PRINCIPAL, ...args));
      recovered.push(...changes);
      // Recovered records left the status index; the others are still ahead of the next page.
      offset += judged - changes.length / 2;
      if (judged < RECOVERY_PAGE) return recovered;
    }
  }

  return {
    config,
    async transition(command) {
      const reply = await run("transition", clock(), ...transitionArgs(command));
      if (command.validateOnly) return changesFromReply(reply, config)[0]!;
      return (await committed(reply))[0]!;
    },
    async batchTransition(commands) {
      if (commands.length === 0) return [];
      const reply = (await run("batch-transition", clock(), ...commands.flatMap(transitionArgs))) as unknown[];
      const outcomes = reply.map((item) => outcomeFromReply(item, config));
      // Validate-only items carry the revision they would get, which nothing committed.
      let last = 0;
      outcomes.forEach((outcome, i) => {
        if (!(outcome instanceof Error) && !commands[i]!.validateOnly) {
          last = Math.max(last, outcome.record.revision);
        }
      });
      if (last > 0) await reader.published(last);
      return outcomes;
    },
    async get(namespace, invocationId) {
      const key = namespacedKey(keys.record, namespace, invocationId);
      const fields = await send(client.hmget(key, "s", "o", "t", "r", "k", "g", "a"));
      if (fields[0] === null) return undefined;
      return recordFromReply(namespace, [invocationId, ...fields] as RecordReply);
    },
    async batchGet(namespace, invocationIds) {
      return recordsFromReply(namespace, await run("batch-get", namespace, ...invocationIds));
    },
    async listInvocations(query) {
      return recordsFromReply(query.namespace, await run("list-invocations", ...listArgs(query)));
    },
    async countInvocations(namespace, taskId) {
      const [revision, flat] = (await run("count-invocations", namespace, optionalArg(taskId))) as [number, string[]];
      const stored = new Map<string, number>();
      for (let i = 0; i + 1 < flat.length; i += 2) stored.set(flat[i]!, Number(flat[i + 1]));
      return { counts: new Map(config.statuses.map((s) => [s, stored.get(s) ?? 0])), revision };
    },
    async listNamespaces() {
      return (await send(client.smembers(keys.namespaces))).sort();
    },
    async listAvailableForRun({ namespace, afterRevision, limit, taskId }) {
      return recordsFromReply(namespace, await run("list-available", namespace, afterRevision, limit, taskId));
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
    async readHistory(namespace, invocationId) {
      return changesFromReply(await run("read-history", namespace, invocationId), config);
    },
    async claimAvailable({ namespace, runnerId, maxCount, taskId, principal }) {
      // To the claim status, owned by the runner, as claimCommand (claim-command.ts) moves a record.
      const claimStatus = config.serverTransitions.claim;
      return committed(
        await run("claim", clock(), namespace, runnerId, maxCount, taskId, claimStatus, principal ?? ""),
      );
    },
    async heartbeat({ namespace, runnerIds, canRunAtomicService, consumedQueues }) {
      const atomic = canRunAtomicService === undefined ? "" : canRunAtomicService ? "1" : "0";
      const queues = optionalArg(consumedQueues === undefined ? undefined : JSON.stringify(consumedQueues));
      return new Date(Number(await run("heartbeat", clock(), namespace, atomic, queues, ...runnerIds)));
    },
    async listRunners(namespace) {
      const [nowMs, ...replies] = (await run("list-runners", clock(), namespace)) as [number, ...RunnerReply[]];
      const runners = replies.map(runnerFromReply);
      runners.sort(
        (a, b) =>
          a.createdAt.getTime() - b.createdAt.getTime() ||
          (a.runnerId < b.runnerId ? -1 : a.runnerId > b.runnerId ? 1 : 0),
      );
      return { runners, now: new Date(nowMs) };
    },
    async listRecoveryCandidates({ namespace, rule, thresholdMs, limit }) {
      const { pendingRecovery, runnerRecovery } = config.serverTransitions;
      const [nowMs, revision, ...replies] = (await run(
        "recovery-candidates",
        clock(),
        namespace,
        rule,
        thresholdMs,
        limit,
        pendingRecovery.from,
        runnerRecovery.from,
      )) as [number, number, ...RecordReply[]];
      const records = replies.map((r) => recordFromReply(namespace, r));
      // The status index orders equal timestamps by id; the other backends by revision.
      records.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime() || a.revision - b.revision);
      return { records, now: new Date(nowMs), revision };
    },
    async recover(policy) {
      const { pendingRecovery, runnerRecovery } = config.serverTransitions;
      const namespaces = (await send(client.smembers(keys.namespaces))).sort();
      const recovered: StoredChange[] = [];
      for (const namespace of namespaces) {
        recovered.push(...(await recoverStatus(namespace, pendingRecovery.from, policy.maxPendingMs, policy)));
        recovered.push(...(await recoverStatus(namespace, runnerRecovery.from, policy.runnerDeadAfterMs, policy)));
      }
      return recovered;
    },
    async purgeNamespace(namespace) {
      const total = { invocationsPurged: 0, runnersPurged: 0 };
      for (let more = true; more; ) {
        const [invocations, runners, again] = (await run("purge-namespace", namespace, PURGE_STEP)) as number[];
        total.invocationsPurged += invocations!;
        total.runnersPurged += runners!;
        more = again === 1;
      }
      return total;
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
    pageTokenSecret: () => shared.pageTokenSecret,
    currentRevision: () => reader.lastPublished(),
    oldestRevision: () => oldest,
    subscribe: feed.subscribe,
    async close() {
      await reader.close();
      connection.close();
    },
  };
}
