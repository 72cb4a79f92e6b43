import { describe, expect, test } from "vitest";
import { InvocationStatus as S } from "../../src/core/index.js";
import {
  type StoredChange,
  type WatchEvent,
  type WatcherTooSlowError,
  type WatchOptions,
  watchChanges,
} from "../../src/store/index.js";
import { type ContractContext, command, NS, startRunning, take } from "./contract-context.js";

function revisions(events: WatchEvent[]): number[] {
  return events.flatMap((e) => (e.kind === "change" && !e.initial ? [e.change.record.revision] : []));
}

/** Watching: replay, snapshot and live changes, in order, once, with no gap. */
export function describeWatchContract(context: ContractContext): void {
  const store = () => context.store();

  function watch(options: Partial<WatchOptions> & { signal: AbortSignal }): AsyncGenerator<WatchEvent> {
    return watchChanges(store(), {
      startRevision: 0,
      includeInitial: false,
      snapshot: { namespace: NS },
      matches: () => true,
      bufferLimit: 10_000,
      progressIntervalMs: 60_000,
      ...options,
    });
  }

  describe("watch", () => {
    test("subscribers get every committed change once, in revision order", async () => {
      const seen: number[] = [];
      const unsubscribe = store().subscribe((c) => seen.push(c.record.revision));
      await Promise.all(Array.from({ length: 100 }, (_, i) => store().transition(command(`s-${i}`, S.REGISTERED))));
      unsubscribe();
      expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    });

    test("a watch replays from a revision, then goes live with no gap and no duplicate", async () => {
      for (let i = 0; i < 20; i++) await store().transition(command(`w-${i}`, S.REGISTERED));
      const controller = new AbortController();
      const events = watch({ startRevision: 5, signal: controller.signal });
      // Writes race with the replay: every revision from 5 to 60 must arrive once, in order.
      const writes = Promise.all(
        Array.from({ length: 40 }, (_, i) => store().transition(command(`x-${i}`, S.REGISTERED))),
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
      await startRunning(store(), "a", "r1");
      const controller = new AbortController();
      const events = watch({ signal: controller.signal });
      const [first] = await take(events, 1);
      expect(first).toEqual({ kind: "progress", revision: 3 });
      await store().transition(command("a", S.SUCCESS, "r1"));
      const [second] = await take(events, 1);
      expect(second?.kind === "change" && second.change.record.revision).toBe(4);
      controller.abort();
      expect((await events.next()).done).toBe(true);
    });

    test("a watch from a future revision waits for it and never marks progress beyond the store", async () => {
      await store().transition(command("a", S.REGISTERED));
      const controller = new AbortController();
      const events = watch({ startRevision: 3, progressIntervalMs: 20, signal: controller.signal });
      const [first] = await take(events, 1);
      expect(first).toEqual({ kind: "progress", revision: 1 });
      await store().transition(command("b", S.REGISTERED));
      await store().transition(command("c", S.REGISTERED));
      const got = await take(events, 3);
      const changes = got.filter((e) => e.kind === "change");
      expect(changes.map((e) => e.kind === "change" && e.change.record.invocationId)).toEqual(["c"]);
      for (const e of got) if (e.kind === "progress") expect(e.revision).toBeLessThanOrEqual(store().currentRevision());
      controller.abort();
    });

    test("include-initial sends the matching records, a progress mark at their revision, then changes", async () => {
      await startRunning(store(), "a", "r1");
      await store().transition(command("b", S.REGISTERED));
      const controller = new AbortController();
      const events = watch({
        includeInitial: true,
        snapshot: { namespace: NS, statuses: new Set([S.RUNNING, S.SUCCESS]) },
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
      await store().transition(command("b", S.PENDING, "r2"));
      await store().transition(command("a", S.SUCCESS, "r1"));
      const [next] = await take(events, 1);
      expect(next).toMatchObject({
        kind: "change",
        initial: false,
        change: { record: { invocationId: "a", revision: 6 } },
      });
      controller.abort();
    });

    test("a large snapshot read while invocations move is exactly the state at its progress mark", async () => {
      const count = 2_500; // more than one page of the snapshot
      await store().batchTransition(Array.from({ length: count }, (_, i) => command(`big-${i}`, S.REGISTERED)));
      const controller = new AbortController();
      const events = watch({
        includeInitial: true,
        snapshot: { namespace: NS, statuses: new Set([S.REGISTERED]) },
        matches: (c) => c.record.status === S.REGISTERED,
        signal: controller.signal,
      });
      // Claims move invocations out of REGISTERED while the snapshot is read.
      const claims = (async () => {
        for (let i = 0; i < 20; i++) {
          await store().claimAvailable({ namespace: NS, runnerId: "r", maxCount: 25, taskId: "" });
        }
      })();
      const initial = new Map<string, StoredChange>();
      let progress: number | undefined;
      for await (const event of events) {
        if (event.kind === "progress") {
          progress = event.revision;
          break;
        }
        expect(event.initial).toBe(true);
        expect(initial.has(event.change.record.invocationId)).toBe(false); // each record once
        initial.set(event.change.record.invocationId, event.change);
      }
      controller.abort();
      await claims;
      // Replay the log to the progress revision: the snapshot must be exactly what was REGISTERED then.
      const registered = new Set<string>();
      for (let from = 1; from <= progress!; ) {
        const page = await store().readChanges(from, 1_000);
        for (const change of page) {
          if (change.record.revision > progress!) break;
          if (change.record.status === S.REGISTERED) registered.add(change.record.invocationId);
          else registered.delete(change.record.invocationId);
        }
        if (page.length === 0) break;
        from = page.at(-1)!.record.revision + 1;
      }
      expect(new Set(initial.keys())).toEqual(registered);
      const revisionsInOrder = [...initial.values()].map((c) => c.record.revision);
      expect(revisionsInOrder).toEqual([...revisionsInOrder].sort((a, b) => a - b));
    });

    test("a watch sees only its namespace's changes when its filter says so", async () => {
      const controller = new AbortController();
      const events = watch({
        startRevision: 1,
        matches: (c) => c.record.namespace === "app",
        signal: controller.signal,
      });
      await store().transition(command("a", S.REGISTERED));
      await store().transition(command("a", S.REGISTERED, null, { namespace: "app" }));
      const got = await take(events, 2);
      expect(
        got.map((e) => (e.kind === "change" ? `${e.change.record.namespace}/${e.change.record.revision}` : "p")),
      ).toEqual(["app/2", "p"]);
      controller.abort();
    });

    test("filters apply to replayed and live changes alike", async () => {
      await startRunning(store(), "a", "r1");
      await startRunning(store(), "b", "r2");
      const controller = new AbortController();
      const events = watch({
        startRevision: 1,
        matches: (c) => c.record.invocationId === "b",
        signal: controller.signal,
      });
      await store().transition(command("a", S.SUCCESS, "r1"));
      await store().transition(command("b", S.FAILED, "r2"));
      const got = await take(events, 5);
      expect(
        got.filter((e) => e.kind === "change").map((e) => e.kind === "change" && e.change.record.revision),
      ).toEqual([4, 5, 6, 8]);
      controller.abort();
    });

    test("a live watcher that overflows its buffer is cut off at once, with the last revision it was sent", async () => {
      const controller = new AbortController();
      const tooSlow: WatcherTooSlowError[] = [];
      const events = watch({ bufferLimit: 5, onTooSlow: (e) => tooSlow.push(e), signal: controller.signal });
      await take(events, 1); // the opening progress mark
      await store().transition(command("a", S.REGISTERED));
      const [first] = await take(events, 1);
      expect(first?.kind).toBe("change");
      // The watcher stops reading: five changes fit in its buffer, the sixth overflows it and is
      // reported then, without a read (a port waiting for a client that does not read never reads).
      for (let i = 0; i < 5; i++) await store().transition(command(`o-${i}`, S.REGISTERED));
      expect(tooSlow).toEqual([]);
      for (let i = 5; i < 20; i++) await store().transition(command(`o-${i}`, S.REGISTERED));
      expect(tooSlow).toHaveLength(1);
      const error = await events.next().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBe(tooSlow[0]);
      expect((error as WatcherTooSlowError).lastSentRevision).toBe(1);
    });

    test("an idle watch gets progress marks that follow changes it filtered out", async () => {
      const controller = new AbortController();
      const events = watch({ progressIntervalMs: 50, matches: () => false, signal: controller.signal });
      expect(await take(events, 1)).toEqual([{ kind: "progress", revision: 0 }]);
      await store().transition(command("a", S.REGISTERED));
      expect(await take(events, 1)).toEqual([{ kind: "progress", revision: 1 }]);
      controller.abort();
    });
  });
}
