import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  ALL_STATUSES,
  createStatusRecord,
  type InvocationStatusError,
  InvocationStatus as S,
  statusRecordTransition,
} from "../src/core/index.js";
import type { StatusStore, StoredChange } from "../src/store/index.js";
import { redisKeys } from "../src/store/redis/keys.js";
import { createRedisStore, RedisEvictionPolicyError } from "../src/store/redis/redis-store.js";
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
    invocationId,
    status,
    runnerId,
    taskId: "",
  });

  test("the scripts apply the core's state machine: every (status, target, owner, runner) agrees", async () => {
    const prefix = freshPrefix();
    const keys = redisKeys(prefix);
    const store = await createRedisStore(server.url(), { prefix });
    const redis = new Redis(server.url());
    const at = new Date("2026-01-01T00:00:00Z");
    const runners = [null, "", "r1", "r2"];
    let compared = 0;
    try {
      for (const from of [null, ...ALL_STATUSES]) {
        for (const owner of from === null ? [null] : [null, "r1"]) {
          const id = `${from ?? "new"}-${owner ?? "none"}`;
          if (from !== null) {
            // Put the record straight in place: most (status, owner) pairs take many steps to reach.
            await redis.hset(keys.record + id, { s: from, t: at.getTime(), r: 1, k: "" });
            if (owner !== null) await redis.hset(keys.record + id, "o", owner);
          }
          for (const to of ALL_STATUSES) {
            for (const runnerId of runners) {
              const current = from === null ? null : createStatusRecord(from, owner, at);
              let expected: unknown;
              try {
                const next = statusRecordTransition(current, to, runnerId, at);
                expected = { status: next.status, runnerId: next.runnerId };
              } catch (error) {
                // The store throws the core's error, naming the invocation it is about.
                expected = (error as InvocationStatusError).forInvocation(id);
              }
              if (from === null && to !== S.REGISTERED) continue; // not found, before the state machine
              const got = await store.transition({ ...command(id, to, runnerId), validateOnly: true }).then(
                (change) => ({ status: change.record.status, runnerId: change.record.runnerId }),
                (error: unknown) => error,
              );
              expect(got, `${from} (owner ${owner}) -> ${to} by ${runnerId}`).toEqual(expected);
              if (expected instanceof Error) expect((got as Error).constructor).toBe(expected.constructor);
              compared++;
            }
          }
        }
      }
      expect(compared).toBe(4 + ALL_STATUSES.length * 2 * ALL_STATUSES.length * runners.length);
    } finally {
      redis.disconnect();
      await store.close();
    }
  });

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
            expect((await other.get(id))?.status).toBe(S.REGISTERED);
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
          stores[r % 3]!.claimAvailable({ runnerId: `r${r}`, maxCount: 15, taskId: "" }),
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
