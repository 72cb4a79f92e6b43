import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createStatusRecord,
  type InvocationStatusError,
  PYNENC_0_3_STATUS_CONFIG,
  InvocationStatus as S,
  STATUS_CONFIG,
  statusRecordTransition,
} from "../src/core/index.js";
import { StateMachineProfileMismatchError, type StatusStore, type StoredChange } from "../src/store/index.js";
import { namespacedKey, redisKeys } from "../src/store/redis/keys.js";
import { createRedisStore, RedisEvictionPolicyError, RedisKeyLayoutError } from "../src/store/redis/redis-store.js";
import { type RedisServer, redisServerAvailable, startRedisServer } from "./helpers/redis-server.js";
import { describeStoreContract } from "./store-contract.js";

const available = redisServerAvailable();
let server: RedisServer;
let n = 0;
/** A fresh key prefix: every store made with it starts empty. */
const freshPrefix = () => `test-${process.pid}-${n++}`;

describe.runIf(available)("redis store", () => {
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  describeStoreContract("redis", (options) =>
    createRedisStore(server.url(), { prefix: freshPrefix(), now: options.now, config: options.config }),
  );

  /** Stores on one Redis and one prefix, as replicas are; closed after the test. */
  async function replicas(count: number, now?: () => Date): Promise<StatusStore[]> {
    const prefix = freshPrefix();
    return Promise.all(Array.from({ length: count }, () => createRedisStore(server.url(), { prefix, now })));
  }
  const closeAll = (stores: StatusStore[]) => Promise.all(stores.map((s) => s.close()));
  const command = (invocationId: string, status: S, runnerId: string | null = null) => ({
    namespace: "",
    invocationId,
    status,
    runnerId,
    taskId: "",
  });

  // Each profile in a namespace of its own: the keys the test writes in TypeScript are the ones the
  // scripts read, for a namespace with ':' and NUL in it too.
  const profiles = [
    { config: STATUS_CONFIG, namespace: "" },
    { config: PYNENC_0_3_STATUS_CONFIG, namespace: "app:1\u0000:x" },
  ];
  for (const { config, namespace } of profiles) {
    test(`the scripts apply the core's state machine (${config.profile}): every (status, target, owner, runner) agrees`, async () => {
      const prefix = freshPrefix();
      const keys = redisKeys(prefix);
      const store = await createRedisStore(server.url(), { prefix, config });
      const redis = new Redis(server.url());
      const at = new Date("2026-01-01T00:00:00Z");
      const runners = [null, "", "r1", "r2"];
      const { statuses } = config;
      let compared = 0;
      try {
        for (const from of [null, ...statuses]) {
          for (const owner of from === null ? [null] : [null, "r1"]) {
            const id = `${from ?? "new"}-${owner ?? "none"}`;
            if (from !== null) {
              // Put the record straight in place: most (status, owner) pairs take many steps to reach.
              const key = namespacedKey(keys.record, namespace, id);
              await redis.hset(key, { s: from, t: at.getTime(), r: 1, k: "", g: 1, a: at.getTime() });
              if (owner !== null) await redis.hset(key, "o", owner);
            }
            for (const to of statuses) {
              for (const runnerId of runners) {
                const current = from === null ? null : createStatusRecord(from, owner, at);
                let expected: unknown;
                try {
                  const next = statusRecordTransition(current, to, runnerId, at, config);
                  expected = { status: next.status, runnerId: next.runnerId };
                } catch (error) {
                  // The store throws the core's error, naming the invocation it is about.
                  expected = (error as InvocationStatusError).forInvocation(id);
                }
                if (from === null && to !== S.REGISTERED) continue; // not found, before the state machine
                const attempt = { ...command(id, to, runnerId), namespace, validateOnly: true };
                const got = await store.transition(attempt).then(
                  (change) => ({ status: change.record.status, runnerId: change.record.runnerId }),
                  (error: unknown) => error,
                );
                expect(got, `${from} (owner ${owner}) -> ${to} by ${runnerId}`).toEqual(expected);
                if (expected instanceof Error) {
                  expect((got as Error).constructor).toBe(expected.constructor);
                  // The allowed targets are the profile's (no RESUMED under pynenc-0.3).
                  expect(got).toMatchObject({ ...expected });
                }
                compared++;
              }
            }
          }
        }
        expect(compared).toBe(4 + statuses.length * 2 * statuses.length * runners.length);
      } finally {
        redis.disconnect();
        await store.close();
      }
    });
  }

  test("replicas see every change of every replica, in the same order, and read each other's writes at once", async () => {
    const stores = await replicas(3);
    const seen = stores.map(() => [] as StoredChange[]);
    const unsubscribe = stores.map((store, i) => store.subscribe((change) => seen[i]!.push(change)));
    try {
      await Promise.all(
        stores.map(async (store, i) => {
          for (let k = 0; k < 30; k++) {
            const id = `r${i}-${k}`;
            await store.transition(command(id, S.REGISTERED));
            // Written through one replica, read through the next one straight after.
            const other = stores[(i + 1) % stores.length]!;
            expect((await other.get("", id))?.status).toBe(S.REGISTERED);
            await other.transition(command(id, S.PENDING, `runner-${i}`));
          }
        }),
      );
      const last = Math.max(...stores.map((s) => s.currentRevision()));
      expect(last).toBe(180);
      // Each replica publishes asynchronously; wait until all have caught up.
      await expect.poll(() => stores.map((s) => s.currentRevision())).toEqual([180, 180, 180]);
      const order = seen.map((changes) => changes.map((c) => c.record.revision));
      expect(order[0]).toEqual(Array.from({ length: 180 }, (_, i) => i + 1));
      expect(order[1]).toEqual(order[0]);
      expect(order[2]).toEqual(order[0]);
      expect(seen[1]).toEqual(seen[0]);
    } finally {
      for (const u of unsubscribe) u();
      await closeAll(stores);
    }
  });

  test("runners claiming through different replicas never get the same invocation", async () => {
    const stores = await replicas(3);
    try {
      await Promise.all(
        Array.from({ length: 300 }, (_, i) => stores[i % 3]!.transition(command(`q-${i}`, S.REGISTERED))),
      );
      const claims = await Promise.all(
        Array.from({ length: 30 }, (_, r) =>
          stores[r % 3]!.claimAvailable({ namespace: "", runnerId: `r${r}`, maxCount: 15, taskId: "" }),
        ),
      );
      const claimed = claims.flat().map((c) => c.record.invocationId);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.length).toBe(300);
    } finally {
      await closeAll(stores);
    }
  });

  test("two replicas recovering at once recover each abandoned invocation once", async () => {
    let clockMs = Date.parse("2026-01-01T00:00:00Z");
    const stores = await replicas(2, () => new Date(clockMs));
    try {
      for (let i = 0; i < 40; i++) {
        await stores[0]!.transition(command(`p-${i}`, S.REGISTERED));
        await stores[1]!.transition(command(`p-${i}`, S.PENDING, "r1"));
      }
      clockMs += 60_000;
      const policy = { maxPendingMs: 10_000, runnerDeadAfterMs: 30_000 };
      const [a, b] = await Promise.all(stores.map((s) => s.recover(policy)));
      const recovered = [...a!, ...b!]
        .filter((c) => c.record.status === S.PENDING_RECOVERY)
        .map((c) => c.record.invocationId);
      expect(recovered.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `p-${i}`).sort());
      expect(new Set(recovered).size).toBe(40);
    } finally {
      await closeAll(stores);
    }
  });

  test("one lease in Redis: of replicas asking at once, exactly one holds it", async () => {
    const stores = await replicas(3);
    try {
      for (let round = 0; round < 5; round++) {
        const name = `lease-${round}`;
        const granted = await Promise.all(stores.map((s, i) => s.acquireLease(name, `server-${i}`, 60_000)));
        expect(granted.filter(Boolean)).toHaveLength(1);
        const holder = granted.indexOf(true);
        expect(await stores[holder]!.acquireLease(name, `server-${holder}`, 60_000)).toBe(true);
      }
    } finally {
      await closeAll(stores);
    }
  });

  test("a replica opened later starts at the shared revision and compaction by one shows on the others' reads", async () => {
    const prefix = freshPrefix();
    const a = await createRedisStore(server.url(), { prefix });
    try {
      for (let i = 0; i < 10; i++) await a.transition(command(`k-${i}`, S.REGISTERED));
      const b = await createRedisStore(server.url(), { prefix });
      try {
        expect(b.currentRevision()).toBe(10);
        await a.compact({ maxChanges: 3 });
        await expect(b.readChanges(5, 10)).rejects.toMatchObject({ name: "RevisionCompactedError", oldestRevision: 8 });
        expect(b.oldestRevision()).toBe(8);
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
    }
  });

  test("a prefix keeps the state machine it was created with: a replica with another is refused, naming Redis and the prefix", async () => {
    const prefix = freshPrefix();
    const first = await createRedisStore(server.url(), { prefix, config: PYNENC_0_3_STATUS_CONFIG });
    try {
      const error = await createRedisStore(server.url(), { prefix }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StateMachineProfileMismatchError);
      expect(error).toMatchObject({ storedProfile: "pynenc-0.3", requestedProfile: "pynenc-0.2" });
      const { location } = error as StateMachineProfileMismatchError;
      expect(location).toContain(server.url());
      expect(location).toContain(JSON.stringify(prefix));
      // The refused replica changed nothing: the prefix still runs pynenc-0.3's machine.
      await first.transition(command("p", S.REGISTERED));
      await first.transition(command("p", S.PENDING, "r1"));
      await first.transition(command("p", S.RUNNING, "r1"));
      await first.transition(command("p", S.PAUSED, "r1"));
      const second = await createRedisStore(server.url(), { prefix, config: PYNENC_0_3_STATUS_CONFIG });
      try {
        expect((await second.transition(command("p", S.RUNNING, "r1"))).record.status).toBe(S.RUNNING);
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
    }
  });

  test("a prefix holding the previous key layout is refused and left as it was", async () => {
    const prefix = freshPrefix();
    const redis = new Redis(server.url());
    try {
      await redis.set(`${prefix}:revision`, "42");
      await redis.zadd(`${prefix}:records`, 42, "inv-1");
      const error = await createRedisStore(server.url(), { prefix }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RedisKeyLayoutError);
      expect((error as Error).message).toContain(JSON.stringify(prefix));
      expect((await redis.keys(`${prefix}:*`)).sort()).toEqual([`${prefix}:records`, `${prefix}:revision`]);
    } finally {
      redis.disconnect();
    }
  });

  test("replicas of a prefix sign page tokens with one secret, kept across restarts; another prefix has its own", async () => {
    const stores = await replicas(2);
    const secret = stores[0]!.pageTokenSecret();
    try {
      expect(stores[1]!.pageTokenSecret().equals(secret)).toBe(true);
    } finally {
      await closeAll(stores);
    }
    const prefix = freshPrefix();
    const other = await createRedisStore(server.url(), { prefix });
    try {
      expect(other.pageTokenSecret().equals(secret)).toBe(false);
      const reopened = await createRedisStore(server.url(), { prefix });
      expect(reopened.pageTokenSecret().equals(other.pageTokenSecret())).toBe(true);
      await reopened.close();
    } finally {
      await other.close();
    }
  });

  test("counts are kept in Redis: every replica, and one opened later, reads what the records say", async () => {
    const prefix = freshPrefix();
    const stores = await Promise.all([0, 1].map(() => createRedisStore(server.url(), { prefix })));
    try {
      const moves = Array.from({ length: 60 }, async (_, i) => {
        const store = stores[i % 2]!;
        const id = `c-${i}`;
        await store.transition({ ...command(id, S.REGISTERED), taskId: `t${i % 3}` });
        if (i % 4 === 0) return;
        await stores[(i + 1) % 2]!.transition(command(id, S.PENDING, "r1"));
        if (i % 4 === 1) return;
        await store.transition(command(id, S.RUNNING, "r1"));
        if (i % 4 === 2) await store.transition(command(id, S.SUCCESS, "r1"));
      });
      await Promise.all(moves);
      const later = await createRedisStore(server.url(), { prefix });
      stores.push(later);
      const { records } = await later.listInvocations({ namespace: "", order: "revision", limit: 1000 });
      for (const taskId of [undefined, "t0", "t1", "t2", "none"]) {
        const expected = new Map(later.config.statuses.map((s) => [s, 0]));
        for (const r of records) {
          if (taskId === undefined || r.taskId === taskId) expected.set(r.status, expected.get(r.status)! + 1);
        }
        for (const store of stores) expect((await store.countInvocations("", taskId)).counts).toEqual(expected);
      }
    } finally {
      await closeAll(stores);
    }
  });

  test("purging a large namespace goes in bounded steps and leaves no key of it behind", async () => {
    const prefix = freshPrefix();
    const store = await createRedisStore(server.url(), { prefix });
    const redis = new Redis(server.url());
    const namespace = "big:app";
    try {
      for (let batch = 0; batch < 3; batch++) {
        await store.batchTransition(
          Array.from({ length: 1_000 }, (_, i) => ({
            ...command(`b-${batch}-${i}`, S.REGISTERED),
            namespace,
            taskId: `t${i % 7}`,
            requestId: `req-${batch}-${i}`,
          })),
        );
      }
      await store.claimAvailable({ namespace, runnerId: "r1", maxCount: 100, taskId: "" });
      const runnerIds = Array.from({ length: 1_200 }, (_, i) => `runner-${i}`);
      await store.heartbeat({ namespace, runnerIds, canRunAtomicService: true, consumedQueues: ["q"] });
      await store.transition({ ...command("kept", S.REGISTERED), namespace: "big" });

      expect(await store.purgeNamespace(namespace)).toEqual({ invocationsPurged: 3_000, runnersPurged: 1_200 });
      const segment = `${Buffer.byteLength(namespace)}:${namespace}`;
      expect((await redis.keys(`${prefix}:*`)).filter((key) => key.includes(segment))).toEqual([]);
      expect(await redis.smembers(`${prefix}:namespaces`)).toEqual(["big"]);
      expect((await store.get("big", "kept"))?.status).toBe(S.REGISTERED);
      expect((await store.countInvocations("big")).counts.get(S.REGISTERED)).toBe(1);
    } finally {
      redis.disconnect();
      await store.close();
    }
  });

  test("a request id used again after its namespace was purged outlives the compaction of its first use", async () => {
    const store = await createRedisStore(server.url(), { prefix: freshPrefix() });
    try {
      const registered = { ...command("a", S.REGISTERED), namespace: "app", requestId: "k" };
      await store.transition(registered);
      await store.purgeNamespace("app");
      const again = await store.transition(registered);
      await store.compact({ maxChanges: 1 });
      expect(store.oldestRevision()).toBe(again.record.revision);
      expect(await store.transition(registered)).toEqual(again);
      expect(store.currentRevision()).toBe(again.record.revision);
    } finally {
      await store.close();
    }
  });

  test("a store refuses a Redis that evicts any key when memory runs out", async () => {
    const redis = new Redis(server.url());
    try {
      await redis.config("SET", "maxmemory-policy", "allkeys-lru");
      await expect(createRedisStore(server.url(), { prefix: freshPrefix() })).rejects.toBeInstanceOf(
        RedisEvictionPolicyError,
      );
    } finally {
      await redis.config("SET", "maxmemory-policy", "noeviction");
      redis.disconnect();
    }
  });

  test("a store cannot open on an unreachable Redis", async () => {
    await expect(createRedisStore("redis://127.0.0.1:1/0", { prefix: freshPrefix() })).rejects.toThrow();
  });
});
