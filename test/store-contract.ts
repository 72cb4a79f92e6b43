import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  InvocationStatusOwnershipError,
  InvocationStatusTransitionError,
  PYNENC_STATUS_DEFINITIONS,
  InvocationStatus as S,
  StatusConfiguration,
} from "../src/core/index.js";
import {
  InvocationNotFoundError,
  RequestIdReusedError,
  RevisionCompactedError,
  RevisionMismatchError,
  type StatusStore,
  type StoredChange,
  type TransitionCommand,
  type WatchEvent,
  WatcherTooSlowError,
  type WatchOptions,
  watchChanges,
} from "../src/store/index.js";

/** A fresh, empty store per test, on the given clock and state machine (pynenc's when not given). */
export type StoreFactory = (options: {
  now: () => Date;
  config?: StatusConfiguration;
}) => StatusStore | Promise<StatusStore>;

function command(
  invocationId: string,
  status: S,
  runnerId: string | null = null,
  extra: Partial<TransitionCommand> = {},
) {
  return { invocationId, status, runnerId, taskId: "", ...extra };
}

/** Invocations and their tasks, in the order the listing and claiming tests register them. */
const INVOCATION_TASKS = [
  ["a", "t1"],
  ["b", "t2"],
  ["c", "t1"],
  ["d", "t1"],
] as const;

/** Move a new invocation to RUNNING owned by `runner`. */
async function startRunning(store: StatusStore, id: string, runner: string): Promise<void> {
  await store.transition(command(id, S.REGISTERED));
  await store.transition(command(id, S.PENDING, runner));
  await store.transition(command(id, S.RUNNING, runner));
}

async function take<T>(iterator: AsyncIterator<T>, count: number): Promise<T[]> {
  const out: T[] = [];
  while (out.length < count) {
    const next = await iterator.next();
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

function revisions(events: WatchEvent[]): number[] {
  return events.flatMap((e) => (e.kind === "change" && !e.initial ? [e.change.record.revision] : []));
}

/**
 * The behaviour every store backend must have. Each backend's test file calls this with a
 * factory, so memory, SQLite and Redis are held to one contract.
 */
export function describeStoreContract(name: string, factory: StoreFactory): void {
  describe(`store contract: ${name}`, () => {
    let store: StatusStore;
    // A clock the tests move by hand: recovery, leases and retention depend on it.
    let clockMs: number;
    const advance = (ms: number) => {
      clockMs += ms;
    };
    beforeEach(async () => {
      clockMs = Date.parse("2026-01-01T00:00:00Z");
      store = await factory({ now: () => new Date(clockMs) });
    });
    afterEach(async () => {
      await store.close();
    });

    function watch(options: Partial<WatchOptions> & { signal: AbortSignal }): AsyncGenerator<WatchEvent> {
      return watchChanges(store, {
        startRevision: 0,
        includeInitial: false,
        snapshotFilter: {},
        matches: () => true,
        bufferLimit: 10_000,
        progressIntervalMs: 60_000,
        ...options,
      });
    }

    test("registering a new invocation gives revision 1, its task and no previous status", async () => {
      const change = await store.transition(command("a", S.REGISTERED, null, { taskId: "task-1" }));
      expect(change.record).toMatchObject({
        invocationId: "a",
        status: S.REGISTERED,
        runnerId: null,
        revision: 1,
        taskId: "task-1",
      });
      expect(change.previousStatus).toBeNull();
      expect(store.currentRevision()).toBe(1);
      expect(await store.get("a")).toEqual(change.record);
    });

    test("a lifecycle acquires, keeps and releases ownership, one revision per change", async () => {
      await store.transition(command("a", S.REGISTERED, null, { taskId: "t" }));
      const pending = await store.transition(command("a", S.PENDING, "r1", { taskId: "ignored" }));
      expect(pending.record).toMatchObject({ status: S.PENDING, runnerId: "r1", revision: 2, taskId: "t" });
      const running = await store.transition(command("a", S.RUNNING, "r1"));
      expect(running.record).toMatchObject({ runnerId: "r1", revision: 3 });
      expect(running.previousStatus).toBe(S.PENDING);
      const done = await store.transition(command("a", S.SUCCESS, "r1"));
      expect(done.record).toMatchObject({ status: S.SUCCESS, runnerId: null, revision: 4 });
      expect(done.previousRunnerId).toBe("r1");
      const history = await store.readHistory("a");
      expect(history.map((c) => [c.record.status, c.previousStatus, c.record.revision])).toEqual([
        [S.REGISTERED, null, 1],
        [S.PENDING, S.REGISTERED, 2],
        [S.RUNNING, S.PENDING, 3],
        [S.SUCCESS, S.RUNNING, 4],
      ]);
    });

    const rejected: Array<{
      name: string;
      setup: (s: StatusStore) => Promise<void>;
      command: TransitionCommand;
      error: unknown;
    }> = [
      {
        name: "a transition the status does not allow",
        setup: (s) => startRunning(s, "a", "r1"),
        command: command("a", S.REGISTERED, "r1"),
        error: InvocationStatusTransitionError,
      },
      {
        name: "a change by a runner that is not the owner",
        setup: (s) => startRunning(s, "a", "r1"),
        command: command("a", S.SUCCESS, "r2"),
        error: InvocationStatusOwnershipError,
      },
      {
        name: "acquiring without a runner",
        setup: async (s) => void (await s.transition(command("a", S.REGISTERED))),
        command: command("a", S.PENDING, null),
        error: InvocationStatusOwnershipError,
      },
      {
        name: "an unknown invocation",
        setup: async () => {},
        command: command("nope", S.PENDING, "r1"),
        error: InvocationNotFoundError,
      },
      {
        name: "registering twice",
        setup: async (s) => void (await s.transition(command("a", S.REGISTERED))),
        command: command("a", S.REGISTERED),
        error: InvocationStatusTransitionError,
      },
      {
        name: "a stale expected revision",
        setup: (s) => startRunning(s, "a", "r1"),
        command: command("a", S.SUCCESS, "r1", { expectedRevision: 2 }),
        error: RevisionMismatchError,
      },
      {
        name: "an expected revision on a new invocation that exists",
        setup: async (s) => void (await s.transition(command("a", S.REGISTERED))),
        command: command("a", S.REGISTERED, null, { expectedRevision: 0 }),
        error: RevisionMismatchError,
      },
    ];
    for (const c of rejected) {
      test(`rejects ${c.name} and changes nothing`, async () => {
        await c.setup(store);
        const revision = store.currentRevision();
        const before = await store.get(c.command.invocationId);
        const seen: StoredChange[] = [];
        const unsubscribe = store.subscribe((change) => seen.push(change));
        const attempt = store.transition(c.command);
        await expect(attempt).rejects.toBeInstanceOf(c.error);
        // Every rejection names the invocation it is about; the API's error metadata carries it.
        await expect(attempt).rejects.toMatchObject({ invocationId: c.command.invocationId });
        unsubscribe();
        expect(store.currentRevision()).toBe(revision);
        expect(await store.get(c.command.invocationId)).toEqual(before);
        expect(await store.readChanges(revision + 1, 10)).toEqual([]);
        expect(seen).toEqual([]);
      });
    }

    test("a matching expected revision is accepted", async () => {
      await startRunning(store, "a", "r1");
      const change = await store.transition(command("a", S.SUCCESS, "r1", { expectedRevision: 3 }));
      expect(change.record.revision).toBe(4);
    });

    test("validate-only checks everything and changes nothing", async () => {
      await startRunning(store, "a", "r1");
      const change = await store.transition(command("a", S.SUCCESS, "r1", { validateOnly: true }));
      expect(change.record).toMatchObject({ status: S.SUCCESS, revision: 4 });
      expect(store.currentRevision()).toBe(3);
      expect((await store.get("a"))?.status).toBe(S.RUNNING);
      await expect(store.transition(command("a", S.SUCCESS, "r2", { validateOnly: true }))).rejects.toBeInstanceOf(
        InvocationStatusOwnershipError,
      );
    });

    test("the state machine is the store's configuration: another table changes what it accepts", async () => {
      // A profile in which a new invocation may also start as CONCURRENCY_CONTROLLED.
      const newInvocation = PYNENC_STATUS_DEFINITIONS.get(null)!;
      const config = new StatusConfiguration(
        new Map([
          ...PYNENC_STATUS_DEFINITIONS,
          [null, { ...newInvocation, allowedTransitions: new Set([S.REGISTERED, S.CONCURRENCY_CONTROLLED]) }],
        ]),
      );
      const other = await factory({ now: () => new Date(clockMs), config });
      try {
        const change = await other.transition(command("cc", S.CONCURRENCY_CONTROLLED));
        expect(change).toMatchObject({
          record: { status: S.CONCURRENCY_CONTROLLED, revision: 1 },
          previousStatus: null,
        });
        expect((await other.readHistory("cc")).map((c) => c.record.status)).toEqual([S.CONCURRENCY_CONTROLLED]);
      } finally {
        await other.close();
      }
      await expect(store.transition(command("cc", S.CONCURRENCY_CONTROLLED))).rejects.toBeInstanceOf(
        InvocationNotFoundError,
      );
    });

    test("runners racing for the same invocations: exactly one wins each, the others get the state machine's error", async () => {
      const ids = Array.from({ length: 50 }, (_, i) => `race-${i}`);
      await Promise.all(ids.map((id) => store.transition(command(id, S.REGISTERED))));
      const runners = ["r1", "r2", "r3", "r4"];
      const attempts = ids.flatMap((id) =>
        runners.map((r) => store.transition(command(id, S.PENDING, r)).then(() => r)),
      );
      const results = await Promise.allSettled(attempts);
      for (let i = 0; i < ids.length; i++) {
        const forId = results.slice(i * runners.length, (i + 1) * runners.length);
        const winners = forId.filter((r) => r.status === "fulfilled");
        expect(winners).toHaveLength(1);
        for (const loser of forId.filter((r) => r.status === "rejected")) {
          expect((loser as PromiseRejectedResult).reason).toBeInstanceOf(InvocationStatusTransitionError);
        }
        expect((await store.get(ids[i]!))?.runnerId).toBe((winners[0] as PromiseFulfilledResult<string>).value);
      }
      expect(store.currentRevision()).toBe(ids.length * 2);
    });

    test("concurrent transitions get dense, unique revisions and every change has its history entry", async () => {
      const ids = Array.from({ length: 200 }, (_, i) => `c-${i}`);
      const changes = await Promise.all(ids.map((id) => store.transition(command(id, S.REGISTERED))));
      expect(changes.map((c) => c.record.revision).sort((a, b) => a - b)).toEqual(ids.map((_, i) => i + 1));
      const log = await store.readChanges(1, 1000);
      expect(log.map((c) => c.record.revision)).toEqual(ids.map((_, i) => i + 1));
      for (const change of log) expect(await store.get(change.record.invocationId)).toEqual(change.record);
    });

    test("lists available invocations oldest first, by task, in pages that survive changes", async () => {
      for (const [id, task] of INVOCATION_TASKS) {
        await store.transition(command(id, S.REGISTERED, null, { taskId: task }));
      }
      await store.transition(command("b", S.PENDING, "r1"));
      const all = await store.listAvailableForRun({ afterRevision: 0, limit: 10, taskId: "" });
      expect(all.records.map((r) => r.invocationId)).toEqual(["a", "c", "d"]);
      expect(all.revision).toBe(5);
      const t1 = await store.listAvailableForRun({ afterRevision: 0, limit: 1, taskId: "t1" });
      expect(t1.records.map((r) => r.invocationId)).toEqual(["a"]);
      // "a" leaves and comes back later: it is now newest, after "d".
      await store.transition(command("a", S.PENDING, "r1"));
      await store.transition(command("a", S.RUNNING, "r1"));
      await store.transition(command("a", S.RETRY, "r1"));
      const rest = await store.listAvailableForRun({ afterRevision: t1.records[0]!.revision, limit: 10, taskId: "t1" });
      expect(rest.records.map((r) => r.invocationId)).toEqual(["c", "d", "a"]);
      expect(rest.records.every((r) => r.runnerId === null)).toBe(true);
    });

    test("lists records by filter", async () => {
      await startRunning(store, "a", "r1");
      await store.transition(command("b", S.REGISTERED, null, { taskId: "t2" }));
      const byRunner = await store.listRecords({ runnerId: "r1" });
      expect(byRunner.records.map((r) => r.invocationId)).toEqual(["a"]);
      const byStatus = await store.listRecords({ statuses: new Set([S.REGISTERED]) });
      expect(byStatus.records.map((r) => r.invocationId)).toEqual(["b"]);
      const byIds = await store.listRecords({ invocationIds: new Set(["b", "a", "zzz"]) });
      expect(byIds.records.map((r) => r.invocationId)).toEqual(["a", "b"]);
      expect((await store.listRecords({ taskId: "t2" })).records.map((r) => r.invocationId)).toEqual(["b"]);
      expect(byIds.revision).toBe(4);
    });

    test("reads changes from a revision, in pages", async () => {
      await startRunning(store, "a", "r1");
      await store.transition(command("b", S.REGISTERED));
      expect((await store.readChanges(2, 2)).map((c) => c.record.revision)).toEqual([2, 3]);
      expect((await store.readChanges(4, 10)).map((c) => c.record.invocationId)).toEqual(["b"]);
      expect(await store.readChanges(5, 10)).toEqual([]);
    });

    test("subscribers get every committed change once, in revision order", async () => {
      const seen: number[] = [];
      const unsubscribe = store.subscribe((c) => seen.push(c.record.revision));
      await Promise.all(Array.from({ length: 100 }, (_, i) => store.transition(command(`s-${i}`, S.REGISTERED))));
      unsubscribe();
      expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    });

    test("a watch replays from a revision, then goes live with no gap and no duplicate", async () => {
      for (let i = 0; i < 20; i++) await store.transition(command(`w-${i}`, S.REGISTERED));
      const controller = new AbortController();
      const events = watch({ startRevision: 5, signal: controller.signal });
      // Writes race with the replay: every revision from 5 to 60 must arrive once, in order.
      const writes = Promise.all(
        Array.from({ length: 40 }, (_, i) => store.transition(command(`x-${i}`, S.REGISTERED))),
      );
      const received: WatchEvent[] = [];
      while (revisions(received).length < 56) {
        const next = await events.next();
        if (next.done) break;
        received.push(next.value);
      }
      await writes;
      controller.abort();
      expect(revisions(received)).toEqual(Array.from({ length: 56 }, (_, i) => i + 5));
    });

    test("a watch from now starts with a progress mark at the current revision, then live changes", async () => {
      await startRunning(store, "a", "r1");
      const controller = new AbortController();
      const events = watch({ signal: controller.signal });
      const [first] = await take(events, 1);
      expect(first).toEqual({ kind: "progress", revision: 3 });
      await store.transition(command("a", S.SUCCESS, "r1"));
      const [second] = await take(events, 1);
      expect(second?.kind === "change" && second.change.record.revision).toBe(4);
      controller.abort();
      expect((await events.next()).done).toBe(true);
    });

    test("include-initial sends the matching records, a progress mark at their revision, then changes", async () => {
      await startRunning(store, "a", "r1");
      await store.transition(command("b", S.REGISTERED));
      const controller = new AbortController();
      const events = watch({
        includeInitial: true,
        snapshotFilter: { statuses: new Set([S.RUNNING, S.SUCCESS]) },
        matches: (c) => c.record.status === S.RUNNING || c.record.status === S.SUCCESS,
        signal: controller.signal,
      });
      const head = await take(events, 2);
      expect(head[0]).toMatchObject({
        kind: "change",
        initial: true,
        change: { record: { invocationId: "a", status: S.RUNNING } },
      });
      expect(head[1]).toEqual({ kind: "progress", revision: 4 });
      await store.transition(command("b", S.PENDING, "r2"));
      await store.transition(command("a", S.SUCCESS, "r1"));
      const [next] = await take(events, 1);
      expect(next).toMatchObject({
        kind: "change",
        initial: false,
        change: { record: { invocationId: "a", revision: 6 } },
      });
      controller.abort();
    });

    test("filters apply to replayed and live changes alike", async () => {
      await startRunning(store, "a", "r1");
      await startRunning(store, "b", "r2");
      const controller = new AbortController();
      const events = watch({
        startRevision: 1,
        matches: (c) => c.record.invocationId === "b",
        signal: controller.signal,
      });
      await store.transition(command("a", S.SUCCESS, "r1"));
      await store.transition(command("b", S.FAILED, "r2"));
      const got = await take(events, 5);
      expect(
        got.filter((e) => e.kind === "change").map((e) => e.kind === "change" && e.change.record.revision),
      ).toEqual([4, 5, 6, 8]);
      controller.abort();
    });

    test("a live watcher that overflows its buffer is cut off with the last revision it was sent", async () => {
      const controller = new AbortController();
      const events = watch({ bufferLimit: 5, signal: controller.signal });
      await take(events, 1); // the opening progress mark
      await store.transition(command("a", S.REGISTERED));
      const [first] = await take(events, 1);
      expect(first?.kind).toBe("change");
      // The watcher stops reading while 20 changes happen.
      for (let i = 0; i < 20; i++) await store.transition(command(`o-${i}`, S.REGISTERED));
      const error = await events.next().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(WatcherTooSlowError);
      expect((error as WatcherTooSlowError).lastSentRevision).toBe(1);
    });

    test("an idle watch gets progress marks that follow changes it filtered out", async () => {
      const controller = new AbortController();
      const events = watch({ progressIntervalMs: 50, matches: () => false, signal: controller.signal });
      expect(await take(events, 1)).toEqual([{ kind: "progress", revision: 0 }]);
      await store.transition(command("a", S.REGISTERED));
      expect(await take(events, 1)).toEqual([{ kind: "progress", revision: 1 }]);
      controller.abort();
    });
    test("a request id makes a retry return the first outcome without a second change", async () => {
      await store.transition(command("a", S.REGISTERED));
      const first = await store.transition(command("a", S.PENDING, "r1", { requestId: "k1" }));
      const retry = await store.transition(command("a", S.PENDING, "r1", { requestId: "k1" }));
      expect(retry).toEqual(first);
      expect(store.currentRevision()).toBe(2);
      expect((await store.readHistory("a")).length).toBe(2);
      await expect(store.transition(command("a", S.RUNNING, "r1", { requestId: "k1" }))).rejects.toBeInstanceOf(
        RequestIdReusedError,
      );
      expect(store.currentRevision()).toBe(2);
      // A key whose first attempt failed recorded nothing: the retry is evaluated afresh.
      await expect(store.transition(command("a", S.SUCCESS, "r1", { requestId: "k2" }))).rejects.toBeInstanceOf(
        InvocationStatusTransitionError,
      );
      expect((await store.transition(command("a", S.RUNNING, "r1", { requestId: "k2" }))).record.revision).toBe(3);
    });

    test("claiming takes the oldest available invocations, by task, each once", async () => {
      for (const [id, task] of INVOCATION_TASKS) {
        await store.transition(command(id, S.REGISTERED, null, { taskId: task }));
      }
      const first = await store.claimAvailable({ runnerId: "r1", maxCount: 2, taskId: "t1" });
      expect(first.map((c) => [c.record.invocationId, c.record.status, c.record.runnerId])).toEqual([
        ["a", S.PENDING, "r1"],
        ["c", S.PENDING, "r1"],
      ]);
      const second = await store.claimAvailable({ runnerId: "r2", maxCount: 10, taskId: "" });
      expect(second.map((c) => c.record.invocationId)).toEqual(["b", "d"]);
      expect(await store.claimAvailable({ runnerId: "r3", maxCount: 10, taskId: "" })).toEqual([]);
      expect(store.currentRevision()).toBe(8);
    });

    test("runners claiming at once never get the same invocation and leave none behind", async () => {
      await Promise.all(Array.from({ length: 300 }, (_, i) => store.transition(command(`q-${i}`, S.REGISTERED))));
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, r) => store.claimAvailable({ runnerId: `r${r}`, maxCount: 20, taskId: "" })),
      );
      const claimed = claims.flat().map((c) => c.record.invocationId);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.length).toBe(300);
      expect((await store.listAvailableForRun({ afterRevision: 0, limit: 10, taskId: "" })).records).toEqual([]);
    });

    test("recovery moves stale PENDING and RUNNING of silent runners to REROUTED, with reasons", async () => {
      const policy = { maxPendingMs: 10_000, runnerDeadAfterMs: 30_000 };
      await store.transition(command("p", S.REGISTERED));
      await store.transition(command("p", S.PENDING, "r1"));
      await startRunning(store, "alive", "r2");
      await startRunning(store, "dead", "r3");
      await store.heartbeat("r2");
      await store.heartbeat("r3");
      advance(5_000);
      expect(await store.recover(policy)).toEqual([]);
      advance(20_000); // p pending 25 s
      await store.heartbeat("r2");
      const pendingRecovered = await store.recover(policy);
      expect(pendingRecovered.map((c) => [c.record.invocationId, c.record.status])).toEqual([
        ["p", S.PENDING_RECOVERY],
        ["p", S.REROUTED],
      ]);
      expect(pendingRecovered[0]!.reason).toMatch(/max-pending-seconds 10/);
      advance(10_000); // r3 silent 35 s, r2 silent 10 s
      const runningRecovered = await store.recover(policy);
      expect(runningRecovered.map((c) => [c.record.invocationId, c.record.status, c.record.runnerId])).toEqual([
        ["dead", S.RUNNING_RECOVERY, null],
        ["dead", S.REROUTED, null],
      ]);
      expect(runningRecovered[0]!.reason).toMatch(/runner r3 .*last heartbeat/);
      expect((await store.get("alive"))?.status).toBe(S.RUNNING);
      const history = await store.readHistory("dead");
      expect(history.at(-1)?.reason).toMatch(/runner-dead-after-seconds 30/);
      // Rerouted invocations are available again, newest last.
      const available = await store.listAvailableForRun({ afterRevision: 0, limit: 10, taskId: "" });
      expect(available.records.map((r) => r.invocationId)).toEqual(["p", "dead"]);
    });

    test("a runner that never sent a heartbeat counts from when its invocation started running", async () => {
      await startRunning(store, "a", "quiet");
      advance(29_000);
      expect(await store.recover({ maxPendingMs: 1_000, runnerDeadAfterMs: 30_000 })).toEqual([]);
      advance(2_000);
      expect((await store.recover({ maxPendingMs: 1_000, runnerDeadAfterMs: 30_000 })).length).toBe(2);
    });

    test("a lease is held by one holder until it expires", async () => {
      expect(await store.acquireLease("recovery", "s1", 1_000)).toBe(true);
      expect(await store.acquireLease("recovery", "s2", 1_000)).toBe(false);
      expect(await store.acquireLease("recovery", "s1", 1_000)).toBe(true);
      advance(1_001);
      expect(await store.acquireLease("recovery", "s2", 1_000)).toBe(true);
      expect(await store.acquireLease("recovery", "s1", 1_000)).toBe(false);
    });

    test("compaction keeps the latest changes; older revisions are OUT_OF_RANGE, records stay", async () => {
      for (let i = 0; i < 10; i++) await store.transition(command(`k-${i}`, S.REGISTERED));
      const result = await store.compact({ maxChanges: 4 });
      expect(result).toMatchObject({ changesRemoved: 6, oldestRevision: 7 });
      expect(store.oldestRevision()).toBe(7);
      await expect(store.readChanges(6, 10)).rejects.toBeInstanceOf(RevisionCompactedError);
      expect((await store.readChanges(7, 10)).map((c) => c.record.revision)).toEqual([7, 8, 9, 10]);
      expect(await store.get("k-0")).toBeDefined();
      expect(await store.readHistory("k-0")).toEqual([]);
      expect((await store.transition(command("k-11", S.REGISTERED))).record.revision).toBe(11);
    });

    test("compaction by age keeps younger changes", async () => {
      await store.transition(command("old", S.REGISTERED));
      advance(60_000);
      await store.transition(command("young", S.REGISTERED));
      expect((await store.compact({ maxAgeMs: 30_000 })).oldestRevision).toBe(2);
    });

    test("final invocations are purged after the purge delay; others stay", async () => {
      await startRunning(store, "done", "r1");
      await store.transition(command("done", S.SUCCESS, "r1"));
      await startRunning(store, "busy", "r2");
      advance(60_000);
      const result = await store.compact({ purgeFinalAfterMs: 30_000 });
      expect(result.invocationsPurged).toBe(1);
      expect(await store.get("done")).toBeUndefined();
      expect(await store.get("busy")).toBeDefined();
      // The id can be registered again as a new invocation with a fresh history.
      await store.transition(command("done", S.REGISTERED));
      expect((await store.readHistory("done")).map((c) => c.record.status)).toEqual([S.REGISTERED]);
    });

    test("a request id is forgotten with the change it produced", async () => {
      await store.transition(command("a", S.REGISTERED, null, { requestId: "once" }));
      await store.transition(command("b", S.REGISTERED));
      expect((await store.compact({ maxChanges: 1 })).requestIdsRemoved).toBe(1);
    });
  });
}
