import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  InvocationStatus as S,
  InvocationStatusOwnershipError,
  InvocationStatusTransitionError,
} from "../src/core/index.js";
import {
  InvocationNotFoundError,
  RevisionMismatchError,
  watchChanges,
  WatcherTooSlowError,
  type StatusStore,
  type StoredChange,
  type TransitionCommand,
  type WatchEvent,
  type WatchOptions,
} from "../src/store/index.js";

/** A fresh, empty store per test. */
export type StoreFactory = () => StatusStore | Promise<StatusStore>;

function command(invocationId: string, status: S, runnerId: string | null = null, extra: Partial<TransitionCommand> = {}) {
  return { invocationId, status, runnerId, taskId: "", ...extra };
}

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
 * factory, so memory, SQLite (and later Redis) are held to one contract.
 */
export function describeStoreContract(name: string, factory: StoreFactory): void {
  describe(`store contract: ${name}`, () => {
    let store: StatusStore;
    beforeEach(async () => {
      store = await factory();
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
      expect(change.record).toMatchObject({ invocationId: "a", status: S.REGISTERED, runnerId: null, revision: 1, taskId: "task-1" });
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

    const rejected: Array<{ name: string; setup: (s: StatusStore) => Promise<void>; command: TransitionCommand; error: unknown }> = [
      { name: "a transition the status does not allow", setup: (s) => startRunning(s, "a", "r1"), command: command("a", S.REGISTERED, "r1"), error: InvocationStatusTransitionError },
      { name: "a change by a runner that is not the owner", setup: (s) => startRunning(s, "a", "r1"), command: command("a", S.SUCCESS, "r2"), error: InvocationStatusOwnershipError },
      { name: "acquiring without a runner", setup: async (s) => void (await s.transition(command("a", S.REGISTERED))), command: command("a", S.PENDING, null), error: InvocationStatusOwnershipError },
      { name: "an unknown invocation", setup: async () => {}, command: command("nope", S.PENDING, "r1"), error: InvocationNotFoundError },
      { name: "registering twice", setup: async (s) => void (await s.transition(command("a", S.REGISTERED))), command: command("a", S.REGISTERED), error: InvocationStatusTransitionError },
      { name: "a stale expected revision", setup: (s) => startRunning(s, "a", "r1"), command: command("a", S.SUCCESS, "r1", { expectedRevision: 2 }), error: RevisionMismatchError },
      { name: "an expected revision on a new invocation that exists", setup: async (s) => void (await s.transition(command("a", S.REGISTERED))), command: command("a", S.REGISTERED, null, { expectedRevision: 0 }), error: RevisionMismatchError },
    ];
    for (const c of rejected) {
      test(`rejects ${c.name} and changes nothing`, async () => {
        await c.setup(store);
        const revision = store.currentRevision();
        const before = await store.get(c.command.invocationId);
        const seen: StoredChange[] = [];
        const unsubscribe = store.subscribe((change) => seen.push(change));
        await expect(store.transition(c.command)).rejects.toBeInstanceOf(c.error);
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

    test("runners racing for the same invocations: exactly one wins each, the others get the state machine's error", async () => {
      const ids = Array.from({ length: 50 }, (_, i) => `race-${i}`);
      await Promise.all(ids.map((id) => store.transition(command(id, S.REGISTERED))));
      const runners = ["r1", "r2", "r3", "r4"];
      const attempts = ids.flatMap((id) => runners.map((r) => store.transition(command(id, S.PENDING, r)).then(() => r)));
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
      for (const [id, task] of [["a", "t1"], ["b", "t2"], ["c", "t1"], ["d", "t1"]] as const) {
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
      const writes = Promise.all(Array.from({ length: 40 }, (_, i) => store.transition(command(`x-${i}`, S.REGISTERED))));
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
      expect(head[0]).toMatchObject({ kind: "change", initial: true, change: { record: { invocationId: "a", status: S.RUNNING } } });
      expect(head[1]).toEqual({ kind: "progress", revision: 4 });
      await store.transition(command("b", S.PENDING, "r2"));
      await store.transition(command("a", S.SUCCESS, "r1"));
      const [next] = await take(events, 1);
      expect(next).toMatchObject({ kind: "change", initial: false, change: { record: { invocationId: "a", revision: 6 } } });
      controller.abort();
    });

    test("filters apply to replayed and live changes alike", async () => {
      await startRunning(store, "a", "r1");
      await startRunning(store, "b", "r2");
      const controller = new AbortController();
      const events = watch({ startRevision: 1, matches: (c) => c.record.invocationId === "b", signal: controller.signal });
      await store.transition(command("a", S.SUCCESS, "r1"));
      await store.transition(command("b", S.FAILED, "r2"));
      const got = await take(events, 5);
      expect(got.filter((e) => e.kind === "change").map((e) => e.kind === "change" && e.change.record.revision)).toEqual([4, 5, 6, 8]);
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
  });
}
